from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from service.applications.lifecycle import LIVE_STATES, OPEN_STATES
from service.applications.schemas import ApplicationFilter
from service.kit.pagination import PageParams, paginate
from service.kit.repository import equal, get_by_id
from service.models import Application, ApplicationMember, Need
from service.needs import repository as needs_repository


def _with_relations(statement: Select[Any]) -> Select[Any]:
    return statement.options(
        selectinload(Application.org),
        selectinload(Application.members).selectinload(ApplicationMember.org),
    )


# An application's answer and its steps need its lead, members and need: joined, so one
# read serves the change and the answer. Read for a change, its members are locked with it
# (kit.repository.get_by_id's lock_also): a member's step that committed while this read
# waited for the lock is then seen (else two last confirmations would each see the other's
# member still invited); read to show, they are a query of their own.
_ORG = joinedload(Application.org, innerjoin=True)
_MEMBER_ORG = joinedload(ApplicationMember.org, innerjoin=True)
_NEED = joinedload(Application.need, innerjoin=True).options(*needs_repository.RELATIONS)
RELATIONS = (_ORG, selectinload(Application.members).options(_MEMBER_ORG), _NEED)


def get(
    session: Session,
    app_id: int,
    readable: ColumnElement[bool] | None = None,
    *,
    for_update: bool = False,
    lock_need: bool = False,
) -> Application | None:
    """The application (with its need) if `readable`; locked for a change with `for_update`
    (its members too), its need too with `lock_need`."""
    if not for_update:
        return get_by_id(session, Application, app_id, where=readable, options=RELATIONS)
    locked: dict[Any, Sequence[Any]] = {Application.members: (_MEMBER_ORG,)}
    if lock_need:
        locked[Application.need] = needs_repository.RELATIONS
    return get_by_id(
        session,
        Application,
        app_id,
        where=readable,
        options=(_ORG,) if lock_need else (_ORG, _NEED),
        for_update=True,
        lock_also=locked,
    )


def live_for_org(session: Session, need_id: int, org_id: int) -> Application | None:
    return session.scalar(
        select(Application).where(
            Application.need_id == need_id,
            Application.org_id == org_id,
            Application.status.in_(OPEN_STATES),
        )
    )


def forming_for_update(session: Session, need_id: int) -> Sequence[Application]:
    statement = (
        select(Application)
        .where(Application.need_id == need_id, Application.status == "forming")
        .order_by(Application.id)
        .with_for_update()
    )
    return session.scalars(_with_relations(statement)).all()


def count_live(session: Session, need_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.need_id == need_id, Application.status.in_(LIVE_STATES))
        )
        or 0
    )


def awarded(session: Session, need_id: int) -> Sequence[Application]:
    return session.scalars(
        select(Application).where(Application.need_id == need_id, Application.status == "awarded")
    ).all()


def committed_total(session: Session, need_id: int) -> Decimal:
    total = session.scalar(
        select(func.sum(Application.committed_amount)).where(
            Application.need_id == need_id, Application.status == "awarded"
        )
    )
    return Decimal(total or 0)


def list_page(
    session: Session, readable: ColumnElement[bool], filters: ApplicationFilter, page: PageParams
) -> tuple[list[Application], int]:
    statement = select(Application).where(readable)
    statement = statement.where(*equal(Application, filters, "need_id", "status"))
    return paginate(session, _with_relations(statement.order_by(Application.id.desc())), page)


def needs_of(session: Session, apps: Sequence[Application]) -> dict[int, Need]:
    """The needs `apps` answer, by id, in one query (their own columns only)."""
    ids = {a.need_id for a in apps}
    return {n.id: n for n in session.scalars(select(Need).where(Need.id.in_(ids)))} if ids else {}
