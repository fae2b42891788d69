"""A scored posting or a link → what the caller is shown."""

from typing import Any

from matching.duplicates import DuplicateScore
from service.duplicates.auth import Kind
from service.duplicates.lifecycle import DUPLICATE_MACHINE
from service.duplicates.schemas import DuplicateCandidate, DuplicateLinkRead
from service.models import DuplicateLink, User
from service.models.enums import CapabilityStatus, DuplicateLinkStatus, NeedStatus

_PATHS = {"need": "/needs", "capability": "/capabilities"}


def status_label(kind: Kind, status: str) -> str:
    return NeedStatus(status).label if kind == "need" else CapabilityStatus(status).label


def candidate(
    kind: Kind, other: Any, score: DuplicateScore, checked: Any, *, linked: bool
) -> DuplicateCandidate:
    return DuplicateCandidate(
        kind=kind,
        id=other.id,
        title=other.title,
        status=other.status,
        status_label=status_label(kind, other.status),
        similarity=round(score.similarity, 3),
        same_org=other.org_id == checked.org_id,
        linked=linked,
        differing=list(score.differing),
        path=f"{_PATHS[kind]}/{other.id}",
    )


def link(link: DuplicateLink, titles: dict[int, str], user: User) -> DuplicateLinkRead:
    return DuplicateLinkRead(
        id=link.id,
        kind="need" if link.kind == "need" else "capability",
        posting_id=link.posting_id,
        posting_title=titles.get(link.posting_id),
        duplicate_of_id=link.duplicate_of_id,
        duplicate_of_title=titles.get(link.duplicate_of_id),
        status=link.status,
        status_label=DuplicateLinkStatus(link.status).label,
        similarity=link.similarity,
        reason=link.reason,
        marked_by_id=link.marked_by_id,
        created_at=link.created_at,
        actions=DUPLICATE_MACHINE.actions(user, link, link.status),
    )
