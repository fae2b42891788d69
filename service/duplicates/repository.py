"""Queries of duplicate detection: candidate vectors, the postings named, the links."""

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from service.duplicates.auth import Kind
from service.kit.repository import get_by_id
from service.models import Capability, DuplicateLink, Need, PostingVector

MODELS: dict[str, type[Need] | type[Capability]] = {"need": Need, "capability": Capability}


def posting(
    session: Session, kind: Kind, posting_id: int, readable: ColumnElement[bool] | None = None
) -> Need | Capability | None:
    model = MODELS[kind]
    return get_by_id(session, model, posting_id, where=readable)  # type: ignore[arg-type]


def postings(session: Session, kind: Kind, ids: Iterable[int]) -> list[Need | Capability]:
    model = MODELS[kind]
    id_list = sorted(set(ids))
    if not id_list:
        return []
    return list(session.scalars(select(model).where(model.id.in_(id_list))))


def candidate_vectors(
    session: Session,
    kind: Kind,
    model_id: str,
    readable: ColumnElement[bool],
    exclude_id: int,
) -> list[tuple[int, bytes]]:
    """(posting id, stored vector) of every posting of `kind` the caller may see but the one
    checked, under the engine's current model."""
    model = MODELS[kind]
    statement = (
        select(PostingVector.posting_id, PostingVector.vector)
        .join(model, model.id == PostingVector.posting_id)
        .where(
            PostingVector.kind == kind,
            PostingVector.model_id == model_id,
            model.id != exclude_id,
            readable,
        )
    )
    return [(int(i), bytes(v)) for i, v in session.execute(statement)]


def links_of(session: Session, kind: Kind, posting_id: int) -> list[DuplicateLink]:
    """Every link (live or not) with `posting_id` on either side, newest first."""
    statement = (
        select(DuplicateLink)
        .where(
            DuplicateLink.kind == kind,
            or_(
                DuplicateLink.posting_id == posting_id, DuplicateLink.duplicate_of_id == posting_id
            ),
        )
        .order_by(DuplicateLink.id.desc())
    )
    return list(session.scalars(statement))


def live_link(
    session: Session, kind: Kind, posting_id: int, duplicate_of_id: int
) -> DuplicateLink | None:
    """The live link between the two, whichever way round it was made."""
    pair = {posting_id, duplicate_of_id}
    statement = select(DuplicateLink).where(
        DuplicateLink.kind == kind,
        DuplicateLink.status == "linked",
        DuplicateLink.posting_id.in_(pair),
        DuplicateLink.duplicate_of_id.in_(pair),
    )
    return session.scalars(statement).first()


def link(session: Session, link_id: int, *, for_update: bool = False) -> DuplicateLink | None:
    return get_by_id(session, DuplicateLink, link_id, for_update=for_update)


def titles(
    session: Session,
    kind: Kind,
    ids: Sequence[int],
    readable: ColumnElement[bool] | None = None,
) -> dict[int, str]:
    """Titles by id of those of `ids` that meet `readable` (default: all)."""
    model = MODELS[kind]
    if not ids:
        return {}
    statement = select(model.id, model.title).where(model.id.in_(set(ids)))
    if readable is not None:
        statement = statement.where(readable)
    return {int(i): str(t) for i, t in session.execute(statement)}


def new_link(
    session: Session,
    *,
    kind: Kind,
    posting_id: int,
    duplicate_of_id: int,
    similarity: float | None,
    reason: str,
    marked_by_id: int,
) -> DuplicateLink:
    link = DuplicateLink(
        kind=kind,
        posting_id=posting_id,
        duplicate_of_id=duplicate_of_id,
        similarity=similarity,
        reason=reason,
        marked_by_id=marked_by_id,
    )
    session.add(link)
    return link
