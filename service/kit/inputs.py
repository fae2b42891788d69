"""Input value types every schema and parameter uses, so each rule lives in one place.

- `Id`: a database id (path, query or body). PostgreSQL's `integer` stops at 2^31 - 1, so an
  id above it cannot exist: a path id out of range is a 404, a query or body one a 422.
- `Line` / `Text`: user text without control characters (they break exports and PostgreSQL
  refuses NUL). `Text` is multi-line and keeps tab, newline and carriage return.
- `Version`: an optimistic-lock version, bounded like an id.

The rules are JSON-schema patterns and bounds, so the OpenAPI document states them too.
"""

from typing import Annotated

from annotated_types import Ge, Le
from pydantic import Field

MAX_ID = 2**31 - 1

Id = Annotated[int, Ge(1), Le(MAX_ID)]
Version = Annotated[int, Ge(1), Le(MAX_ID)]

LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Line = Annotated[str, Field(pattern=LINE_PATTERN)]
Text = Annotated[str, Field(pattern=TEXT_PATTERN)]

# Messages for the patterns above, used by the 422 handler (service/kit/errors.py).
PATTERN_MESSAGES = {
    LINE_PATTERN: "不能包含换行、制表符等控制字符",
    TEXT_PATTERN: "不能包含控制字符",
}
