from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from service.kit.identity import identity_key
from service.models import Organization


def name_of(session: Session, org_id: int) -> str:
    org = session.get(Organization, org_id)
    return org.name if org is not None else ""


def by_name(session: Session, name: str) -> Organization | None:
    """The organisation whose name is `name` up to case, width and invisible characters."""
    return session.scalar(select(Organization).where(Organization.name_key == identity_key(name)))


def list_statement(kind: str | None, q: str | None) -> Select[Any]:
    statement = select(Organization).order_by(Organization.id)
    if kind:
        statement = statement.where(Organization.kind == kind)
    if q:
        statement = statement.where(Organization.name.contains(q, autoescape=True))
    return statement
