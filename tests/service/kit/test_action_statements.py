"""Every lifecycle action runs a handful of SQL statements (issue 15): the row is read once,
locked, with what the answer needs, and never reloaded.

Counted from the request's start to its response, the caller's token lookup included; the
test's own savepoints are not statements the application runs and are left out.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from service.applications import service as applications
from service.models import User
from service.models.enums import OrgKind, Role
from tests.factories import (
    auth,
    create_application,
    create_capability,
    create_match,
    create_milestone,
    create_need,
    create_org,
    create_user,
)
from tests.service.review_market import FULL, make_panel
from tests.service.statements import statements

LIMIT = 6

Case = Callable[[Session], tuple[User, str, dict[str, Any]]]


def _need(session: Session, status: str, **kw: Any) -> tuple[User, Any]:
    owner = create_user(session, Role.enterprise)
    return owner, create_need(session, owner, status=status, **kw)


def _admin(session: Session) -> User:
    return create_user(session, Role.admin)


def need_case(action: str, status: str, by: str = "owner", **body: Any) -> Case:
    def make(session: Session) -> tuple[User, str, dict[str, Any]]:
        owner, need = _need(session, status)
        user = owner if by == "owner" else _admin(session)
        return user, f"/needs/{need.id}/{action}", body

    return make


def cap_case(action: str, status: str, by: str = "owner", **body: Any) -> Case:
    def make(session: Session) -> tuple[User, str, dict[str, Any]]:
        owner = create_user(session, Role.researcher)
        cap = create_capability(session, owner, status=status)
        user = owner if by == "owner" else _admin(session)
        return user, f"/capabilities/{cap.id}/{action}", body

    return make


def _awarded(session: Session) -> dict[str, Any]:
    owner, need = _need(session, "published", bounty=Decimal("800000.00"))
    winner = create_user(session, Role.researcher)
    app = create_application(session, need, winner)
    applications.award(session, owner, app.id, None)
    return {"owner": owner, "need": need, "winner": winner, "app": app}


def progress_case(action: str, status: str, by: str, **body: Any) -> Case:
    def make(session: Session) -> tuple[User, str, dict[str, Any]]:
        party = _awarded(session)
        party["need"].status = status
        create_milestone(session, party["app"], status="paid")
        user = party["owner"] if by == "owner" else _admin(session)
        return user, f"/needs/{party['need'].id}/{action}", body

    return make


def app_case(action: str, status: str = "submitted", by: str = "owner", **body: Any) -> Case:
    def make(session: Session) -> tuple[User, str, dict[str, Any]]:
        owner, need = _need(session, "published")
        lab = create_user(session, Role.researcher)
        app = create_application(session, need, lab, status=status)
        return (lab if by == "applicant" else owner), f"/applications/{app.id}/{action}", body

    return make


def membership_case(action: str, **body: Any) -> Case:
    def make(session: Session) -> tuple[User, str, dict[str, Any]]:
        owner, need = _need(session, "published")
        lab = create_user(session, Role.researcher)
        inst = create_org(session, OrgKind.institute)
        member = create_user(session, Role.researcher, org=inst)
        app = create_application(
            session, need, lab, status="forming", members=[(inst, "40")], lead_share="60"
        )
        app.members[1].status = "invited"
        return member, f"/applications/{app.id}/membership/{action}", body

    return make


def match_case(action: str, status: str, by: str = "broker", **body: Any) -> Case:
    def make(session: Session) -> tuple[User, str, dict[str, Any]]:
        # a deal waits for the end of the need's 揭榜 round
        owner, need = _need(session, "awarded" if action == "deal" else "published")
        cap = create_capability(session, create_user(session, Role.researcher))
        broker = create_user(session, Role.broker)
        interest = action == "connect"
        match = create_match(
            session,
            need,
            cap,
            status=status,
            broker_id=broker.id,
            need_interest=interest,
            capability_interest=interest,
        )
        return (owner if by == "owner" else broker), f"/matches/{match.id}/{action}", body

    return make


def milestone_case(action: str, status: str, by: str, **body: Any) -> Case:
    def make(session: Session) -> tuple[User, str, dict[str, Any]]:
        party = _awarded(session)
        if action != "agree":
            party["need"].status = "in_progress"
        milestone = create_milestone(session, party["app"], status=status)
        user = {"owner": party["owner"], "winner": party["winner"]}.get(by) or _admin(session)
        return user, f"/milestones/{milestone.id}/{action}", body

    return make


def review_case(action: str, **body: Any) -> Case:
    def make(session: Session) -> tuple[User, str, dict[str, Any]]:
        from service.reviews import service as reviews
        from service.reviews.schemas import AssignIn, ReviewIn

        panel = make_panel(session)
        data = AssignIn(expert_id=panel["expert"].id, application_ids=[panel["app2"].id])
        assignment = reviews.assign(session, panel["admin"], panel["need"].id, data)
        if action == "submit":
            sheet = ReviewIn(scores=FULL, comment="方案可行")
            reviews.save_review(session, panel["expert"], assignment.id, panel["app2"].id, sheet)
        user = panel["admin"] if action == "withdraw" else panel["expert"]
        return user, f"/review-assignments/{assignment.id}/{action}", body

    return make


CASES: dict[str, Case] = {
    "need submit": need_case("submit", "draft"),
    "need approve": need_case("approve", "submitted", "admin"),
    "need reject": need_case("reject", "submitted", "admin", reason="材料不全"),
    "need withdraw": need_case("withdraw", "published"),
    "need start": progress_case("start", "awarded", "owner"),
    "need complete": progress_case("complete", "in_progress", "owner"),
    "need terminate": progress_case("terminate", "in_progress", "admin", reason="方向调整"),
    "need request-termination": progress_case(
        "request-termination", "in_progress", "owner", reason="方向调整"
    ),
    "capability submit": cap_case("submit", "draft"),
    "capability approve": cap_case("approve", "submitted", "admin"),
    "capability reject": cap_case("reject", "submitted", "admin", reason="材料不全"),
    "capability archive": cap_case("archive", "published"),
    "application shortlist": app_case("shortlist"),
    "application reject": app_case("reject", reason="方案不符"),
    "application withdraw": app_case("withdraw", by="applicant"),
    "application award": app_case("award"),
    "membership confirm": membership_case("confirm"),
    "membership decline": membership_case("decline", reason="无法参与"),
    "match approve": match_case("approve", "candidate"),
    "match reject": match_case("reject", "candidate", reason="不相关"),
    "match recommend": match_case("recommend", "approved"),
    "match interest": match_case("interest", "recommended", "owner"),
    "match connect": match_case("connect", "recommended"),
    "match negotiate": match_case("negotiate", "connected"),
    "match deal": match_case("deal", "negotiating", contract_value_wan="50"),
    "match decline": match_case("decline", "negotiating", reason="价格不合"),
    "milestone agree": milestone_case("agree", "proposed", "winner"),
    "milestone decline": milestone_case("decline", "proposed", "winner", reason="金额不合"),
    "milestone cancel": milestone_case("cancel", "proposed", "owner"),
    "milestone submit": milestone_case("submit", "pending", "winner", note="样机已交付"),
    "milestone accept": milestone_case("accept", "submitted", "owner"),
    "milestone return": milestone_case("return", "submitted", "owner", reason="缺检测报告"),
    "milestone pay": milestone_case("pay", "accepted", "owner"),
    "review submit": review_case("submit"),
    "review decline": review_case("decline", reason="利益回避"),
    "review withdraw": review_case("withdraw", reason="重新安排"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_an_action_runs_few_statements(client, session: Session, name: str) -> None:
    user, path, body = CASES[name](session)
    headers = auth(user)
    session.commit()
    session.expunge_all()  # a fresh request: nothing is in the identity map yet
    with statements(session) as seen:
        r = client.post(f"/api/v1{path}", json=body or None, headers=headers)
    assert r.status_code == 200, r.text
    assert len(seen) <= LIMIT, "\n".join(s[:150] for s in seen)
