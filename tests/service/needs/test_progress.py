"""The need after its award: start, completion (验收) and termination, per role and state."""

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.applications import service as applications
from service.models import ApplicationMember, AuditEvent, Need, Notification, Organization
from service.models.enums import NeedStatus, Role
from tests.factories import auth, create_application, create_milestone, create_need, create_user

ROLES = ("owner", "winner", "admin", "other_ent", "broker")


@pytest.fixture
def awarded(session: Session) -> dict:
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, bounty=Decimal("800000.00"))
    winner = create_user(session, Role.researcher)
    app = create_application(session, need, winner)
    applications.award(session, owner, app.id, None)
    return {
        "owner": owner,
        "need": need,
        "winner": winner,
        "app": app,
        "admin": create_user(session, Role.admin),
        "other_ent": create_user(session, Role.enterprise),
        "broker": create_user(session, Role.broker),
    }


def _post(client, user, need_id: int, action: str, reason: str | None = None):
    body = {"reason": reason} if reason else {}
    return client.post(f"/api/v1/needs/{need_id}/{action}", json=body, headers=auth(user))


def _status(session: Session, need_id: int) -> str:
    session.expire_all()
    return session.get(Need, need_id).status  # type: ignore[union-attr]


ALLOWED = {"start": {"owner", "admin"}, "complete": {"owner", "admin"}, "terminate": {"admin"}}
SOURCE = {"start": "awarded", "complete": "in_progress", "terminate": "in_progress"}
CASES = [(a, r) for a in ALLOWED for r in ROLES]


@pytest.mark.parametrize(("action", "role"), CASES, ids=[f"{a}-by-{r}" for a, r in CASES])
def test_roles(client, session: Session, awarded: dict, action: str, role: str) -> None:
    need = awarded["need"]
    need.status = SOURCE[action]
    create_milestone(session, awarded["app"], status="paid")
    r = _post(client, awarded[role], need.id, action, reason="项目方向调整")
    if role in ALLOWED[action]:
        assert r.status_code == 200, r.text
        target = {"start": "in_progress", "complete": "completed", "terminate": "terminated"}
        assert r.json()["status"] == target[action]
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "need",
                AuditEvent.object_id == need.id,
                AuditEvent.action == action,
            )
        ).one()
        assert event.actor_id == awarded[role].id and event.from_state == SOURCE[action]
    else:
        assert r.status_code == 403, r.text  # all of them can see the need, none may act
        assert _status(session, need.id) == SOURCE[action]


@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize("state", [s for s in NeedStatus])
def test_states(client, session: Session, awarded: dict, action: str, state: str) -> None:
    need = awarded["need"]
    need.status = state
    create_milestone(session, awarded["app"], status="accepted")
    r = _post(client, awarded["admin"], need.id, action, reason="理由")
    if state == "draft":
        assert r.status_code == 404  # admins never see other people's drafts
    elif state == SOURCE[action] or (action == "terminate" and state == "awarded"):
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == 409 and r.json()["error"] == "invalid_transition", r.text
        assert _status(session, need.id) == state


def test_completion_needs_every_milestone_accepted(client, session: Session, awarded: dict) -> None:
    need, owner = awarded["need"], awarded["owner"]
    need.status = "in_progress"
    r = _post(client, owner, need.id, "complete")
    assert r.status_code == 409 and r.json()["error"] == "milestones_open"  # none at all
    done = create_milestone(session, awarded["app"], status="paid")
    open_ = create_milestone(session, awarded["app"], name="第二阶段", status="submitted")
    create_milestone(session, awarded["app"], name="作废", status="cancelled")
    r = _post(client, owner, need.id, "complete")
    assert r.status_code == 409 and "第二阶段" in r.json()["detail"]
    open_.status = "accepted"
    session.flush()
    assert _post(client, owner, need.id, "complete").json()["status"] == "completed"
    assert done.status == "paid"
    told = session.scalars(
        select(Notification.user_id).where(Notification.kind == "need_completed")
    ).all()
    assert {awarded["owner"].id, awarded["winner"].id} <= set(told)


