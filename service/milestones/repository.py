from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, selectinload

from service.milestones.lifecycle import LIVE_STATES
from service.models import Application, ApplicationMember, Milestone


def _with_relations(statement: Select[Any]) -> Select[Any]:
    return statement.options(
        selectinload(Milestone.application).selectinload(Application.org),
        selectinload(Milestone.application)
        .selectinload(Application.members)
        .selectinload(ApplicationMember.org),
    )


def get(session: Session, milestone_id: int, readable: ColumnElement[bool]) -> Milestone | None:
    statement = select(Milestone).where(Milestone.id == milestone_id, readable)
    return session.scalar(_with_relations(statement))


def get_for_update(session: Session, milestone_id: int) -> Milestone | None:
    statement = select(Milestone).where(Milestone.id == milestone_id).with_for_update()
    return session.scalar(_with_relations(statement).execution_options(populate_existing=True))


def for_need(session: Session, need_id: int) -> Sequence[Milestone]:
    """Every milestone of a need, in agreed order (due date, then id)."""
    statement = (
        select(Milestone)
        .where(Milestone.need_id == need_id)
        .order_by(Milestone.due_date, Milestone.id)
    )
    return session.scalars(_with_relations(statement)).all()


def planned(
    session: Session, *, need_id: int, application_id: int | None = None, exclude: int | None = None
) -> Decimal:
    """Sum of live milestone amounts, added in Python so it is exact on SQLite too."""
    statement = select(Milestone.amount).where(
        Milestone.need_id == need_id, Milestone.status.in_(LIVE_STATES)
    )
    if application_id is not None:
        statement = statement.where(Milestone.application_id == application_id)
    if exclude is not None:
        statement = statement.where(Milestone.id != exclude)
    return sum(session.scalars(statement), Decimal(0))


def winners(session: Session, need_id: int) -> Sequence[Application]:
    """The awarded applications of a need, with their organisations and members."""
    statement = (
        select(Application)
        .where(Application.need_id == need_id, Application.status == "awarded")
        .order_by(Application.id)
        .options(
            selectinload(Application.org),
            selectinload(Application.members).selectinload(ApplicationMember.org),
        )
    )
    return session.scalars(statement).all()
