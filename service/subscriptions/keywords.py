"""Which posting a field-and-keyword subscription follows.

A posting matches when its field is one of the subscription's fields (or the subscription
names none) and every keyword appears in its text: title, the description parts, industry and
keywords. Both sides are compared after NFKC (full-width letters, digits and spaces become
half-width) and case folding, with runs of white space made one space: 「ＬＩＤＡＲ」 matches
"激光雷达 lidar", 「热管理」 does not match 「热 管理」.
"""

import re
import unicodedata
from collections.abc import Iterable

from service.models import Capability, Need

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def posting_text(posting: Need | Capability) -> str:
    if isinstance(posting, Need):
        parts = [
            posting.title,
            posting.problem,
            posting.key_difficulty,
            posting.expected_goal,
            posting.industry,
        ]
    else:
        parts = [posting.title, posting.description]
    return normalise("\n".join([*parts, *(posting.keywords or [])]))


def matches(text: str, field_code: str, fields: Iterable[str], keywords: Iterable[str]) -> bool:
    """`text` is a posting's `posting_text`."""
    wanted = list(fields)
    if wanted and field_code not in wanted:
        return False
    return all(normalise(k) in text for k in keywords)
