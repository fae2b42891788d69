"""Every query of the intake: its batches, and the postings a sheet's 外部编号 name."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from service.models import Capability, IntakeBatch, Need, Organization

Posting = type[Need] | type[Capability]
IN_CHUNK = 500  # keeps IN lists well under every database's parameter limit


def add(session: Session, batch: IntakeBatch) -> IntakeBatch:
    session.add(batch)
    session.flush()
    found = get(session, batch.id)
    assert found is not None
    return found


def get(session: Session, batch_id: int, *, for_update: bool = False) -> IntakeBatch | None:
    statement = (
        select(IntakeBatch)
        .where(IntakeBatch.id == batch_id)
        .options(joinedload(IntakeBatch.org, innerjoin=True))
    )
    if for_update:  # one import step at a time per batch (PostgreSQL; SQLite serialises)
        statement = statement.with_for_update(of=IntakeBatch).execution_options(
            populate_existing=True
        )
    return session.scalar(statement)


def org(session: Session, org_id: int) -> Organization | None:
    return session.get(Organization, org_id)


def by_refs(
    session: Session, model: Posting, org_id: int, refs: Iterable[str]
) -> dict[str, tuple[int, str]]:
    """{外部编号: (id, status)} of the organisation's postings among `refs`."""
    found: dict[str, tuple[int, str]] = {}
    wanted = sorted(set(refs))
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        rows = session.execute(
            select(model.external_ref, model.id, model.status).where(
                model.org_id == org_id, model.external_ref.in_(chunk)
            )
        )
        found.update({ref: (posting_id, status) for ref, posting_id, status in rows if ref})
    return found


def postings_by_refs(
    session: Session, model: Posting, org_id: int, refs: list[str]
) -> dict[str, Any]:
    """The organisation's postings among `refs`, row-locked for an import step."""
    found: dict[str, Any] = {}
    for start in range(0, len(refs), IN_CHUNK):
        statement = (
            select(model)
            .where(model.org_id == org_id, model.external_ref.in_(refs[start : start + IN_CHUNK]))
            .with_for_update()
        )
        postings: Any = session.scalars(statement)
        found.update({posting.external_ref: posting for posting in postings})
    return found
