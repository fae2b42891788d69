"""Aggregated 专家论证 results: exact means, weighted overall, ranking, and who sees what."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from service.config import get_settings
from service.models import Organization, ReviewCriterion
from service.models.enums import Role
from service.reviews.results import weighted_overall
from tests.factories import auth, create_application, create_need, create_user
from tests.service.review_market import assign, make_panel, post, score

A = {"tech_advancement": 5, "feasibility": 4, "team_capability": 4, "budget_reasonableness": 3}
B = {"tech_advancement": 4, "feasibility": 4, "team_capability": 3, "budget_reasonableness": 4}
C = {"tech_advancement": 2, "feasibility": 3, "team_capability": 3, "budget_reasonableness": 5}


@pytest.fixture
def panel(session: Session) -> dict:
    return make_panel(session)


def _results(client, user, need_id: int):
    return client.get(f"/api/v1/needs/{need_id}/review-results", headers=auth(user))


def _review(client, expert, assignment_id: int, sheets: dict[int, dict]) -> None:
    for app_id, scores in sheets.items():
        assert score(client, expert, assignment_id, app_id, scores=scores).status_code == 200
    assert post(client, expert, assignment_id, "submit", comment="总体意见").status_code == 200


def test_means_overall_rank_and_views(client, session: Session, panel: dict) -> None:
    need, app, app2 = panel["need"], panel["app"], panel["app2"]
    e1, e2 = panel["expert"], panel["expert2"]
    a1 = assign(client, panel, e1).json()["id"]
    a2 = assign(client, panel, e2).json()["id"]
    e3 = create_user(session, panel["expert"].role)
    a3 = assign(client, panel, e3, application_ids=[app.id]).json()["id"]
    # before anything is submitted nothing is ranked, but the enterprise reads how many experts
    # are at work (not who) and by when the results are due: the deadline plus the review period
    empty = _results(client, panel["admin"], need.id).json()
    assert all(r["review_count"] == 0 and r["rank"] is None for r in empty["applications"])
    waiting = _results(client, panel["owner"], need.id).json()
    assert waiting["assignments"] == {"assigned": 3}
    assert waiting["deadline"] == need.deadline.isoformat()
    due = need.deadline + timedelta(days=get_settings().review_period_days)
    assert waiting["results_due"] == due.isoformat()
    assert (waiting["need_status"], waiting["need_status_label"]) == ("published", "张榜中")
    _review(client, e1, a1, {app.id: A, app2.id: C})
    _review(client, e2, a2, {app.id: B, app2.id: C})
    score(client, e3, a3, app.id, scores={"feasibility": 1})  # saved, never submitted

    r = _results(client, panel["admin"], need.id)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["view"] == "full"
    assert body["assignments"] == {"submitted": 2, "assigned": 1}
    first, second = body["applications"]
    assert (first["application_id"], first["rank"]) == (app.id, 1)
    assert (second["application_id"], second["rank"]) == (app2.id, 2)
    means = {c["code"]: c["mean"] for c in first["criteria"]}
    assert means == {
        "tech_advancement": "4.50",
        "feasibility": "4.00",
        "team_capability": "3.50",
        "budget_reasonableness": "3.50",
    }
    # weights 30/30/20/20: (4.5*30 + 4*30 + 3.5*20 + 3.5*20) / 100 = 3.95
    assert first["overall"] == "3.95" and first["review_count"] == 2
    # C everywhere: (2*30 + 3*30 + 3*20 + 5*20) / 100 = 3.10
    assert second["overall"] == "3.10"
    names = sorted(s["expert"]["display_name"] for s in first["sheets"])
    assert len(names) == 2 and first["sheets"][0]["scores"] in (A, B)
    assert first["sheets"][0]["overall_comment"] == "总体意见"

    # the posting enterprise: the same aggregate, no experts, no sheets
    owner_view = _results(client, panel["owner"], need.id).json()
    assert owner_view["view"] == "aggregate"
    assert [r["overall"] for r in owner_view["applications"]] == ["3.95", "3.10"]
    assert all(r["sheets"] is None for r in owner_view["applications"])
    text = _results(client, panel["owner"], need.id).text
    assert "吴专家" not in text and "钱专家" not in text and "总体意见" not in text
    # everyone else is refused; experts never see other experts' scores
    for role in ("expert", "expert2", "lab", "lab2", "broker", "outsider"):
        r = _results(client, panel[role], need.id)
        assert r.status_code == 403 and r.json()["error"] == "not_allowed", role
    assert client.get(f"/api/v1/needs/{need.id}/review-results").status_code == 401
    mine = client.get(f"/api/v1/review-assignments/{a1}", headers=auth(e1)).json()
    assert [s["scores"] for s in mine["reviews"]] == [A, C]

    # a withdrawn submitted review stops counting
    assert post(client, panel["admin"], a2, "withdraw", reason="发现利益关联").status_code == 200
    after = _results(client, panel["admin"], need.id).json()
    top = after["applications"][0]
    assert top["review_count"] == 1 and top["overall"] == "4.10"  # A alone: (150+120+80+60)/100


def test_ties_share_a_rank_and_unreviewed_come_last(client, session: Session, panel: dict) -> None:
    late = create_application(
        session, panel["need"], create_user(session, panel["lab"].role), status="submitted"
    )
    a = assign(client, panel, panel["expert"], application_ids=[panel["app"].id, panel["app2"].id])
    _review(client, panel["expert"], a.json()["id"], {panel["app"].id: B, panel["app2"].id: B})
    rows = _results(client, panel["admin"], panel["need"].id).json()["applications"]
    assert [(r["application_id"], r["rank"]) for r in rows] == [
        (panel["app"].id, 1),
        (panel["app2"].id, 1),
        (late.id, None),
    ]


def test_results_of_hidden_need_are_not_found(client, session: Session, panel: dict) -> None:
    draft = create_need(session, panel["owner"], status="draft", call_type="jiebang_guashuai")
    assert _results(client, panel["admin"], draft.id).status_code == 404
    assert _results(client, panel["owner"], draft.id).status_code == 200
    assert _results(client, panel["owner"], 10**9).status_code == 404


def test_weighted_overall_is_exact() -> None:
    criteria = [
        ReviewCriterion(code="a", name="甲", weight=Decimal(1)),
        ReviewCriterion(code="b", name="乙", weight=Decimal(2)),
    ]
    assert weighted_overall({"a": Decimal(5), "b": Decimal(4)}, criteria) == Decimal("4.33")
    assert weighted_overall({"a": Decimal(3)}, criteria) == Decimal("3.00")
    assert weighted_overall({}, criteria) is None


def test_a_review_whose_expert_became_conflicted_stays_flagged_until_the_admin_decides(
    client, session: Session, panel: dict
) -> None:
    """Issue 13 item 3: a later conflict never silently drops a submitted review."""
    need, app = panel["need"], panel["app"]
    a1 = assign(client, panel, panel["expert"], application_ids=[app.id]).json()["id"]
    a2 = assign(client, panel, panel["expert2"], application_ids=[app.id]).json()["id"]
    _review(client, panel["expert"], a1, {app.id: A})
    _review(client, panel["expert2"], a2, {app.id: C})
    before = _results(client, panel["admin"], need.id).json()["applications"][0]
    assert before["review_count"] == 2 and before["overall"] == "3.60"  # (4.10 + 3.10) / 2
    # A third lab lists expert2's university as a member, and the university confirms.
    lab3 = create_user(session, Role.researcher)
    expert_org = session.get(Organization, panel["expert2"].org_id)
    body = {**PROPOSAL, "lead_share": "70", "members": [{"org_id": expert_org.id, "share": "30"}]}
    r = client.post(f"/api/v1/needs/{need.id}/applications", json=body, headers=auth(lab3))
    assert r.status_code == 201 and r.json()["status"] == "forming"
    still = _results(client, panel["admin"], need.id).json()["applications"]
    assert [s["conflict_of_interest"] for r in still for s in r["sheets"]] == [False, False]
    colleague = create_user(session, Role.researcher, org=expert_org)
    url = f"/api/v1/applications/{r.json()['id']}/membership/confirm"
    assert client.post(url, headers=auth(colleague)).json()["status"] == "submitted"

    after = _results(client, panel["admin"], need.id).json()["applications"]
    top = next(r for r in after if r["application_id"] == app.id)
    assert top["review_count"] == 2 and top["overall"] == "3.60"  # still counted ...
    assert top["conflicted_count"] == 1  # ... and flagged
    flags = {s["expert"]["display_name"]: s["conflict_of_interest"] for s in top["sheets"]}
    assert flags == {"吴专家": False, "钱专家": True}
    seen = _results(client, panel["owner"], need.id).json()["applications"]
    assert next(r for r in seen if r["application_id"] == app.id)["conflicted_count"] == 1
    for user in (panel["admin"], panel["expert2"]):
        kinds = [n["kind"] for n in _inbox(client, user)]
        assert "review_conflict" in kinds, user.role
    assert "review_conflict" not in [n["kind"] for n in _inbox(client, panel["expert"])]
    # The admin decides: withdrawing the assignment stops it counting.
    r = post(client, panel["admin"], a2, "withdraw", reason="专家单位加入联合体，评分不予采纳")
    assert r.status_code == 200, r.text
    final = _results(client, panel["admin"], need.id).json()["applications"]
    top = next(r for r in final if r["application_id"] == app.id)
    assert top["review_count"] == 1 and top["overall"] == "4.10"


def _inbox(client, user) -> list[dict]:
    return client.get("/api/v1/notifications", headers=auth(user)).json()["items"]


PROPOSAL = {
    "technical_plan": "采用原子层沉积叠层阻隔膜结合边缘密封胶，阻断侧向水汽渗透路径。",
    "work_plan": "第1–6个月完成工艺验证，第7–12个月导入产线试产，第13–18个月量产验收。",
    "assessable_goals": "85℃/85%RH 1000小时无发黄，良率不低于99%，提交检测报告。",
    "requested_amount_wan": "280",
    "timeline_months": 18,
    "team": "材料学院薄膜团队，教授2名、博士后3名",
}


def test_criteria_are_data_the_bureau_manages(client, session: Session, panel: dict) -> None:
    admin = auth(panel["admin"])
    new = {"code": "industrial_value", "name": "产业化前景", "weight": "10", "sort_order": 50}
    for role in ("expert", "owner", "lab"):
        r = client.post("/api/v1/review-criteria", json=new, headers=auth(panel[role]))
        assert r.status_code == 403, role
    assert (
        client.post(
            "/api/v1/review-criteria", json={**new, "weight": "0"}, headers=admin
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/review-criteria", json={**new, "code": "坏"}, headers=admin
        ).status_code
        == 422
    )
    assert client.post("/api/v1/review-criteria", json=new, headers=admin).status_code == 201
    r = client.post("/api/v1/review-criteria", json=new, headers=admin)
    assert r.status_code == 409 and r.json()["error"] == "criterion_exists"
    r = client.patch(
        "/api/v1/review-criteria/budget_reasonableness", json={"is_active": False}, headers=admin
    )
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert client.patch("/api/v1/review-criteria/nope", json={}, headers=admin).status_code == 404
    codes = [c["code"] for c in client.get("/api/v1/review-criteria", headers=admin).json()]
    assert codes == ["tech_advancement", "feasibility", "team_capability", "industrial_value"]
    everything = client.get("/api/v1/review-criteria/all", headers=admin).json()
    assert len(everything) == 5
    assert (
        client.get("/api/v1/review-criteria/all", headers=auth(panel["expert"])).status_code == 403
    )
    # submitting now needs the new criterion and no longer the retired one
    a = assign(client, panel, panel["expert"], application_ids=[panel["app"].id]).json()["id"]
    three = {k: v for k, v in A.items() if k != "budget_reasonableness"}
    assert score(client, panel["expert"], a, panel["app"].id, scores=three).status_code == 200
    r = post(client, panel["expert"], a, "submit")
    assert r.status_code == 400 and "产业化前景" in r.json()["detail"]
    assert (
        score(
            client, panel["expert"], a, panel["app"].id, scores={"industrial_value": 5}
        ).status_code
        == 200
    )
    assert post(client, panel["expert"], a, "submit").status_code == 200
    row = _results(client, panel["admin"], panel["need"].id).json()["applications"][0]
    # (5*30 + 4*30 + 4*20 + 5*10) / 90 = 4.44
    assert [c["code"] for c in row["criteria"]][-1] == "industrial_value" and row[
        "overall"
    ] == "4.44"
