"""Postings as the matcher sees them (`matching.Doc`), and the hash of what was embedded."""

import json
from typing import Any, Literal

from matching.cache import text_hash
from matching.documents import Doc
from service.models import Capability, Need

Kind = Literal["need", "capability"]
KINDS: tuple[Kind, Kind] = ("need", "capability")
Posting = Need | Capability


def kind_of(posting: Posting) -> Kind:
    return "need" if isinstance(posting, Need) else "capability"


def to_doc(posting: Posting) -> Doc:
    """The matching view of a need or a capability; `org` is the organisation id as text."""
    text: dict[str, Any]
    if isinstance(posting, Need):
        text = {
            "problem": posting.problem,
            "key_difficulty": posting.key_difficulty,
            "expected_goal": posting.expected_goal,
        }
    else:
        text = {"description": posting.description}
    return Doc(
        id=posting.id,
        title=posting.title,
        field=posting.field_code,
        keywords=list(posting.keywords or []),
        indicators=list(posting.indicators or []),
        org=str(posting.org_id),
        kind=kind_of(posting),
        **text,
    )


def doc_hash(doc: Doc) -> str:
    """Hash of everything matching reads from a posting (text, keywords, indicators, field, org).

    Any change re-embeds the posting and moves its `indexed_at`, which is what tells every
    process's index to reload it; an unchanged posting is never re-embedded.
    """
    payload = [
        doc.kind,
        doc.title,
        doc.description,
        doc.problem,
        doc.key_difficulty,
        doc.expected_goal,
        doc.field_code,
        doc.keywords,
        doc.indicators,
        doc.org,
    ]
    return text_hash(json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str))


def pair_hash(need: Doc, capability: Doc) -> str:
    """`Match.texts_hash`: changes when either side's text changes."""
    return text_hash(doc_hash(need) + doc_hash(capability))
