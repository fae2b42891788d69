"""The bounty ledger: exact to the cent, over-bounty refused, shown only to the parties."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from service.applications import service as applications
from service.kit.clock import today
from service.models import Milestone
from service.models.enums import OrgKind, Role
from tests.factories import (
    auth,
    create_application,
    create_milestone,
    create_need,
    create_org,
    create_user,
)


@pytest.fixture
def thirds(session: Session) -> dict:
    """100 万 awarded to a consortium split 33.34 / 33.33 / 33.33 %."""
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, bounty=Decimal("1000000.00"))
    lab = create_user(session, Role.researcher)
    p1, p2 = create_org(session, OrgKind.institute), create_org(session, OrgKind.enterprise)
    app = create_application(
        session, need, lab, members=[(p1, "33.33"), (p2, "33.33")], lead_share="33.34"
    )
    applications.award(session, owner, app.id, None)
    return {"owner": owner, "need": need, "lab": lab, "app": app, "partner": p1}


def _ledger(client, user, need_id: int):
    return client.get(f"/api/v1/needs/{need_id}/ledger", headers=auth(user))


def _propose(client, owner, need_id: int, app_id: int, amount: str):
    return client.post(
        f"/api/v1/needs/{need_id}/milestones",
        json={
            "application_id": app_id,
            "name": "阶段成果",
            "due_date": (today() + timedelta(days=30)).isoformat(),
            "amount_wan": amount,
            "acceptance_criteria": "按合同验收",
        },
        headers=auth(owner),
    )


def test_thirds_to_the_cent(client, session: Session, thirds: dict) -> None:
    owner, need, app = thirds["owner"], thirds["need"], thirds["app"]
    ids = []
    for _ in range(3):  # 33.333333 万 = 333,333.33 元, three times 999,999.99 元
        r = _propose(client, owner, need.id, app.id, "33.333333")
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    r = _propose(client, owner, need.id, app.id, "0.000002")  # two cents: one too many
    assert r.status_code == 400 and r.json()["error"] == "amount_exceeds_committed"
    assert "0.000001" in r.json()["detail"]
    ledger = _ledger(client, owner, need.id).json()
    assert ledger["bounty_wan"] == "100" and ledger["committed_wan"] == "100"
    assert ledger["uncommitted_wan"] == "0"
    assert ledger["planned_wan"] == "99.999999"
    winner = ledger["winners"][0]
    assert winner["unplanned_wan"] == "0.000001"
    assert [m["committed_wan"] for m in winner["members"]] == ["33.34", "33.33", "33.33"]
    assert _propose(client, owner, need.id, app.id, "0.000001").status_code == 201
    # two accepted, one of them paid
    for status, milestone_id in zip(("paid", "accepted"), ids[:2], strict=True):
        session.get(Milestone, milestone_id).status = status  # type: ignore[union-attr]
    session.flush()
    ledger = _ledger(client, owner, need.id).json()
    assert ledger["planned_wan"] == "100"
    assert ledger["accepted_wan"] == "66.666666" and ledger["paid_wan"] == "33.333333"
    assert ledger["payable_wan"] == "33.333333" and ledger["remaining_wan"] == "66.666667"
    assert ledger["milestones"]["proposed"] == "33.333334"
    winner = ledger["winners"][0]
    assert winner["remaining_wan"] == "66.666667"
    paid = [Decimal(m["paid_wan"]) for m in winner["members"]]
    # 333,333.33 元 by 33.34/33.33/33.33 %: each part rounded down, the lead takes the 2 cents
    assert paid == [Decimal("11.113335"), Decimal("11.109999"), Decimal("11.109999")]
    assert sum(paid) == Decimal("33.333333")


def test_partial_award_leaves_bounty_uncommitted(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    need = create_need(
        session, owner, bounty=Decimal("500000.00"), cooperation_mode="joint_research"
    )
    a, b = (create_user(session, Role.researcher) for _ in range(2))
    app_a = create_application(session, need, a)
    app_b = create_application(session, need, b)
    applications.award(session, owner, app_a.id, Decimal("20.5"))
    ledger = _ledger(client, owner, need.id).json()
    assert ledger["committed_wan"] == "20.5" and ledger["uncommitted_wan"] == "29.5"
    # the second award cannot exceed what is left of the bounty
    r = client.post(
        f"/api/v1/applications/{app_b.id}/award", json={"amount_wan": "29.51"}, headers=auth(owner)
    )
    assert r.status_code == 400 and r.json()["error"] == "amount_exceeds_bounty"
    applications.award(session, owner, app_b.id, Decimal("29.5"))
    assert _propose(client, owner, need.id, app_a.id, "20.51").status_code == 400
    create_milestone(session, app_b, amount=Decimal("295000.00"), status="paid")
    ledger = _ledger(client, owner, need.id).json()
    assert ledger["remaining_wan"] == "20.5" and ledger["paid_wan"] == "29.5"
    assert [w["remaining_wan"] for w in ledger["winners"]] == ["20.5", "0"]


def test_ledger_never_exceeds_the_bounty(client, session: Session, thirds: dict) -> None:
    """Even if a winner's commitment were wrong, the need total caps milestones."""
    app = thirds["app"]
    app.committed_amount = Decimal("2000000.00")  # corrupt on purpose: the bounty still holds
    session.flush()
    r = _propose(client, thirds["owner"], thirds["need"].id, app.id, "100.01")
    assert r.status_code == 400 and r.json()["error"] == "amount_exceeds_bounty"


def test_who_sees_the_ledger(client, session: Session, thirds: dict) -> None:
    need = thirds["need"]
    member = create_user(session, Role.researcher, org=thirds["partner"])
    for user in (thirds["owner"], thirds["lab"], member, create_user(session, Role.admin)):
        assert _ledger(client, user, need.id).status_code == 200
    for role in (Role.researcher, Role.broker, Role.enterprise, Role.expert):
        r = _ledger(client, create_user(session, role), need.id)
        assert r.status_code == 403 and r.json()["error"] == "not_a_party", role
    assert client.get(f"/api/v1/needs/{need.id}/ledger").status_code == 401
    assert _ledger(client, thirds["owner"], 999999).status_code == 404
    draft = create_need(session, thirds["owner"], status="draft")
    assert _ledger(client, create_user(session, Role.admin), draft.id).status_code == 404
