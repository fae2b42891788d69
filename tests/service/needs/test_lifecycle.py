"""Every need transition, allowed and refused: the machine itself, then through the API."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.kit.clock import today
from service.kit.errors import BadRequest, InvalidTransition
from service.models import AuditEvent, Need
from service.models.enums import NeedStatus, Role
from service.needs.lifecycle import NEED_MACHINE
from tests.factories import auth, create_need, create_user
from tests.service.lifecycles import moves, moves_of

# The need lifecycle of docs/PRODUCT.md, written out apart from the machine: the table tests check
# that the machine is this lifecycle, not merely that it obeys itself.
LIFECYCLE = {
    "submit": ({"draft", "rejected"}, "submitted"),
    "approve": ({"submitted"}, "published"),
    "reject": ({"submitted"}, "rejected"),
    "close_applications": ({"published"}, "under_review"),
    "award": ({"published", "under_review"}, "awarded"),
    "start": ({"awarded"}, "in_progress"),
    "complete": ({"in_progress"}, "completed"),
    "terminate": ({"awarded", "in_progress"}, "terminated"),
    "expire": ({"published", "under_review"}, "expired"),
    "withdraw": ({"draft", "submitted", "rejected", "published"}, "withdrawn"),
}
CASES = [(action, state) for action in LIFECYCLE for state in NeedStatus]


@pytest.mark.parametrize(("action", "state"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_machine_allows_exactly_its_table(session: Session, action: str, state: NeedStatus) -> None:
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, status=state)
    sources, target = LIFECYCLE[action]
    if state in sources:
        NEED_MACHINE.apply(session, need, action, owner.id, reason="测试理由")
        assert need.status == target
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "need", AuditEvent.object_id == need.id
            )
        ).one()
        assert (event.from_state, event.to_state, event.action) == (
            state,
            target,
            action,
        )
        assert event.actor_id == owner.id
        assert event.reason == "测试理由"
    else:
        with pytest.raises(InvalidTransition):
            NEED_MACHINE.apply(session, need, action, owner.id, reason="测试理由")
        assert need.status == state
        assert not session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "need", AuditEvent.object_id == need.id
            )
        ).all()


@pytest.mark.parametrize(
    "action", [a for a, t in NEED_MACHINE.transitions.items() if t.reason_required]
)
def test_reason_is_required_where_the_table_says(session: Session, action: str) -> None:
    owner = create_user(session, Role.enterprise)
    source = sorted(NEED_MACHINE.transitions[action].sources)[0]
    need = create_need(session, owner, status=source)
    with pytest.raises(BadRequest):
        NEED_MACHINE.apply(session, need, action, owner.id, reason="   ")
    assert need.status == source


def _status(session: Session, need_id: int) -> str:
    session.expire_all()
    return session.get(Need, need_id).status  # type: ignore[union-attr]


def test_submit_approve_by_the_right_people(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    admin = create_user(session, Role.admin)
    need = create_need(session, owner, status="draft")
    assert client.post(f"/api/v1/needs/{need.id}/approve", headers=auth(admin)).status_code == 404
    r = client.post(f"/api/v1/needs/{need.id}/submit", headers=auth(owner))
    assert r.status_code == 200
    assert r.json()["status"] == "submitted"
    assert r.json()["actions"] == ["withdraw", "history"]
    # A second submit is a state error, not a silent success.
    r = client.post(f"/api/v1/needs/{need.id}/submit", headers=auth(owner))
    assert r.status_code == 409
    assert r.json()["error"] == "invalid_transition"
    r = client.post(f"/api/v1/needs/{need.id}/approve", headers=auth(admin))
    assert r.status_code == 200
    assert r.json()["status"] == "published"
    assert r.json()["published_at"] is not None
    r = client.post(f"/api/v1/needs/{need.id}/approve", headers=auth(admin))
    assert r.status_code == 409
    history = client.get(f"/api/v1/needs/{need.id}/history", headers=auth(owner)).json()
    assert [(e["action"], e["from_state"], e["to_state"]) for e in history] == [
        ("submit", "draft", "submitted"),
        ("approve", "submitted", "published"),
    ]


@pytest.mark.parametrize("role", [Role.enterprise, Role.researcher, Role.broker, Role.expert])
def test_only_admins_approve_or_reject(client, session: Session, role: Role) -> None:
    owner = create_user(session, Role.enterprise)
    other = create_user(session, role)
    need = create_need(session, owner, status="submitted")
    for action in ("approve", "reject"):
        r = client.post(
            f"/api/v1/needs/{need.id}/{action}", json={"reason": "不行"}, headers=auth(other)
        )
        assert r.status_code == 404, r.text  # a need under review is hidden from them
    # the owner cannot approve their own need either
    r = client.post(f"/api/v1/needs/{need.id}/approve", headers=auth(owner))
    assert r.status_code == 403
    assert r.json()["error"] == "not_allowed"
    assert _status(session, need.id) == "submitted"


def test_reject_needs_a_reason_and_shows_it_to_the_owner_only(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    admin = create_user(session, Role.admin)
    need = create_need(session, owner, status="submitted")
    r = client.post(f"/api/v1/needs/{need.id}/reject", json={"reason": " "}, headers=auth(admin))
    assert r.status_code == 400
    assert r.json()["error"] == "reason_required"
    assert _status(session, need.id) == "submitted"
    r = client.post(
        f"/api/v1/needs/{need.id}/reject", json={"reason": "技术指标不明确"}, headers=auth(admin)
    )
    assert r.status_code == 200
    assert r.json()["reject_reason"] == "技术指标不明确"
    mine = client.get(f"/api/v1/needs/{need.id}", headers=auth(owner)).json()
    assert mine["status"] == "rejected"
    assert mine["reject_reason"] == "技术指标不明确"
    assert "edit" in mine["actions"]
    assert "submit" in mine["actions"]
    # rejected goes back to the owner: edit and resubmit
    r = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"version": mine["version"], "title": "补充指标后的需求标题"},
        headers=auth(owner),
    )
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/needs/{need.id}/submit", headers=auth(owner))
    assert r.status_code == 200
    assert r.json()["status"] == "submitted"
    history = client.get(f"/api/v1/needs/{need.id}/history", headers=auth(admin)).json()
    assert [e["action"] for e in history] == ["reject", "submit"]
    assert history[0]["reason"] == "技术指标不明确"
    assert history[0]["actor_id"] == admin.id


def test_withdraw_by_owner_removes_it_from_the_board(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    other = create_user(session, Role.enterprise)
    need = create_need(session, owner, status="published")
    r = client.post(f"/api/v1/needs/{need.id}/withdraw", headers=auth(other))
    assert r.status_code == 403
    r = client.post(f"/api/v1/needs/{need.id}/withdraw", headers=auth(owner))
    assert r.status_code == 200
    assert r.json()["status"] == "withdrawn"
    assert need.id not in [n["id"] for n in client.get("/api/v1/needs").json()["items"]]
    r = client.post(f"/api/v1/needs/{need.id}/withdraw", headers=auth(owner))
    assert r.status_code == 409


def test_cannot_submit_or_approve_after_the_deadline(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    admin = create_user(session, Role.admin)
    late = create_need(session, owner, status="draft", deadline=today())
    r = client.post(f"/api/v1/needs/{late.id}/submit", headers=auth(owner))
    assert r.status_code == 409
    assert r.json()["error"] == "deadline_passed"
    stale = create_need(session, owner, status="submitted", deadline=today() - timedelta(days=1))
    r = client.post(f"/api/v1/needs/{stale.id}/approve", headers=auth(admin))
    assert r.status_code == 409
    assert _status(session, stale.id) == "submitted"


def test_history_is_for_owner_and_admin(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, status="published")
    for role in (Role.broker, Role.researcher, Role.enterprise):
        r = client.get(f"/api/v1/needs/{need.id}/history", headers=auth(create_user(session, role)))
        assert r.status_code == 403
    assert client.get(f"/api/v1/needs/{need.id}/history").status_code == 401
    admin = create_user(session, Role.admin)
    assert client.get(f"/api/v1/needs/{need.id}/history", headers=auth(admin)).status_code == 200


def test_the_machine_is_the_lifecycle() -> None:
    """No action, source or target beyond the written lifecycle (births excepted)."""
    assert moves_of(NEED_MACHINE) == moves(LIFECYCLE)
