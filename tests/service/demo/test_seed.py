"""The demo marketplace loads through the real services and shows a living 榜单."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.demo import seed
from service.models import (
    Application,
    ApplicationMember,
    AuditEvent,
    Capability,
    Milestone,
    Need,
)
from service.models.enums import (
    ApplicationStatus,
    MemberStatus,
    MilestoneStatus,
    NeedStatus,
    Role,
)
from service.needs.lifecycle import PUBLIC_STATES


def test_demo_loads_and_lists_published_needs(client, session: Session) -> None:
    assert seed.is_empty(session)
    counts = seed.load(session)
    assert counts["needs"] >= 40 and counts["capabilities"] >= 120
    assert not seed.is_empty(session)
    fields = set(session.scalars(select(Need.field_code).distinct()))
    assert len(fields) == 13
    assert set(session.scalars(select(Capability.field_code).distinct())) == fields
    page = client.get("/api/v1/needs", params={"page_size": 100}).json()
    on_board = session.scalar(
        select(func.count())
        .select_from(Need)
        .where(Need.status.in_(PUBLIC_STATES), Need.visibility != "brokers_only")
    )
    assert page["total"] == on_board and on_board >= 40
    assert all(n["contact"] is None and n["status"] in PUBLIC_STATES for n in page["items"])
    # every demo posting carries its true history (created, submitted, approved …)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) > counts["needs"] * 2
    token = client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": seed.DEMO_PASSWORD}
    ).json()
    assert token["user"]["role"] == Role.admin
    _every_state(session)  # one load for both checks: the demo takes seconds to load


def _every_state(session: Session) -> None:
    """Needs, applications and milestones in every state, each with its real history."""
    for model, states in (
        (Need, NeedStatus),
        (Application, ApplicationStatus),
        (ApplicationMember, MemberStatus),
        (Milestone, MilestoneStatus),
    ):
        present = set(session.scalars(select(model.status).distinct()))
        assert present == {s.value for s in states}, model
    rejected = session.scalars(select(Need).where(Need.status == "rejected")).all()
    assert all(n.reject_reason for n in rejected)
    expired = session.scalars(select(Need).where(Need.status == "expired")).one()
    moves = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "need", AuditEvent.object_id == expired.id)
        .order_by(AuditEvent.id)  # PostgreSQL promises no order without one
    ).all()
    assert [e.to_state for e in moves][-2:] == ["under_review", "expired"]
    assert moves[-1].actor_id is None and moves[-1].reason
    # consortium members answered through the real service: audited, by their own staff
    answers = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "application_member", AuditEvent.from_state == "invited"
        )
    ).all()
    assert {e.action for e in answers} == {"confirm", "decline"}
    assert all(e.actor_id is not None for e in answers)
    paid = session.scalar(
        select(func.count()).select_from(Milestone).where(Milestone.status == "paid")
    )
    assert paid and paid >= 2