def test_termination_needs_an_admin_and_a_reason(client, session: Session, awarded: dict) -> None:
    need, owner, admin = awarded["need"], awarded["owner"], awarded["admin"]
    r = _post(client, owner, need.id, "terminate", reason="资金紧张")
    assert r.status_code == 403 and r.json()["error"] == "admin_required"
    r = _post(client, owner, need.id, "request-termination")
    assert r.status_code == 400 and r.json()["error"] == "reason_required"
    r = _post(client, awarded["winner"], need.id, "request-termination", reason="x")
    assert r.status_code == 403
    r = _post(client, owner, need.id, "request-termination", reason="市场变化，项目暂停")
    assert r.status_code == 200 and r.json()["status"] == "awarded"
    asked = session.scalars(
        select(Notification).where(
            Notification.kind == "termination_requested", Notification.user_id == admin.id
        )
    ).one()
    assert "市场变化" in asked.body
    r = _post(client, admin, need.id, "terminate")
    assert r.status_code == 400 and r.json()["error"] == "reason_required"
    paid = create_milestone(session, awarded["app"], status="paid")
    accepted = create_milestone(session, awarded["app"], status="accepted")
    open_ = [create_milestone(session, awarded["app"], status=s) for s in ("pending", "returned")]
    r = _post(client, admin, need.id, "terminate", reason="企业申请，经审核同意终止")
    assert r.status_code == 200 and r.json()["status"] == "terminated"
    # work not yet accepted is voided; accepted work stays owed and can still be paid
    session.expire_all()
    assert [m.status for m in (paid, accepted, *open_)] == [
        "paid", "accepted", "cancelled", "cancelled"
    ]  # fmt: skip
    void = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "milestone", AuditEvent.object_id == open_[0].id
        )
    ).one()
    assert (void.action, void.actor_id, void.reason) == (
        "void",
        admin.id,
        "企业申请，经审核同意终止",
    )
    r = client.post(f"/api/v1/milestones/{accepted.id}/pay", headers=auth(owner))
    assert r.status_code == 200 and r.json()["status"] == "paid"
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "need",
            AuditEvent.object_id == need.id,
            AuditEvent.action == "terminate",
        )
    ).one()
    assert event.reason == "企业申请，经审核同意终止"
    told = session.scalars(
        select(Notification).where(
            Notification.kind == "need_terminated", Notification.user_id == awarded["winner"].id
        )
    ).one()
    assert "经审核同意终止" in told.body
    r = _post(client, owner, need.id, "request-termination", reason="再次申请")
    assert r.status_code == 409


def test_owner_sees_the_buttons(client, session: Session, awarded: dict) -> None:
    url = f"/api/v1/needs/{awarded['need'].id}"
    assert "start" in client.get(url, headers=auth(awarded["owner"])).json()["actions"]
    assert "terminate" not in client.get(url, headers=auth(awarded["owner"])).json()["actions"]
    assert "terminate" in client.get(url, headers=auth(awarded["admin"])).json()["actions"]
    assert client.get(url, headers=auth(awarded["winner"])).json()["actions"] == ["milestones"]


PARTY_CASES = [
    (status, role)
    for status in ("awarded", "in_progress", "completed", "terminated")
    for role in (*ROLES, "member", "expert", "winner_broker", "visitor")
]


@pytest.mark.parametrize(("status", "role"), PARTY_CASES, ids=[f"{s}-{r}" for s, r in PARTY_CASES])
def test_milestones_action_tells_exactly_the_parties(
    client, session: Session, awarded: dict, status: str, role: str
) -> None:
    """`milestones` in the need's actions iff the milestone and ledger reads answer the caller:
    the web app asks only then, so a non-party's page logs no 401/403 (issue 12 item 12)."""
    need, app = awarded["need"], awarded["app"]
    member = create_user(session, Role.researcher)
    session.add(ApplicationMember(application_id=app.id, org_id=member.org_id, share=Decimal("0")))
    need.status = status
    session.flush()
    session.expire_all()  # the application's members, as a fresh request reads them
    winner_org = session.get(Organization, awarded["winner"].org_id)
    users = {
        **awarded,
        "member": member,
        "expert": create_user(session, Role.expert),
        # A broker who belongs to the winning organisation is still no party.
        "winner_broker": create_user(session, Role.broker, org=winner_org),
    }
    headers = auth(users[role]) if role != "visitor" else {}
    base = f"/api/v1/needs/{need.id}"
    read = client.get(base, headers=headers)  # a terminated need leaves the public board: 404
    told = read.status_code == 200 and "milestones" in read.json()["actions"]
    got = {part: client.get(f"{base}/{part}", headers=headers) for part in ("milestones", "ledger")}
    answers = {r.status_code for r in got.values()}
    assert told == (role in {"owner", "winner", "admin", "member"})
    assert answers == ({200} if told else answers - {200}), answers
    assert answers <= ({200, 401, 403} if read.status_code == 200 else {401, 404})


@pytest.mark.parametrize("status", ["published", "under_review"])
def test_no_milestones_action_before_the_award(
    client, session: Session, awarded: dict, status: str
) -> None:
    awarded["need"].status = status
    session.flush()
    for role in ("owner", "admin"):
        url = f"/api/v1/needs/{awarded['need'].id}"
        assert "milestones" not in client.get(url, headers=auth(awarded[role])).json()["actions"]
