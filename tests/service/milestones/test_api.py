"""Milestones: every transition allowed and refused per role and state; amounts within the
winner's committed amount and the bounty."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.applications import service as applications
from service.kit.clock import today
from service.kit.errors import BadRequest, InvalidTransition
from service.milestones.lifecycle import MILESTONE_MACHINE
from service.models import AuditEvent, Milestone, Need, Notification, User
from service.models.enums import MilestoneStatus, OrgKind, Role
from tests.factories import (
    auth,
    create_application,
    create_milestone,
    create_need,
    create_org,
    create_user,
)
from tests.service.lifecycles import moves, moves_of

ROLES = ("owner", "winner", "member", "admin", "other_ent", "other_lab", "broker")
READERS = {"owner", "winner", "member", "admin"}
ALLOWED = {
    "agree": {"winner"},
    "decline": {"winner"},
    "submit": {"winner"},
    "accept": {"owner"},
    "return": {"owner"},
    "cancel": {"owner", "admin"},
    "pay": {"owner", "admin"},
}
BODY = {"reason": "测试理由", "note": "交付说明：样机与检测报告"}


@pytest.fixture
def deal(session: Session) -> dict:
    """A 300 万 need awarded in full to a 70/30 consortium (through the real award)."""
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, bounty=Decimal("3000000.00"))
    winner = create_user(session, Role.researcher)
    partner = create_org(session, OrgKind.institute)
    app = create_application(
        session, need, winner, status="shortlisted", members=[(partner, "30")], lead_share="70"
    )
    applications.award(session, owner, app.id, None)
    return {
        "owner": owner,
        "need": need,
        "app": app,
        "winner": winner,
        "member": create_user(session, Role.researcher, org=partner),
        "admin": create_user(session, Role.admin),
        "other_ent": create_user(session, Role.enterprise),
        "other_lab": create_user(session, Role.researcher),
        "broker": create_user(session, Role.broker),
    }


def _propose(client, deal: dict, user: User | None = None, **overrides: object):
    body: dict = {
        "application_id": deal["app"].id,
        "name": "中试样机交付",
        "due_date": (today() + timedelta(days=120)).isoformat(),
        "amount_wan": "100",
        "acceptance_criteria": "样机通过第三方检测，水汽透过率达标",
    }
    body.update(overrides)
    return client.post(
        f"/api/v1/needs/{deal['need'].id}/milestones",
        json=body,
        headers=auth(user or deal["owner"]),
    )


def _act(client, user: User, milestone_id: int, action: str, **body: object):
    return client.post(f"/api/v1/milestones/{milestone_id}/{action}", json=body, headers=auth(user))


def _status(session: Session, obj: type, obj_id: int) -> str:
    session.expire_all()
    return session.get(obj, obj_id).status  # type: ignore[attr-defined]


# The milestone lifecycle, written out apart from the machine.
LIFECYCLE = {
    "agree": ({"proposed"}, "pending"),
    "decline": ({"proposed"}, "cancelled"),
    "cancel": ({"proposed"}, "cancelled"),
    "submit": ({"pending", "returned"}, "submitted"),
    "accept": ({"submitted"}, "accepted"),
    "return": ({"submitted"}, "returned"),
    "pay": ({"accepted"}, "paid"),
    "void": ({"proposed", "pending", "submitted", "returned"}, "cancelled"),
}
MACHINE_CASES = [(a, s) for a in LIFECYCLE for s in MilestoneStatus]


@pytest.mark.parametrize(
    ("action", "state"), MACHINE_CASES, ids=[f"{a}-from-{s}" for a, s in MACHINE_CASES]
)
def test_machine_table(session: Session, deal: dict, action: str, state: str) -> None:
    milestone = create_milestone(session, deal["app"], status=state)
    sources, target = LIFECYCLE[action]
    if state in sources:
        MILESTONE_MACHINE.apply(session, milestone, action, deal["owner"].id, reason="理由")
        assert milestone.status == target
    else:
        with pytest.raises(InvalidTransition):
            MILESTONE_MACHINE.apply(session, milestone, action, deal["owner"].id, reason="理由")
        assert milestone.status == state


@pytest.mark.parametrize("action", ["decline", "return", "void"])
def test_reason_required(session: Session, deal: dict, action: str) -> None:
    source = sorted(MILESTONE_MACHINE.transitions[action].sources)[0]
    milestone = create_milestone(session, deal["app"], status=source)
    with pytest.raises(BadRequest):
        MILESTONE_MACHINE.apply(session, milestone, action, deal["owner"].id, reason=" ")


ROLE_CASES = [(a, r) for a in ALLOWED for r in ROLES]


@pytest.mark.parametrize(("action", "role"), ROLE_CASES, ids=[f"{a}-by-{r}" for a, r in ROLE_CASES])
def test_who_may_do_what(client, session: Session, deal: dict, action: str, role: str) -> None:
    deal["need"].status = "in_progress"
    source = sorted(MILESTONE_MACHINE.transitions[action].sources)[0]
    milestone = create_milestone(session, deal["app"], status=source)
    r = _act(client, deal[role], milestone.id, action, **BODY)
    if role in ALLOWED[action]:
        assert r.status_code == 200, r.text
        assert r.json()["status"] == MILESTONE_MACHINE.transitions[action].target
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "milestone", AuditEvent.object_id == milestone.id
            )
        ).one()
        assert (event.action, event.from_state, event.actor_id) == (action, source, deal[role].id)
        again = _act(client, deal[role], milestone.id, action, **BODY)  # not from the new state
        assert again.status_code == 409 and again.json()["error"] == "invalid_transition"
    else:
        assert r.status_code == (403 if role in READERS else 404), r.text
        assert _status(session, Milestone, milestone.id) == source


def test_wrong_state_is_409(client, session: Session, deal: dict) -> None:
    deal["need"].status = "in_progress"
    milestone = create_milestone(session, deal["app"], status="pending")
    for user, action in (("owner", "accept"), ("owner", "pay"), ("winner", "agree")):
        r = _act(client, deal[user], milestone.id, action, **BODY)
        assert r.status_code == 409 and r.json()["error"] == "invalid_transition", action


def test_the_whole_way_and_who_hears_it(client, session: Session, deal: dict) -> None:
    owner, winner, need = deal["owner"], deal["winner"], deal["need"]
    r = _propose(client, deal)
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["status"] == "proposed" and m["amount_wan"] == "100"
    assert m["org"]["id"] == winner.org_id
    assert _act(client, winner, m["id"], "agree").json()["actions"] == ["submit"]
    # the first agreed milestone starts the work, recorded with the winner as actor
    assert _status(session, Need, need.id) == "in_progress"
    start = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "need",
            AuditEvent.object_id == need.id,
            AuditEvent.action == "start",
        )
    ).one()
    assert start.actor_id == winner.id
    r = _act(client, winner, m["id"], "submit")
    assert r.status_code == 400 and r.json()["error"] == "note_required"
    assert _act(client, winner, m["id"], "submit", note="交付样机").status_code == 200
    r = _act(client, owner, m["id"], "return")
    assert r.status_code == 400 and r.json()["error"] == "reason_required"
    r = _act(client, owner, m["id"], "return", reason="检测报告缺失")
    assert r.json()["status"] == "returned" and r.json()["reason"] == "检测报告缺失"
    r = _act(client, winner, m["id"], "submit", note="补充检测报告")
    assert r.json()["delivery_note"] == "补充检测报告"
    assert _act(client, owner, m["id"], "accept").json()["status"] == "accepted"
    r = _act(client, deal["admin"], m["id"], "pay")
    assert r.json()["status"] == "paid" and r.json()["paid_at"] is not None
    history = client.get(f"/api/v1/milestones/{m['id']}/history", headers=auth(winner)).json()
    assert [h["action"] for h in history] == [
        "create", "agree", "submit", "return", "submit", "accept", "pay"
    ]  # fmt: skip
    assert history[3]["reason"] == "检测报告缺失" and history[2]["reason"] == "交付样机"

    def kinds(user: User) -> list[str]:  # what the milestones said (the award has its own)
        return list(
            session.scalars(
                select(Notification.kind)
                .where(Notification.user_id == user.id, Notification.kind != "application_awarded")
                .order_by(Notification.id)
            )
        )

    assert kinds(winner) == [
        "milestone_proposed",
        "need_started",
        "milestone_returned",
        "milestone_accepted",
        "milestone_paid",
    ]
    assert kinds(owner) == [
        "milestone_agreed",
        "need_started",
        "milestone_submitted",
        "milestone_submitted",
    ]
    assert kinds(deal["member"]) == ["need_started", "milestone_paid"]
    returned = session.scalars(
        select(Notification).where(
            Notification.user_id == winner.id, Notification.kind == "milestone_returned"
        )
    ).one()
    assert "检测报告缺失" in returned.body


def test_decline_and_cancel_free_the_amount(client, session: Session, deal: dict) -> None:
    first = _propose(client, deal, amount_wan="300").json()
    r = _propose(client, deal, amount_wan="0.01")
    assert r.status_code == 400 and r.json()["error"] == "amount_exceeds_committed"
    r = _act(client, deal["winner"], first["id"], "decline", reason="金额划分需重新商定")
    assert r.json()["status"] == "cancelled" and r.json()["reason"] == "金额划分需重新商定"
    second = _propose(client, deal, amount_wan="300").json()
    assert _act(client, deal["owner"], second["id"], "cancel").json()["status"] == "cancelled"
    assert _propose(client, deal, amount_wan="300").status_code == 201
    # cancelled milestones never start the work
    assert _status(session, Need, deal["need"].id) == "awarded"


def test_propose_refusals(client, session: Session, deal: dict) -> None:
    for role in ("winner", "member", "admin", "other_lab"):  # all see the awarded need
        r = _propose(client, deal, deal[role])
        assert r.status_code == 403, role
    assert _propose(client, deal, deal["other_ent"]).status_code == 403  # sees the need
    assert _propose(client, deal, deal["broker"]).status_code == 403
    r = client.post(f"/api/v1/needs/{deal['need'].id}/milestones", json={})
    assert r.status_code == 401
    loser = create_application(session, deal["need"], deal["other_lab"], status="rejected")
    r = _propose(client, deal, application_id=loser.id)
    assert r.status_code == 400 and r.json()["error"] == "not_a_winner"
    r = _propose(client, deal, due_date=(today() - timedelta(days=1)).isoformat())
    assert r.status_code == 400 and r.json()["error"] == "due_date_past"
    for bad in ({"amount_wan": "0"}, {"amount_wan": "-1"}, {"name": "x"}, {"due_date": "明天"}):
        assert _propose(client, deal, **bad).status_code == 422, bad
    r = _propose(client, deal, amount_wan="300.000001")
    assert r.status_code == 400 and r.json()["error"] == "amount_exceeds_committed"
    open_need = create_need(session, deal["owner"])
    r = client.post(
        f"/api/v1/needs/{open_need.id}/milestones",
        json={
            "application_id": deal["app"].id,
            "name": "样机",
            "due_date": (today() + timedelta(days=9)).isoformat(),
            "amount_wan": "1",
            "acceptance_criteria": "检测通过",
        },
        headers=auth(deal["owner"]),
    )
    assert r.status_code == 409 and r.json()["error"] == "need_not_in_progress"


def test_edit_only_while_proposed(client, session: Session, deal: dict) -> None:
    m = _propose(client, deal, amount_wan="200").json()
    url = f"/api/v1/milestones/{m['id']}"
    owner = auth(deal["owner"])
    r = client.patch(url, json={"version": m["version"], "amount_wan": "300.5"}, headers=owner)
    assert r.status_code == 400 and r.json()["error"] == "amount_exceeds_committed"
    r = client.patch(url, json={"version": m["version"], "name": None}, headers=owner)
    assert r.status_code == 400 and r.json()["error"] == "null_not_allowed"
    assert "name" in r.json()["detail"]  # which field, not only that one was null
    r = client.patch(url, json={"version": m["version"], "amount_wan": "250"}, headers=owner)
    assert r.status_code == 200 and r.json()["amount_wan"] == "250"
    r = client.patch(url, json={"version": m["version"], "name": "新名称"}, headers=owner)
    assert r.status_code == 409 and r.json()["error"] == "stale_version"
    version = r.json() and client.get(url, headers=owner).json()["version"]
    r = client.patch(url, json={"version": version, "name": "新名称"}, headers=auth(deal["winner"]))
    assert r.status_code == 403
    _act(client, deal["winner"], m["id"], "agree")
    version = client.get(url, headers=owner).json()["version"]
    r = client.patch(url, json={"version": version, "name": "新名称"}, headers=owner)
    assert r.status_code == 409


def test_need_state_gates_the_work(client, session: Session, deal: dict) -> None:
    pending = create_milestone(session, deal["app"], status="pending")
    accepted = create_milestone(session, deal["app"], status="accepted")
    deal["need"].status = "completed"
    r = _act(client, deal["winner"], pending.id, "submit", note="交付")
    assert r.status_code == 409 and r.json()["error"] == "need_not_in_progress"
    # accepted work is still paid after 验收 (or termination)
    assert _act(client, deal["owner"], accepted.id, "pay").status_code == 200
    deal["need"].status = "awarded"
    accepted2 = create_milestone(session, deal["app"], status="accepted")
    r = _act(client, deal["owner"], accepted2.id, "pay")
    assert r.status_code == 409 and r.json()["error"] == "need_not_in_progress"


def test_who_sees_milestones(client, session: Session, deal: dict) -> None:
    m = create_milestone(session, deal["app"])
    for role in READERS:
        r = client.get(f"/api/v1/needs/{deal['need'].id}/milestones", headers=auth(deal[role]))
        assert r.status_code == 200 and [x["id"] for x in r.json()] == [m.id], role
        assert client.get(f"/api/v1/milestones/{m.id}", headers=auth(deal[role])).status_code == 200
    for role in ("other_ent", "other_lab", "broker"):
        r = client.get(f"/api/v1/needs/{deal['need'].id}/milestones", headers=auth(deal[role]))
        assert r.status_code == 403 and r.json()["error"] == "not_a_party", role
        assert client.get(f"/api/v1/milestones/{m.id}", headers=auth(deal[role])).status_code == 404
    assert client.get(f"/api/v1/milestones/{m.id}").status_code == 401
    hidden = create_need(session, deal["owner"], status="in_progress", visibility="brokers_only")
    r = client.get(f"/api/v1/needs/{hidden.id}/milestones", headers=auth(deal["other_lab"]))
    assert r.status_code == 404


def test_two_winners_see_only_their_own(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    need = create_need(
        session, owner, bounty=Decimal("1000000.00"), cooperation_mode="joint_research"
    )
    labs = [create_user(session, Role.researcher) for _ in range(2)]
    apps = [create_application(session, need, lab) for lab in labs]
    applications.award(session, owner, apps[0].id, Decimal("60"))
    applications.award(session, owner, apps[1].id, Decimal("40"))
    deal = {"owner": owner, "need": need, "app": apps[0]}
    assert _propose(client, deal, amount_wan="60.000001").status_code == 400
    mine = _propose(client, deal, amount_wan="60").json()
    theirs = _propose(client, {**deal, "app": apps[1]}, amount_wan="40").json()
    url = f"/api/v1/needs/{need.id}/milestones"
    assert [m["id"] for m in client.get(url, headers=auth(owner)).json()] == [
        mine["id"],
        theirs["id"],
    ]
    assert [m["id"] for m in client.get(url, headers=auth(labs[0])).json()] == [mine["id"]]
    assert (
        client.get(f"/api/v1/milestones/{theirs['id']}", headers=auth(labs[0])).status_code == 404
    )
    ledger = client.get(f"/api/v1/needs/{need.id}/ledger", headers=auth(labs[1])).json()
    assert [w["application_id"] for w in ledger["winners"]] == [apps[1].id]
    assert ledger["planned_wan"] == "100"


def test_the_machine_is_the_lifecycle() -> None:
    """No action, source or target beyond the written lifecycle (births excepted)."""
    assert moves_of(MILESTONE_MACHINE) == moves(LIFECYCLE)
