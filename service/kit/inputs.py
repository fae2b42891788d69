"""Input value types every schema and parameter uses, so each rule lives in one place.

- `Id`: a database id (path, query or body). PostgreSQL's `integer` stops at 2^31 - 1, so an
  id above it cannot exist: a path id out of range is a 404, a query or body one a 422.
- `Line` / `Text`: user text without control characters (they break exports and PostgreSQL
  refuses NUL). `Text` is multi-line and keeps tab, newline and carriage return.
- `Version`: an optimistic-lock version, bounded like an id.
- `Password`: the password rule (letters and digits) as a pattern.
- `Day`: a calendar day written YYYY-MM-DD, never an epoch number.
- `Email`: an optional e-mail address (empty, or one address).

The rules are JSON-schema patterns and bounds, so the OpenAPI document states them too.
"""

import re
from datetime import date
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

MAX_ID = 2**31 - 1

Id = Annotated[int, Ge(1), Le(MAX_ID)]
Version = Annotated[int, Ge(1), Le(MAX_ID)]

LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Line = Annotated[str, Field(pattern=LINE_PATTERN)]
Text = Annotated[str, Field(pattern=TEXT_PATTERN)]

# A password: 8–128 printable characters with at least one letter and one digit.
_P = r"[^\x00-\x1f\x7f]*"
PASSWORD_PATTERN = rf"^(?:{_P}[A-Za-z]{_P}[0-9]|{_P}[0-9]{_P}[A-Za-z]){_P}$"
Password = Annotated[
    str,
    Field(
        min_length=8,
        max_length=128,
        pattern=PASSWORD_PATTERN,
        description="8–128 位，须同时包含字母和数字",
    ),
]

PHONE_PATTERN = r"^[0-9+\-() ]{5,30}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _email(value: str) -> str:
    if value and not re.match(EMAIL_PATTERN, value):
        raise ValueError("邮箱格式不正确")
    return value


# An optional e-mail address: empty, or one address.
Email = Annotated[Line, Field(max_length=200), AfterValidator(_email)]

DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _iso_day(value: Any) -> Any:
    """Pydantic reads 0 or "0" as 1970-01-01 (epoch seconds); a day is written YYYY-MM-DD."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.match(DAY_PATTERN, value):
        raise ValueError("不是合法的日期（YYYY-MM-DD）")
    return value


Day = Annotated[
    date,
    BeforeValidator(_iso_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN}),
]

# Messages for the patterns above, used by the 422 handler (service/kit/errors.py).
PATTERN_MESSAGES = {
    LINE_PATTERN: "不能包含换行、制表符等控制字符",
    TEXT_PATTERN: "不能包含控制字符",
    PASSWORD_PATTERN: "密码至少 8 位，且须同时包含字母和数字（不含控制字符）",
}
