from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from service.kit.repository import get_by_id
from service.milestones.lifecycle import LIVE_STATES
from service.models import Application, ApplicationMember, Milestone, Organization
from service.needs import repository as needs_repository


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


# A change reads the milestone with its winner (lead organisation) and its need in one
# statement, locking both rows: the milestone writes of one need are serialised, so the
# budget checks hold.
_WINNER = joinedload(Milestone.application, innerjoin=True).joinedload(
    Application.org, innerjoin=True
)


def for_change(
    session: Session, milestone_id: int, readable: ColumnElement[bool]
) -> Milestone | None:
    """The milestone (if `readable`) and its need, both locked, with its winner."""
    return get_by_id(
        session,
        Milestone,
        milestone_id,
        where=readable,
        options=(_WINNER,),
        for_update=True,
        lock_also={Milestone.need: needs_repository.RELATIONS},
    )


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


def winner_org_ids(need_id: int) -> Select[Any]:
    """The organisations (lead and members) of the awarded applications of a need."""
    return (
        select(ApplicationMember.org_id)
        .join(Application, Application.id == ApplicationMember.application_id)
        .where(Application.need_id == need_id, Application.status == "awarded")
    )


def member_org_ids(application_id: int) -> Select[Any]:
    """The organisations (lead and members) of one application."""
    return select(ApplicationMember.org_id).where(
        ApplicationMember.application_id == application_id
    )


def progress(session: Session, need_id: int) -> list[tuple[str, str | None, str | None]]:
    """(winner's lead organisation, live milestone's name, its status) of a need, in agreed
    order; a winner without a live milestone has one row with no milestone."""
    live = and_(Milestone.application_id == Application.id, Milestone.status.in_(LIVE_STATES))
    statement = (
        select(Organization.name, Milestone.name, Milestone.status)
        .select_from(Application)
        .join(Organization, Organization.id == Application.org_id)
        .outerjoin(Milestone, live)
        .where(Application.need_id == need_id, Application.status == "awarded")
        .order_by(Milestone.due_date, Milestone.id, Application.id)
    )
    return [(org, name, status) for org, name, status in session.execute(statement)]


def in_states(session: Session, need_id: int, states: Iterable[str]) -> Sequence[Milestone]:
    """A need's milestones in `states` (without their applications)."""
    statement = select(Milestone).where(Milestone.need_id == need_id, Milestone.status.in_(states))
    return session.scalars(statement.order_by(Milestone.id)).all()
