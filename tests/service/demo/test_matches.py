"""The demo has matches in every state, each with a true history that the numbers agree with."""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.demo import seed
from service.models import AuditEvent, Match, User
from service.models.enums import MatchOrigin, MatchStatus
from tests.service.engine_support import assert_readable


def test_demo_matches(client, session: Session) -> None:
    counts = seed.load(session)
    rows = session.scalars(select(Match)).all()
    assert counts["matches"] == len(rows) >= 20
    assert {m.status for m in rows} == set(MatchStatus)
    for match in rows:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "match", AuditEvent.object_id == match.id)
            .order_by(AuditEvent.id)
        ).all()
        assert events[0].action in ("create", "add") and events[-1].to_state == match.status
        if match.status not in (MatchStatus.candidate, MatchStatus.rejected):
            assert match.broker_id is not None
        if match.origin == MatchOrigin.engine:
            assert match.score > 0
            assert_readable(match.reasons)
    deals = [m for m in rows if m.status == MatchStatus.deal]
    total = sum((m.contract_value or Decimal(0) for m in deals), Decimal(0))
    login = client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": seed.DEMO_PASSWORD}
    ).json()
    admin = {"Authorization": f"Bearer {login['access_token']}"}
    stats = client.get("/api/v1/stats", headers=admin).json()
    assert stats["deals"]["count"] == len(deals)
    assert Decimal(stats["deals"]["amount_wan"]) * 10000 == total
    brokers = session.scalars(select(User).where(User.role == "broker")).all()
    records = [client.get(f"/api/v1/brokers/{b.id}/record", headers=admin).json() for b in brokers]
    assert len(records) == 2 and all(r["deals"] > 0 for r in records)
    assert sum(Decimal(r["contract_value_wan"]) for r in records) * 10000 == total
    # the need's enterprise logs in and sees its recommendations, never candidates
    login = client.post(
        "/api/v1/auth/token", data={"username": "enterprise", "password": seed.DEMO_PASSWORD}
    ).json()
    mine = client.get(
        "/api/v1/matches", headers={"Authorization": f"Bearer {login['access_token']}"}
    ).json()
    assert mine["total"] > 0
    assert all(m["status"] not in ("candidate", "approved", "rejected") for m in mine["items"])
