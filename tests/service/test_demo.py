"""The demo marketplace loads through the real services and shows a living 榜单."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.demo import loader
from service.models import AuditEvent, Capability, Need
from service.models.enums import Role


def test_demo_loads_and_lists_published_needs(client, session: Session) -> None:
    assert loader.is_empty(session)
    counts = loader.load(session)
    assert counts["needs"] >= 40 and counts["capabilities"] >= 120
    assert not loader.is_empty(session)
    fields = set(session.scalars(select(Need.field_code).distinct()))
    assert len(fields) == 13
    assert set(session.scalars(select(Capability.field_code).distinct())) == fields
    page = client.get("/api/v1/needs", params={"page_size": 100}).json()
    published = session.scalar(
        select(func.count())
        .select_from(Need)
        .where(Need.status == "published", Need.visibility != "brokers_only")
    )
    assert page["total"] == published and published >= 40
    assert all(n["contact"] is None and n["status"] == "published" for n in page["items"])
    # every demo posting carries its true history (created, submitted, approved …)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) > counts["needs"] * 2
    token = client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": loader.DEMO_PASSWORD}
    ).json()
    assert token["user"]["role"] == Role.admin
