from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from service.applications.lifecycle import LIVE_STATES
from service.models import Application, Need


def _locked_needs(session: Session, *where: ColumnElement[bool]) -> Sequence[Need]:
    """Row-locked needs; rows another tick holds are skipped, not waited for (PostgreSQL).

    After the other tick commits, the status condition no longer matches, so a need is never
    moved twice; SQLite serialises whole write transactions (BEGIN IMMEDIATE) instead.
    """
    statement = (
        select(Need)
        .where(*where)
        .order_by(Need.id)
        .with_for_update(skip_locked=True)
        .options(selectinload(Need.org), selectinload(Need.field))
        .execution_options(populate_existing=True)
    )
    return session.scalars(statement).all()


def published_past_deadline(session: Session, today: date) -> Sequence[Need]:
    """Published needs whose 揭榜 deadline (the last day to apply) is over."""
    return _locked_needs(session, Need.status == "published", Need.deadline < today)


def under_review_since(session: Session, last_deadline: date) -> Sequence[Need]:
    """Needs in review whose deadline was before `last_deadline` (their review period is over)."""
    return _locked_needs(session, Need.status == "under_review", Need.deadline < last_deadline)


def live_applications(session: Session, need_id: int) -> Sequence[Application]:
    statement = (
        select(Application)
        .where(
            Application.need_id == need_id,
            Application.status.in_(LIVE_STATES - {"awarded"}),
        )
        .order_by(Application.id)
        .with_for_update()
    )
    return session.scalars(statement).all()
