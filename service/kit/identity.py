"""Names that identify someone: one normal form, so look-alikes cannot sit side by side.

`clean_name` is what we store and show: NFKC (full-width letters become ASCII, compatibility
forms fold) with invisible characters removed — zero-width spaces and joiners, bidi controls
(RLO and friends), soft hyphens, BOMs: every Unicode "format" (Cf) character. `identity_key`
is what uniqueness is checked on: the clean name case-folded, without any whitespace.
"""

import unicodedata


def clean_name(value: str) -> str:
    text = unicodedata.normalize("NFKC", value)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return " ".join(text.split())


def identity_key(value: str) -> str:
    folded = unicodedata.normalize("NFKC", clean_name(value).casefold())
    return "".join(folded.split())
