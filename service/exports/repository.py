"""The rows each export reads, with what its columns need loaded up front."""

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from service.models import Application, ApplicationMember, Capability, Match, Need

P = TypeVar("P", Need, Capability)


def needs(session: Session, readable: ColumnElement[bool]) -> Sequence[Need]:
    return _postings(session, Need, readable)


def capabilities(session: Session, readable: ColumnElement[bool]) -> Sequence[Capability]:
    return _postings(session, Capability, readable)


def _postings(session: Session, model: type[P], readable: ColumnElement[bool]) -> Sequence[P]:
    """The readable postings of one kind with the organisation and field their rows name."""
    statement = (
        select(model)
        .where(readable)
        .options(selectinload(model.org), selectinload(model.field))
        .order_by(model.id)
    )
    return session.scalars(statement).all()


def applications(session: Session) -> Sequence[Application]:
    statement = (
        select(Application)
        .options(
            selectinload(Application.org),
            selectinload(Application.members).selectinload(ApplicationMember.org),
        )
        .order_by(Application.id)
    )
    return session.scalars(statement).all()


def need_titles(session: Session, need_ids: set[int]) -> dict[int, str]:
    rows = session.execute(select(Need.id, Need.title).where(Need.id.in_(need_ids)))
    return {need_id: title for need_id, title in rows}


def matches(session: Session) -> Sequence[Match]:
    statement = (
        select(Match)
        .options(
            selectinload(Match.need).selectinload(Need.org),
            selectinload(Match.capability).selectinload(Capability.org),
        )
        .order_by(Match.id)
    )
    return session.scalars(statement).all()
