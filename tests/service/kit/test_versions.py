"""Every lifecycle action moves the object's version exactly once.

A client that holds version v and performs an action may compute v + 1 for its next write;
a second bump inside the action (a column set after the transition's flush) refused it.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.applications import service as applications
from service.kit.clock import today
from service.models import Application, Capability, Match, Milestone, Need, ReviewAssignment
from service.models.enums import OrgKind, Role
from service.tick.deadlines import expire_unawarded
from tests.factories import (
    auth,
    create_application,
    create_capability,
    create_milestone,
    create_need,
    create_org,
    create_user,
)
from tests.service.match_market import build_market
from tests.service.review_market import FULL, assign, make_panel, score

REASON = {"reason": "测试理由：材料不完整"}

# Each case makes the object in a state and answers (path, actor, body, model, id).
Case = Callable[[Any, Session], tuple[str, Any, dict[str, Any], type, int]]


def _posting(
    kind: str, status: str, action: str, actor: str, body: dict[str, Any] | None = None
) -> Case:
    """A need (of an enterprise) or a capability (of a lab) in `status`."""
    model, role, factory, plural = {
        "need": (Need, Role.enterprise, create_need, "needs"),
        "capability": (Capability, Role.researcher, create_capability, "capabilities"),
    }[kind]

    def make(client: Any, session: Session) -> tuple[str, Any, dict[str, Any], type, int]:
        owner = create_user(session, role)
        posting = factory(session, owner, status=status)
        user = owner if actor == "owner" else create_user(session, Role.admin)
        return f"/api/v1/{plural}/{posting.id}/{action}", user, body or {}, model, posting.id

    return make


def _application(action: str, actor: str, body: dict[str, Any] | None = None) -> Case:
    def make(client: Any, session: Session) -> tuple[str, Any, dict[str, Any], type, int]:
        owner = create_user(session, Role.enterprise)
        need = create_need(session, owner)
        lab = create_user(session, Role.researcher)
        app = create_application(session, need, lab)
        user = {"owner": owner, "applicant": lab}[actor]
        path = f"/api/v1/applications/{app.id}/{action}"
        return path, user, body or {}, Application, app.id

    return make


def _milestone(status: str, action: str, actor: str, body: dict[str, Any] | None = None) -> Case:
    def make(client: Any, session: Session) -> tuple[str, Any, dict[str, Any], type, int]:
        owner = create_user(session, Role.enterprise)
        need = create_need(session, owner, bounty=Decimal("3000000.00"))
        lab = create_user(session, Role.researcher)
        app = create_application(session, need, lab, status="shortlisted")
        applications.award(session, owner, app.id, None)
        if status != "proposed":
            session.get(Need, need.id).status = "in_progress"  # type: ignore[union-attr]
        milestone = create_milestone(session, app, status=status)
        user = {"owner": owner, "winner": lab}[actor]
        path = f"/api/v1/milestones/{milestone.id}/{action}"
        return path, user, body or {}, Milestone, milestone.id

    return make


def _review(action: str) -> Case:
    def make(client: Any, session: Session) -> tuple[str, Any, dict[str, Any], type, int]:
        panel = make_panel(session)
        assignment = assign(client, panel, panel["expert"]).json()
        for app in (panel["app"], panel["app2"]):
            assert score(client, panel["expert"], assignment["id"], app.id, FULL).status_code == 200
        user = panel["admin"] if action == "withdraw" else panel["expert"]
        body = {} if action == "submit" else REASON
        path = f"/api/v1/review-assignments/{assignment['id']}/{action}"
        return path, user, body, ReviewAssignment, assignment["id"]

    return make


def _match(status: str, action: str, actor: str, body: dict[str, Any] | None = None) -> Case:
    def make(client: Any, session: Session) -> tuple[str, Any, dict[str, Any], type, int]:
        market = build_market(session)
        interested = {"need_interest": True, "capability_interest": True}
        if action == "deal":
            market.need.status = "awarded"  # a deal waits for the end of the need's 揭榜 round
        match = market.match(session, status=status, **(interested if action == "connect" else {}))
        path = f"/api/v1/matches/{match.id}/{action}"
        return path, market.users[actor], body or {}, Match, match.id

    return make


CASES: dict[str, Case] = {
    "match-approve": _match("candidate", "approve", "broker"),
    "match-reject": _match("candidate", "reject", "broker", REASON),
    "match-recommend": _match("approved", "recommend", "broker"),
    "match-interest": _match("recommended", "interest", "need_owner"),
    "match-connect": _match("recommended", "connect", "broker"),
    "match-deal": _match("negotiating", "deal", "admin", {"contract_value_wan": "88.5"}),
    "match-decline": _match("connected", "decline", "broker", REASON),
    "need-submit": _posting("need", "draft", "submit", "owner"),
    "need-approve": _posting("need", "submitted", "approve", "admin"),
    "need-reject": _posting("need", "submitted", "reject", "admin", REASON),
    "need-withdraw": _posting("need", "published", "withdraw", "owner"),
    "capability-submit": _posting("capability", "draft", "submit", "owner"),
    "capability-approve": _posting("capability", "submitted", "approve", "admin"),
    "capability-reject": _posting("capability", "submitted", "reject", "admin", REASON),
    "capability-archive": _posting("capability", "published", "archive", "owner"),
    "application-shortlist": _application("shortlist", "owner"),
    "application-reject": _application("reject", "owner", REASON),
    "application-withdraw": _application("withdraw", "applicant"),
    "application-award": _application("award", "owner"),
    "milestone-agree": _milestone("proposed", "agree", "winner"),
    "milestone-decline": _milestone("proposed", "decline", "winner", REASON),
    "milestone-cancel": _milestone("proposed", "cancel", "owner"),
    "milestone-submit": _milestone("pending", "submit", "winner", {"note": "样机与检测报告"}),
    "milestone-accept": _milestone("submitted", "accept", "owner"),
    "milestone-return": _milestone("submitted", "return", "owner", REASON),
    "milestone-pay": _milestone("accepted", "pay", "owner"),
    "review-submit": _review("submit"),
    "review-decline": _review("decline"),
    "review-withdraw": _review("withdraw"),
}


@pytest.mark.parametrize("case", CASES)
def test_action_bumps_version_once(client, session: Session, case: str) -> None:
    path, user, body, model, obj_id = CASES[case](client, session)
    session.commit()
    before = session.scalar(select(model.version).where(model.id == obj_id))
    r = client.post(path, json={**body, "version": before}, headers=auth(user))
    assert r.status_code == 200, r.text
    after = session.scalar(select(model.version).where(model.id == obj_id))
    assert after == before + 1
    if "version" in r.json():
        assert r.json()["version"] == after


def test_next_write_with_computed_version_is_accepted(client, session: Session) -> None:
    """The client's arithmetic: rejected at version v, it edits at v + 1 and resubmits."""
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, status="submitted")
    admin = create_user(session, Role.admin)
    v = need.version
    r = client.post(f"/api/v1/needs/{need.id}/reject", json=REASON, headers=auth(admin))
    assert r.status_code == 200
    r = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"title": "补充材料后的需求", "version": v + 1},
        headers=auth(owner),
    )
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/needs/{need.id}/submit", json={"version": v + 2}, headers=auth(owner))
    assert r.status_code == 200, r.text
    assert r.json()["version"] == v + 3 and r.json()["reject_reason"] == REASON["reason"]


def test_award_of_a_second_joint_winner_bumps_each_once(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, cooperation_mode="joint_research")
    first = create_application(session, need, create_user(session, Role.researcher))
    second = create_application(session, need, create_user(session, Role.researcher))
    applications.award(session, owner, first.id, Decimal("10"))
    session.commit()
    need_v, app_v = need.version, second.version
    r = client.post(
        f"/api/v1/applications/{second.id}/award",
        json={"amount_wan": "10", "version": app_v},
        headers=auth(owner),
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == app_v + 1
    assert session.scalar(select(Need.version).where(Need.id == need.id)) == need_v + 1


def test_tick_expiry_rejects_each_application_with_one_bump(session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, status="under_review", deadline=today() - timedelta(days=90))
    partner = create_org(session, OrgKind.institute)
    app = create_application(
        session,
        need,
        create_user(session, Role.researcher),
        members=[(partner, "20")],
        lead_share="80",
    )
    before = app.version
    assert expire_unawarded(session, today()) >= 1
    session.expire_all()
    app_after = session.get(Application, app.id)
    assert app_after is not None and app_after.status == "rejected"
    assert app_after.version == before + 1
