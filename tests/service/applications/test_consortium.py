"""Consortium consent (issue 13, item 3): members confirm before the application counts.

A consortium application is `forming` until every member organisation's staff confirmed;
only then does the posting enterprise see it (and may shortlist or award it). A decline
dissolves it and frees the lead to apply again; so does a deadline passing while forming.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.kit.clock import today
from service.models import AuditEvent, Need, Notification, Organization, ReviewAssignment, User
from service.models.enums import OrgKind, Role
from service.tick import deadlines
from tests.factories import auth, create_need, create_org, create_user
from tests.service.applications.test_api import proposal


@pytest.fixture
def consortium(client, session: Session) -> dict:
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner)
    lab = create_user(session, Role.researcher)
    inst, firm = create_org(session, OrgKind.institute), create_org(session, OrgKind.enterprise)
    people = {
        "inst_staff": create_user(session, Role.researcher, org=inst),
        "firm_staff": create_user(session, Role.enterprise, org=firm),
        "inst_expert": create_user(session, Role.expert, org=inst),
        "inst_broker": create_user(session, Role.broker, org=inst),
        "admin": create_user(session, Role.admin),
        "stranger": create_user(session, Role.researcher),
    }
    body = proposal(
        lead_share="50",
        members=[{"org_id": inst.id, "share": "30"}, {"org_id": firm.id, "share": "20"}],
    )
    r = client.post(f"/api/v1/needs/{need.id}/applications", json=body, headers=auth(lab))
    assert r.status_code == 201, r.text
    return {
        "owner": owner,
        "need": need,
        "lab": lab,
        "app": r.json(),
        **people,
    }


def _decide(client, user: User, app_id: int, action: str, **body):
    url = f"/api/v1/applications/{app_id}/membership/{action}"
    return client.post(url, json=body or None, headers=auth(user))


def _kinds(session: Session, user: User) -> list[str]:
    statement = select(Notification.kind).where(Notification.user_id == user.id)
    return list(session.scalars(statement.order_by(Notification.id)))


@pytest.mark.parametrize("kind", [OrgKind.government, OrgKind.broker_agency])
def test_only_enterprises_universities_and_institutes_join(
    client, session: Session, kind: OrgKind
) -> None:
    owner, lab = create_user(session), create_user(session, Role.researcher)
    need = create_need(session, owner)
    bureau = create_org(session, kind)
    body = proposal(lead_share="70", members=[{"org_id": bureau.id, "share": "30"}])
    r = client.post(f"/api/v1/needs/{need.id}/applications", json=body, headers=auth(lab))
    assert r.status_code == 400 and r.json()["error"] == "member_not_eligible"
    assert bureau.name in r.json()["detail"]
    # nor does its staff lead one (an admin may have filed a researcher under it)
    staff = create_user(session, Role.researcher, org=bureau)
    r = client.post(f"/api/v1/needs/{need.id}/applications", json=proposal(), headers=auth(staff))
    assert r.status_code == 403 and r.json()["error"] == "applicant_not_eligible"


def test_forming_until_every_member_confirms(client, session: Session, consortium: dict) -> None:
    c = consortium
    app = c["app"]
    assert app["status"] == "forming" and app["status_label"] == "待成员确认"
    states = [(m["is_lead"], m["status"]) for m in app["members"]]
    assert states == [(True, "confirmed"), (False, "invited"), (False, "invited")]
    url = f"/api/v1/applications/{app['id']}"
    # The posting enterprise neither sees nor hears of it, so cannot shortlist or award it.
    owner = auth(c["owner"])
    assert client.get(url, headers=owner).status_code == 404
    listed = client.get("/api/v1/applications", headers=owner).json()
    assert listed["total"] == 0
    assert client.post(f"{url}/shortlist", headers=owner).status_code == 404
    assert client.post(f"{url}/award", json={}, headers=owner).status_code == 404
    r = client.post(f"{url}/award", json={}, headers=auth(c["admin"]))
    assert r.status_code == 409 and r.json()["error"] == "invalid_transition"
    assert _kinds(session, c["owner"]) == []
    # Each member organisation's staff are invited, with a link; its expert and broker are not.
    for staff in (c["inst_staff"], c["firm_staff"]):
        assert _kinds(session, staff) == ["consortium_invited"]
        note = client.get("/api/v1/notifications", headers=auth(staff)).json()["items"][0]
        assert note["link"] == f"/applications/{app['id']}"
        seen = client.get(url, headers=auth(staff)).json()
        assert seen["actions"] == ["confirm_membership", "decline_membership"]
    for outsider in (c["inst_expert"], c["inst_broker"]):
        assert _kinds(session, outsider) == []
    assert client.get(url, headers=auth(c["lab"])).json()["actions"] == ["edit", "withdraw"]

    r = _decide(client, c["inst_staff"], app["id"], "confirm")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "forming" and r.json()["version"] > app["version"]
    inst_row = r.json()["members"][1]
    assert inst_row["status"] == "confirmed" and inst_row["decided_at"]
    assert r.json()["actions"] == []
    assert client.get(url, headers=owner).status_code == 404
    r = _decide(client, c["firm_staff"], app["id"], "confirm", version=r.json()["version"])
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    assert _kinds(session, c["owner"]) == ["application_received"]
    assert _kinds(session, c["lab"]) == ["consortium_confirmed", "consortium_confirmed"]
    assert client.get(url, headers=owner).status_code == 200
    assert client.post(f"{url}/shortlist", headers=owner).status_code == 200
    # Audited: who confirmed, from what to what; the application's own step too.
    audit = client.get(
        "/api/v1/audit", params={"object_type": "application_member"}, headers=auth(c["admin"])
    ).json()["items"]
    assert sorted(e["action"] for e in audit) == ["confirm", "confirm", "invite", "invite"]
    history = client.get(f"{url}/history", headers=auth(c["lab"])).json()
    assert [e["action"] for e in history] == ["form", "constitute", "shortlist"]
    assert history[1]["actor_id"] == c["firm_staff"].id


def test_confirm_and_decline_refusals(client, session: Session, consortium: dict) -> None:
    c = consortium
    app_id = c["app"]["id"]
    r = _decide(client, c["lab"], app_id, "confirm")  # the lead is no invited member
    assert r.status_code == 403 and r.json()["error"] == "not_a_member"
    for role in ("stranger", "inst_expert", "inst_broker", "owner"):
        assert _decide(client, c[role], app_id, "confirm").status_code == 404, role
    r = _decide(client, c["admin"], app_id, "confirm")  # admins read it but are no member
    assert r.status_code == 403 and r.json()["error"] == "not_a_member"
    r = _decide(client, c["inst_staff"], app_id, "decline")
    assert r.status_code == 400 and r.json()["error"] == "reason_required"
    r = _decide(client, c["inst_staff"], app_id, "confirm", version=99)
    assert r.status_code == 409 and r.json()["error"] == "stale_version"
    r = _decide(client, c["inst_staff"], app_id, "confirm", extra=1)
    assert r.status_code == 422
    assert _decide(client, c["inst_staff"], app_id, "confirm").status_code == 200
    r = _decide(client, c["inst_staff"], app_id, "confirm")
    assert r.status_code == 409 and r.json()["error"] == "invalid_transition"
    r = _decide(client, c["inst_staff"], app_id, "decline", reason="改变主意")
    assert r.status_code == 409
    assert client.get("/api/v1/applications/999999", headers=auth(c["lab"])).status_code == 404


def test_a_decline_dissolves_it_and_the_lead_may_apply_again(
    client, session: Session, consortium: dict
) -> None:
    c = consortium
    app_id = c["app"]["id"]
    r = _decide(client, c["firm_staff"], app_id, "decline", reason="本年度研发资源已排满")
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "dissolved" and done["status_label"] == "联合体未成立"
    firm = done["members"][2]
    assert firm["status"] == "declined" and firm["decline_reason"] == "本年度研发资源已排满"
    assert _kinds(session, c["lab"]) == ["consortium_declined"]
    assert _kinds(session, c["inst_staff"]) == ["consortium_invited", "consortium_declined"]
    assert _kinds(session, c["owner"]) == []
    r = _decide(client, c["inst_staff"], app_id, "confirm")
    assert r.status_code == 409  # nothing left to join
    # The lead changes the consortium by applying again (the live slot is free).
    r = client.post(
        f"/api/v1/needs/{c['need'].id}/applications", json=proposal(), headers=auth(c["lab"])
    )
    assert r.status_code == 201 and r.json()["status"] == "submitted"


def test_forming_holds_the_one_live_slot_and_may_be_withdrawn(
    client, session: Session, consortium: dict
) -> None:
    c = consortium
    url = f"/api/v1/needs/{c['need'].id}/applications"
    r = client.post(url, json=proposal(), headers=auth(c["lab"]))
    assert r.status_code == 409 and r.json()["error"] == "duplicate_application"
    r = client.post(f"/api/v1/applications/{c['app']['id']}/withdraw", headers=auth(c["lab"]))
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert _kinds(session, c["owner"]) == []  # it never reached the enterprise
    assert _kinds(session, c["firm_staff"])[-1] == "consortium_declined"


def test_the_deadline_dissolves_a_consortium_still_forming(
    client, session: Session, consortium: dict
) -> None:
    c = consortium
    need: Need = c["need"]
    need.deadline = today() - timedelta(days=1)
    session.flush()
    r = _decide(client, c["inst_staff"], c["app"]["id"], "confirm")
    assert r.status_code == 409 and r.json()["error"] == "deadline_passed"
    deadlines.close_applications(session, today())
    r = client.get(f"/api/v1/applications/{c['app']['id']}", headers=auth(c["lab"]))
    assert r.json()["status"] == "dissolved"
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "application", AuditEvent.action == "dissolve"
        )
    ).one()
    assert event.actor_id is None and "截止" in (event.reason or "")


def test_withdrawing_the_need_dissolves_a_consortium_still_forming(
    client, session: Session, consortium: dict
) -> None:
    c = consortium
    r = client.post(f"/api/v1/needs/{c['need'].id}/withdraw", headers=auth(c["owner"]))
    assert r.status_code == 200, r.text  # a forming consortium is no application yet
    app = client.get(f"/api/v1/applications/{c['app']['id']}", headers=auth(c["lab"])).json()
    assert app["status"] == "dissolved"
    assert _kinds(session, c["inst_staff"])[-1] == "consortium_declined"


def test_an_expert_whose_organisation_joins_is_told_why(
    client, session: Session, consortium: dict
) -> None:
    """The expert's next save is a 409 that says what happened and what to do, and their
    page explains it (no bare conflict)."""
    c = consortium
    need: Need = c["need"]
    need.call_type = "jiebang_guashuai"
    other = create_user(session, Role.researcher)
    first = client.post(
        f"/api/v1/needs/{need.id}/applications", json=proposal(), headers=auth(other)
    ).json()
    expert = c["inst_expert"]
    inst = session.get(Organization, expert.org_id)
    assert inst is not None
    r = client.post(
        f"/api/v1/needs/{need.id}/review-assignments",
        json={"expert_id": expert.id},
        headers=auth(c["admin"]),
    )
    assert r.status_code == 201, r.text  # the forming consortium is no conflict yet
    assignment = r.json()["id"]
    assert _decide(client, c["inst_staff"], c["app"]["id"], "confirm").status_code == 200
    assert _decide(client, c["firm_staff"], c["app"]["id"], "confirm").status_code == 200
    assert "review_conflict" in _kinds(session, c["admin"])
    assert _kinds(session, expert) == ["review_assigned", "review_conflict"]
    r = client.put(
        f"/api/v1/review-assignments/{assignment}/reviews/{first['id']}",
        json={"scores": {"feasibility": 4}, "comment": "可行"},
        headers=auth(expert),
    )
    assert r.status_code == 409 and r.json()["error"] == "conflict_of_interest"
    assert c["lab"].org_id is not None
    lead = session.get(Organization, c["lab"].org_id)
    assert lead is not None and lead.name in r.json()["detail"]
    page = client.get(f"/api/v1/review-assignments/{assignment}", headers=auth(expert)).json()
    assert page["conflict_of_interest"] and lead.name in page["conflict_detail"]
    assert page["actions"] == ["decline"]


def _notes(session: Session, user: User) -> list[tuple[str, str, str | None, str | None, int]]:
    statement = select(Notification).where(
        Notification.user_id == user.id, Notification.kind == "review_conflict"
    )
    rows = session.scalars(statement.order_by(Notification.id))
    return [(n.title, n.body, n.link, n.object_type, n.object_id) for n in rows]


def test_each_live_assignment_of_a_member_is_flagged_in_its_own_words(
    client, session: Session, consortium: dict
) -> None:
    """When the consortium counts, each assignment still scoring or submitted whose expert
    belongs to a member organisation is told to the admins and to its expert, with its own
    expert's name, link and next step; a declined one and another organisation's hear nothing
    (the assignments are found by the statement that writes the notices)."""
    c, need = consortium, consortium["need"]
    inst = session.get(Organization, c["inst_expert"].org_id)
    lead = session.get(Organization, c["lab"].org_id)
    assert inst is not None and lead is not None
    scoring = create_user(session, Role.expert, org=inst, display_name="赵专家")
    done = create_user(session, Role.expert, org=inst, display_name="孙专家")
    declined = create_user(session, Role.expert, org=inst, display_name="李专家")
    outsider = create_user(session, Role.expert, display_name="周专家")
    status = {scoring: "assigned", done: "submitted", declined: "declined", outsider: "assigned"}
    rows = {
        e: ReviewAssignment(need_id=need.id, expert_id=e.id, assigned_by_id=c["admin"].id, status=s)
        for e, s in status.items()
    }
    session.add_all(rows.values())
    session.flush()
    for staff in (c["inst_staff"], c["firm_staff"]):
        assert _decide(client, staff, c["app"]["id"], "confirm").status_code == 200

    title = f"您对「{need.title}」的评审出现利益冲突"
    joined = f"您所在单位已加入牵头单位「{lead.name}」的揭榜申请。"
    sheet = "review_assignment"
    assert _notes(session, scoring) == [
        (
            title,
            joined + "请谢绝本次评审。",
            f"/reviews/{rows[scoring].id}",
            sheet,
            rows[scoring].id,
        )
    ]
    assert _notes(session, done) == [
        (
            title,
            joined + "您已提交的意见由管理员决定是否保留。",
            f"/reviews/{rows[done].id}",
            sheet,
            rows[done].id,
        )
    ]
    assert _notes(session, declined) == [] and _notes(session, outsider) == []
    about = f"所在单位已成为「{need.title}」的揭榜申请方"
    told = f"牵头单位：{lead.name}。"
    results = f"/needs/{need.id}/reviews"
    assert sorted(_notes(session, c["admin"])) == sorted(
        [
            (
                f"利益冲突：专家赵专家{about}",
                told + "该专家不能再打分，请撤销该指派或另行指派专家。",
                results,
                "need",
                need.id,
            ),
            (
                f"利益冲突：专家孙专家{about}",
                told + "该专家已提交的评审意见仍在评审结果中（已标注利益冲突），"
                "请决定保留或撤销该指派。",
                results,
                "need",
                need.id,
            ),
        ]
    )
