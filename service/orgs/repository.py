from sqlalchemy import select
from sqlalchemy.orm import Session

from service.kit.identity import identity_key
from service.kit.pagination import PageParams, paginate
from service.models import Organization
from service.orgs.schemas import OrgFilter


def name_of(session: Session, org_id: int) -> str:
    org = session.get(Organization, org_id)
    return org.name if org is not None else ""


def by_name(session: Session, name: str) -> Organization | None:
    """The organisation whose name is `name` up to case, width and invisible characters."""
    return session.scalar(select(Organization).where(Organization.name_key == identity_key(name)))


def by_id(session: Session, org_id: int) -> Organization | None:
    return session.get(Organization, org_id)


def list_page(
    session: Session, filters: OrgFilter, page: PageParams
) -> tuple[list[Organization], int]:
    statement = select(Organization).order_by(Organization.id)
    if filters.kind:
        statement = statement.where(Organization.kind == filters.kind)
    if filters.q:
        statement = statement.where(Organization.name.contains(filters.q, autoescape=True))
    return paginate(session, statement, page)
