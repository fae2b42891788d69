"""Statistics and broker records on a known dataset: exact counts and exact money."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from service.kit.actions import TransitionIn
from service.kit.money import wan_to_yuan
from service.matches import service as matches
from service.matches.lifecycle import MATCH_MACHINE
from service.matches.schemas import MatchCreate
from service.models import Application, Match, Need, User
from service.models.enums import Role
from tests.factories import auth, create_capability, create_match, create_need, create_user


@dataclass
class Dataset:
    broker_a: User
    broker_b: User
    admin: User
    owner: User
    lab: User


def _application(session: Session, need: Need, lab: User, status: str, committed: str | None):
    app = Application(
        need_id=need.id,
        org_id=lab.org_id,
        created_by_id=lab.id,
        technical_plan="方案",
        work_plan="计划",
        assessable_goals="目标",
        requested_amount=Decimal("100000.00"),
        timeline_months=12,
        team="团队",
        status=status,
        committed_amount=Decimal(committed) if committed else None,
    )
    session.add(app)
    session.flush()


def _to_deal(session: Session, data: Dataset, match: Match, broker: User, wan: str) -> None:
    for action in ("approve", "recommend"):
        matches.transition(session, broker, match.id, action, TransitionIn())
    matches.mark_interest(session, data.owner, match.id, None)
    matches.mark_interest(session, data.lab, match.id, None)
    for action in ("connect", "negotiate"):
        matches.transition(session, broker, match.id, action, TransitionIn())
    # Signed by the machine itself: the dataset's needs keep their listed states for the
    # figures, though a broker may sign only after the need's 揭榜 round (tests/service/matches).
    value = {"contract_value": wan_to_yuan(Decimal(wan))}
    MATCH_MACHINE.apply(session, match, "deal", broker.id, changes=value)
    session.flush()


@pytest.fixture
def data(session: Session) -> Dataset:
    owner = create_user(session, Role.enterprise)
    lab = create_user(session, Role.researcher)
    d = Dataset(
        broker_a=create_user(session, Role.broker, display_name="经纪人甲"),
        broker_b=create_user(session, Role.broker, display_name="经纪人乙"),
        admin=create_user(session, Role.admin),
        owner=owner,
        lab=lab,
    )
    n1 = create_need(session, owner, field_code="display", bounty=Decimal("1000100.00"))
    n2 = create_need(
        session, owner, field_code="display", bounty=Decimal("500000"), visibility="brokers_only"
    )
    n3 = create_need(
        session, owner, "under_review", field_code="intelligent_manufacturing", bounty=Decimal(300)
    )
    create_need(session, owner, "draft", field_code="display", bounty=Decimal("9990000"))
    n5 = create_need(
        session,
        owner,
        "awarded",
        field_code="new_materials",
        bounty=Decimal("2005000"),
        visibility="anonymous",
    )
    create_need(session, owner, "submitted", field_code="display", bounty=Decimal("70000"))
    _application(session, n5, lab, "awarded", "2005000.00")
    _application(session, n2, lab, "awarded", "100000.00")
    _application(session, n1, lab, "submitted", None)
    _application(session, n3, lab, "rejected", None)
    c1, c2, c3 = (create_capability(session, lab) for _ in range(3))

    _to_deal(session, d, create_match(session, n1, c1), d.broker_a, "12.345678")
    _to_deal(session, d, create_match(session, n2, c1), d.broker_b, "0.01")
    m3 = create_match(session, n1, c2)
    matches.transition(session, d.broker_a, m3.id, "approve", TransitionIn())
    matches.transition(session, d.broker_a, m3.id, "recommend", TransitionIn())
    matches.mark_interest(session, owner, m3.id, None)
    matches.mark_interest(session, lab, m3.id, None)
    matches.transition(session, d.broker_a, m3.id, "connect", TransitionIn())
    matches.transition(session, d.broker_a, m3.id, "decline", TransitionIn(reason="报价差距大"))
    m4 = create_match(session, n3, c1)
    matches.transition(session, d.broker_a, m4.id, "reject", TransitionIn(reason="已进入评审"))
    create_match(session, n3, c2)
    matches.add_manual(session, d.broker_b, MatchCreate(need_id=n1.id, capability_id=c3.id))
    return d


def test_public_stats(client, data: Dataset) -> None:
    r = client.get("/api/v1/stats/public")
    assert r.status_code == 200, r.text
    body = r.json()
    needs = body["needs"]
    assert (needs["count"], needs["bounty_wan"]) == (3, "300.54")
    by_field = {f["field"]: (f["count"], f["bounty_wan"]) for f in needs["by_field"]}
    assert by_field == {
        "display": (1, "100.01"),
        "intelligent_manufacturing": (1, "0.03"),
        "new_materials": (1, "200.5"),
    }
    by_status = {s["status"]: (s["count"], s["bounty_wan"]) for s in needs["by_status"]}
    assert by_status == {
        "published": (1, "100.01"),
        "under_review": (1, "0.03"),
        "awarded": (1, "200.5"),
    }
    assert body["awards"] == {"count": 1, "amount_wan": "200.5"}
    assert body["deals"] == {"count": 1, "amount_wan": "12.345678"}


def test_admin_stats(client, data: Dataset) -> None:
    r = client.get("/api/v1/stats", headers=auth(data.admin))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["needs"]["count"], body["needs"]["bounty_wan"]) == (6, "1356.54")
    by_status = {s["status"]: (s["count"], s["bounty_wan"]) for s in body["needs"]["by_status"]}
    assert by_status == {
        "draft": (1, "999"),
        "submitted": (1, "7"),
        "published": (2, "150.01"),
        "under_review": (1, "0.03"),
        "awarded": (1, "200.5"),
    }
    by_field = {f["field"]: (f["count"], f["bounty_wan"]) for f in body["needs"]["by_field"]}
    assert by_field["display"] == (4, "1156.01")
    assert body["awards"] == {"count": 2, "amount_wan": "210.5"}
    assert body["deals"] == {"count": 2, "amount_wan": "12.355678"}
    apps = {s["status"]: s["count"] for s in body["applications_by_status"]}
    assert apps == {
        "forming": 0,
        "submitted": 1,
        "shortlisted": 0,
        "awarded": 2,
        "rejected": 1,
        "withdrawn": 0,
        "dissolved": 0,
    }
    assert {s["status"]: s["count"] for s in body["capabilities_by_status"]}["published"] == 3
    current = {s["status"]: s["count"] for s in body["matches_by_status"] if s["count"]}
    assert current == {"candidate": 1, "approved": 1, "rejected": 1, "deal": 2, "declined": 1}
    funnel = [(s["status"], s["count"]) for s in body["match_funnel"]]
    assert funnel == [
        ("candidate", 5),
        ("approved", 4),
        ("recommended", 3),
        ("connected", 3),
        ("deal", 2),
    ]
    ranks = [
        (b["broker"]["name"], b["approved"], b["deals"], b["contract_value_wan"])
        for b in body["brokers"]
    ]
    assert ranks == [("经纪人甲", 2, 1, "12.345678"), ("经纪人乙", 2, 1, "0.01")]


def test_stats_refusals(client, data: Dataset) -> None:
    assert client.get("/api/v1/stats").status_code == 401
    for user in (data.broker_a, data.owner, data.lab):
        r = client.get("/api/v1/stats", headers=auth(user))
        assert r.status_code == 403 and r.json()["error"] == "wrong_role"


def test_broker_records(client, session: Session, data: Dataset) -> None:
    a = client.get(f"/api/v1/brokers/{data.broker_a.id}/record", headers=auth(data.admin))
    assert a.status_code == 200, a.text
    assert a.json() == {
        "broker": {"id": data.broker_a.id, "name": "经纪人甲"},
        "approved": 2,
        "rejected": 1,
        "recommended": 2,
        "connected": 2,
        "deals": 1,
        "contract_value_wan": "12.345678",
    }
    mine = client.get("/api/v1/brokers/me/record", headers=auth(data.broker_b)).json()
    assert (mine["approved"], mine["rejected"], mine["recommended"], mine["deals"]) == (2, 0, 1, 1)
    assert mine["contract_value_wan"] == "0.01"
    own = client.get(f"/api/v1/brokers/{data.broker_b.id}/record", headers=auth(data.broker_b))
    assert own.json() == mine
    r = client.get(f"/api/v1/brokers/{data.broker_a.id}/record", headers=auth(data.broker_b))
    assert r.status_code == 403 and r.json()["error"] == "not_allowed"
    for user in (data.owner, data.lab):
        assert client.get("/api/v1/brokers/me/record", headers=auth(user)).status_code == 403
    r = client.get(f"/api/v1/brokers/{data.owner.id}/record", headers=auth(data.admin))
    assert r.status_code == 404 and r.json()["error"] == "not_a_broker"
    assert client.get("/api/v1/brokers/999999/record", headers=auth(data.admin)).status_code == 404
    assert client.get("/api/v1/brokers/me/record").status_code == 401
    fresh = create_user(session, Role.broker)
    empty = client.get("/api/v1/brokers/me/record", headers=auth(fresh)).json()
    assert (empty["approved"], empty["deals"], empty["contract_value_wan"]) == (0, 0, "0")
