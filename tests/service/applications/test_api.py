"""揭榜 applications: who may apply, see, edit and decide; awards and their money."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from service.applications.lifecycle import APPLICATION_MACHINE
from service.kit.clock import today
from service.kit.errors import InvalidTransition
from service.models import Application, Need, User
from service.models.enums import ApplicationStatus, OrgKind, Role
from tests.factories import auth, create_capability, create_need, create_org, create_user
from tests.service.lifecycles import moves, moves_of


def proposal(**overrides: object) -> dict:
    body: dict = {
        "technical_plan": "采用原子层沉积叠层阻隔膜结合边缘密封胶，阻断侧向水汽渗透路径。",
        "work_plan": "第1–6个月完成工艺验证，第7–12个月导入产线试产，第13–18个月量产验收。",
        "assessable_goals": "85℃/85%RH 1000小时无发黄，良率不低于99%，提交检测报告。",
        "requested_amount_wan": "280",
        "timeline_months": 18,
        "team": "材料学院薄膜团队，教授2名、博士后3名",
    }
    body.update(overrides)
    return body


@pytest.fixture
def market(session: Session) -> dict[str, User | Need]:
    owner = create_user(session, Role.enterprise)
    return {
        "owner": owner,
        "need": create_need(session, owner, bounty=Decimal("3000000.00")),
        "lab": create_user(session, Role.researcher),
        "lab2": create_user(session, Role.researcher),
        "admin": create_user(session, Role.admin),
        "broker": create_user(session, Role.broker),
    }


def _apply(client, user: User, need: Need, **overrides: object):
    return client.post(
        f"/api/v1/needs/{need.id}/applications", json=proposal(**overrides), headers=auth(user)
    )


# The application lifecycle of docs/PRODUCT.md, written out apart from the machine.
LIFECYCLE = {
    "constitute": ({"forming"}, "submitted"),
    "dissolve": ({"forming"}, "dissolved"),
    "shortlist": ({"submitted"}, "shortlisted"),
    "reject": ({"submitted", "shortlisted"}, "rejected"),
    "award": ({"submitted", "shortlisted"}, "awarded"),
    "withdraw": ({"forming", "submitted", "shortlisted"}, "withdrawn"),
}
CASES = [(a, s) for a in LIFECYCLE for s in ApplicationStatus]


@pytest.mark.parametrize(("action", "state"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_machine_table(session: Session, market: dict, action: str, state: str) -> None:
    app = Application(
        need_id=market["need"].id,
        org_id=market["lab"].org_id,
        created_by_id=market["lab"].id,
        technical_plan="x",
        work_plan="x",
        assessable_goals="x",
        requested_amount=Decimal(1),
        timeline_months=1,
        team="x",
        status=state,
    )
    session.add(app)
    session.flush()
    sources, target = LIFECYCLE[action]
    if state in sources:
        APPLICATION_MACHINE.apply(session, app, action, market["owner"].id, reason="理由")
        assert app.status == target
    else:
        with pytest.raises(InvalidTransition):
            APPLICATION_MACHINE.apply(session, app, action, market["owner"].id, reason="理由")


def test_apply_and_who_sees_it(client, session: Session, market: dict) -> None:
    r = _apply(client, market["lab"], market["need"])
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["status"] == "submitted" and app["requested_amount_wan"] == "280"
    assert app["members"][0]["is_lead"] and app["members"][0]["share"] == "100"
    url = f"/api/v1/applications/{app['id']}"
    for viewer in ("lab", "owner", "admin"):
        assert client.get(url, headers=auth(market[viewer])).status_code == 200, viewer
    for viewer in ("lab2", "broker"):
        assert client.get(url, headers=auth(market[viewer])).status_code == 404, viewer
    assert client.get(url).status_code == 401
    # another applicant's list never contains this proposal
    _apply(client, market["lab2"], market["need"])
    mine = client.get("/api/v1/applications", headers=auth(market["lab2"])).json()["items"]
    assert [a["org"]["id"] for a in mine] == [market["lab2"].org_id]
    theirs = client.get(
        "/api/v1/applications", params={"need_id": market["need"].id}, headers=auth(market["owner"])
    ).json()
    assert theirs["total"] == 2


def test_apply_refusals(client, session: Session, market: dict) -> None:
    need, lab = market["need"], market["lab"]
    r = _apply(client, market["owner"], need)
    assert r.status_code == 403 and r.json()["error"] == "own_need"
    for role in ("broker", "admin"):
        assert _apply(client, market[role], need).status_code == 403
    assert _apply(client, lab, need).status_code == 201
    r = _apply(client, lab, need)
    assert r.status_code == 409 and r.json()["error"] == "duplicate_application"
    draft = create_need(session, market["owner"], status="draft")
    assert _apply(client, market["lab2"], draft).status_code == 404
    closed = create_need(session, market["owner"], status="under_review")
    r = _apply(client, market["lab2"], closed)
    assert r.status_code == 409 and r.json()["error"] == "need_not_open"
    late = create_need(session, market["owner"], deadline=today() - timedelta(days=1))
    r = _apply(client, market["lab2"], late)
    assert r.status_code == 409 and r.json()["error"] == "deadline_passed"
    for bad in (
        {"requested_amount_wan": "-3"},
        {"technical_plan": "短"},
        {"timeline_months": 0},
        {"members": [{"org_id": 1, "share": "150"}]},
    ):
        assert _apply(client, market["lab2"], need, **bad).status_code == 422, bad


def test_consortium_shares(client, session: Session, market: dict) -> None:
    partner = create_org(session, OrgKind.institute)
    partner2 = create_org(session, OrgKind.enterprise)
    need, lab = market["need"], market["lab"]
    r = _apply(client, lab, need, lead_share="60", members=[{"org_id": partner.id, "share": "30"}])
    assert r.status_code == 400 and r.json()["error"] == "shares_not_100"
    r = _apply(client, lab, need, lead_share="60", members=[{"org_id": need.org_id, "share": "40"}])
    assert r.status_code == 400 and r.json()["error"] == "invalid_member"
    r = _apply(
        client,
        lab,
        need,
        lead_share="33.34",
        members=[
            {"org_id": partner.id, "share": "33.33"},
            {"org_id": partner2.id, "share": "33.33"},
        ],
    )
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    for org in (partner, partner2):
        member = create_user(session, Role.researcher, org=org)
        r = client.post(f"/api/v1/applications/{app_id}/membership/confirm", headers=auth(member))
        assert r.status_code == 200, r.text
    assert r.json()["status"] == "submitted"
    r = client.post(
        f"/api/v1/applications/{app_id}/award",
        json={"amount_wan": "100"},
        headers=auth(market["owner"]),
    )
    assert r.status_code == 200
    parts = [Decimal(m["committed_wan"]) for m in r.json()["members"]]
    assert sum(parts) == Decimal("100") and parts == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]


def test_linked_capability_must_be_the_applicants(client, session: Session, market: dict) -> None:
    other_cap = create_capability(session, market["lab2"])
    r = _apply(client, market["lab"], market["need"], capability_id=other_cap.id)
    assert r.status_code == 400 and r.json()["error"] == "foreign_capability"
    own_cap = create_capability(session, market["lab"])
    r = _apply(client, market["lab"], market["need"], capability_id=own_cap.id)
    assert r.status_code == 201 and r.json()["capability_id"] == own_cap.id


def test_edit_and_withdraw(client, session: Session, market: dict) -> None:
    app = _apply(client, market["lab"], market["need"]).json()
    url = f"/api/v1/applications/{app['id']}"
    r = client.patch(
        url, json={"version": 1, "requested_amount_wan": "260.5"}, headers=auth(market["lab"])
    )
    assert r.status_code == 200 and r.json()["requested_amount_wan"] == "260.5"
    r = client.patch(url, json={"version": 1, "team": "旧版本"}, headers=auth(market["lab"]))
    assert r.status_code == 409
    r = client.patch(url, json={"version": 2, "team": "企业改"}, headers=auth(market["owner"]))
    assert r.status_code == 403
    assert client.post(f"{url}/withdraw", headers=auth(market["owner"])).status_code == 403
    assert (
        client.post(f"{url}/withdraw", headers=auth(market["lab"])).json()["status"] == "withdrawn"
    )
    # withdrawn frees the slot: the organisation may apply again
    assert _apply(client, market["lab"], market["need"]).status_code == 201


def test_shortlist_reject_with_reason_shown_to_applicant(
    client, session: Session, market: dict
) -> None:
    app = _apply(client, market["lab"], market["need"]).json()
    url = f"/api/v1/applications/{app['id']}"
    assert client.post(f"{url}/shortlist", headers=auth(market["lab"])).status_code == 403
    r = client.post(f"{url}/shortlist", headers=auth(market["owner"]))
    assert r.json()["status"] == "shortlisted"
    r = client.patch(
        url,
        json={"version": r.json()["version"], "team": "入围后修改"},
        headers=auth(market["lab"]),
    )
    assert r.status_code == 409
    r = client.post(f"{url}/reject", json={"reason": ""}, headers=auth(market["owner"]))
    assert r.status_code == 400 and r.json()["error"] == "reason_required"
    client.post(
        f"{url}/reject", json={"reason": "方案未覆盖边缘密封"}, headers=auth(market["owner"])
    )
    seen = client.get(url, headers=auth(market["lab"])).json()
    assert seen["status"] == "rejected" and seen["reject_reason"] == "方案未覆盖边缘密封"
    history = client.get(f"{url}/history", headers=auth(market["lab"])).json()
    assert [e["action"] for e in history] == ["create", "shortlist", "reject"]


def test_award_commits_the_bounty_once(client, session: Session, market: dict) -> None:
    need = market["need"]
    first = _apply(client, market["lab"], need).json()
    second = _apply(client, market["lab2"], need).json()
    r = client.post(f"/api/v1/applications/{first['id']}/award", headers=auth(market["lab"]))
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/applications/{first['id']}/award",
        json={"amount_wan": "301"},
        headers=auth(market["owner"]),
    )
    assert r.status_code == 400 and r.json()["error"] == "amount_exceeds_bounty"
    r = client.post(f"/api/v1/applications/{first['id']}/award", headers=auth(market["owner"]))
    assert r.status_code == 200 and r.json()["committed_wan"] == "300"
    r = client.post(f"/api/v1/applications/{second['id']}/award", headers=auth(market["owner"]))
    assert r.status_code == 409 and r.json()["error"] == "already_awarded"
    session.expire_all()
    assert session.get(Need, need.id).status == "awarded"  # type: ignore[union-attr]
    history = client.get(f"/api/v1/needs/{need.id}/history", headers=auth(market["owner"]))
    assert history.json()[-1]["action"] == "award"


def test_joint_research_awards_several_within_the_bounty(
    client, session: Session, market: dict
) -> None:
    need = create_need(
        session, market["owner"], cooperation_mode="joint_research", bounty=Decimal("1000000.00")
    )
    a = _apply(client, market["lab"], need).json()
    b = _apply(client, market["lab2"], need).json()
    owner = auth(market["owner"])
    assert (
        client.post(
            f"/api/v1/applications/{a['id']}/award", json={"amount_wan": "60"}, headers=owner
        ).status_code
        == 200
    )
    r = client.post(
        f"/api/v1/applications/{b['id']}/award", json={"amount_wan": "41"}, headers=owner
    )
    assert r.status_code == 400
    r = client.post(f"/api/v1/applications/{b['id']}/award", headers=owner)
    assert r.status_code == 200 and r.json()["committed_wan"] == "40"


def test_withdrawing_a_need_with_applications_needs_an_admin(
    client, session: Session, market: dict
) -> None:
    need = market["need"]
    _apply(client, market["lab"], need)
    r = client.post(f"/api/v1/needs/{need.id}/withdraw", headers=auth(market["owner"]))
    assert r.status_code == 409 and r.json()["error"] == "has_applications"
    r = client.post(
        f"/api/v1/needs/{need.id}/withdraw",
        json={"reason": "企业申请撤回"},
        headers=auth(market["admin"]),
    )
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"


def test_the_machine_is_the_lifecycle() -> None:
    """No action, source or target beyond the written lifecycle (births excepted)."""
    assert moves_of(APPLICATION_MACHINE) == moves(LIFECYCLE)
