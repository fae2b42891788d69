"""专家论证: assignment, conflicts of interest, what an expert may see, scoring, lifecycle."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.kit.errors import InvalidTransition
from service.models import Notification, Organization, ReviewAssignment, User
from service.models.enums import ReviewStatus, Role
from service.reviews.lifecycle import REVIEW_MACHINE
from tests.factories import auth, create_application, create_need, create_user
from tests.service.lifecycles import moves, moves_of
from tests.service.review_market import FULL, assign, make_panel, post, score

# The review assignment lifecycle, written out apart from the machine.
LIFECYCLE = {
    "submit": ({"assigned"}, "submitted"),
    "decline": ({"assigned"}, "declined"),
    "withdraw": ({"assigned", "submitted"}, "withdrawn"),
}
CASES = [(a, s) for a in LIFECYCLE for s in ReviewStatus]


@pytest.fixture
def panel(session: Session) -> dict:
    return make_panel(session)


@pytest.mark.parametrize(("action", "state"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_machine_table(session: Session, panel: dict, action: str, state: str) -> None:
    assignment = ReviewAssignment(
        need_id=panel["need"].id,
        expert_id=panel["expert"].id,
        assigned_by_id=panel["admin"].id,
        status=state,
    )
    session.add(assignment)
    session.flush()
    sources, target = LIFECYCLE[action]
    if state in sources:
        REVIEW_MACHINE.apply(session, assignment, action, panel["admin"].id, reason="理由")
        assert assignment.status == target
    else:
        with pytest.raises(InvalidTransition):
            REVIEW_MACHINE.apply(session, assignment, action, panel["admin"].id, reason="理由")


def test_assign_and_the_expert_sees_only_the_scope(client, session: Session, panel: dict) -> None:
    r = assign(client, panel, panel["expert"], application_ids=[panel["app"].id])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "assigned" and body["application_ids"] == [panel["app"].id]
    assert body["need"]["problem"] == panel["need"].problem and "contact" not in body["need"]
    url = f"/api/v1/review-assignments/{body['id']}"
    mine = client.get(url, headers=auth(panel["expert"])).json()
    assert [s["application"]["id"] for s in mine["reviews"]] == [panel["app"].id]
    sheet = mine["reviews"][0]["application"]
    assert sheet["technical_plan"] == panel["app"].technical_plan
    assert [m["id"] for m in sheet["members"]] == [panel["lab"].org_id, panel["partner"].id]
    assert mine["actions"] == ["score", "submit", "decline"]
    assert [c["code"] for c in mine["criteria"]] == list(FULL)
    # the expert heard about it
    note = session.scalar(select(Notification).where(Notification.user_id == panel["expert"].id))
    assert note is not None and note.kind == "review_assigned" and panel["need"].title in note.title
    # "my assignments": the expert sees this one, the other expert nothing, others are refused
    listed = client.get("/api/v1/review-assignments", headers=auth(panel["expert"])).json()
    assert [a["id"] for a in listed["items"]] == [body["id"]]
    assert not listed["items"][0]["conflict_of_interest"]
    empty = client.get("/api/v1/review-assignments", headers=auth(panel["expert2"])).json()
    assert empty["total"] == 0
    assert client.get(url, headers=auth(panel["expert2"])).status_code == 404
    for role in ("owner", "lab", "broker"):
        r = client.get("/api/v1/review-assignments", headers=auth(panel[role]))
        assert r.status_code == 403 and r.json()["error"] == "wrong_role", role
        assert client.get(url, headers=auth(panel[role])).status_code == 404, role
    assert client.get(url).status_code == 401
    everything = client.get("/api/v1/review-assignments", headers=auth(panel["admin"])).json()
    assert everything["total"] == 1


def test_default_scope_is_every_live_application(client, session: Session, panel: dict) -> None:
    create_application(session, panel["need"], create_user(session, Role.researcher), "withdrawn")
    r = assign(client, panel, panel["expert"])
    assert r.status_code == 201, r.text
    assert r.json()["application_ids"] == [panel["app"].id, panel["app2"].id]


def test_assign_refusals(client, session: Session, panel: dict) -> None:
    for role in ("owner", "lab", "broker", "expert"):
        r = assign(client, panel, panel["expert"], by=role)
        assert r.status_code == 403 and r.json()["error"] == "wrong_role", role
    regular = create_need(session, panel["owner"], call_type="regular")
    r = assign(client, panel, panel["expert"], need=regular)
    assert r.status_code == 409 and r.json()["error"] == "not_jiebang_guashuai"
    for status, code in (("submitted", 409), ("awarded", 409), ("expired", 409), ("draft", 404)):
        closed = create_need(session, panel["owner"], status=status, call_type="jiebang_guashuai")
        r = assign(client, panel, panel["expert"], need=closed)
        assert r.status_code == code, status
        if code == 409:
            assert r.json()["error"] == "review_closed"
    fresh = create_need(session, panel["owner"], call_type="jiebang_guashuai")
    r = assign(client, panel, panel["expert"], need=fresh)
    assert r.status_code == 409 and r.json()["error"] == "no_applications"
    r = assign(client, panel, panel["lab"])
    assert r.status_code == 400 and r.json()["error"] == "not_an_expert"
    inactive = create_user(session, Role.expert, is_active=False)
    assert assign(client, panel, inactive).status_code == 400
    other = create_application(session, fresh, panel["lab2"])
    r = assign(client, panel, panel["expert"], application_ids=[other.id])
    assert r.status_code == 400 and r.json()["error"] == "invalid_application"
    r = assign(client, panel, panel["expert"], application_ids=[])
    assert r.status_code == 422
    assert assign(client, panel, panel["expert"]).status_code == 201
    r = assign(client, panel, panel["expert"])
    assert r.status_code == 409 and r.json()["error"] == "already_assigned"
    assert (
        client.post(
            f"/api/v1/needs/{panel['need'].id}/review-assignments", json={"expert_id": 1}
        ).status_code
        == 401
    )


@pytest.mark.parametrize("side", ["owner", "lab", "partner"])
def test_conflict_of_interest_refused(client, session: Session, panel: dict, side: str) -> None:
    """An expert from the posting enterprise, the lead applicant or a consortium member."""
    org_id = panel[side].id if side == "partner" else panel[side].org_id
    expert = create_user(session, Role.expert, org=session.get(Organization, org_id))
    r = assign(client, panel, expert, application_ids=[panel["app2"].id])
    assert r.status_code == 409 and r.json()["error"] == "conflict_of_interest"
    assert "利益冲突" in r.json()["detail"]


def test_withdrawn_applicant_is_no_conflict(client, session: Session, panel: dict) -> None:
    quitter = create_user(session, Role.researcher)
    create_application(session, panel["need"], quitter, status="withdrawn")
    expert = create_user(session, Role.expert, org=session.get(Organization, quitter.org_id))
    assert assign(client, panel, expert).status_code == 201


def test_conflict_arising_after_assignment(client, session: Session, panel: dict) -> None:
    a = assign(client, panel, panel["expert"]).json()
    # a colleague of the expert applies after the assignment
    colleague = create_user(
        session, Role.researcher, org=session.get(Organization, panel["expert"].org_id)
    )
    create_application(session, panel["need"], colleague)
    r = score(client, panel["expert"], a["id"], panel["app"].id)
    assert r.status_code == 409 and r.json()["error"] == "conflict_of_interest"
    assert "牵头单位" in r.json()["detail"] and "请谢绝" in r.json()["detail"]
    # the expert's page explains it and offers only declining, without the proposals
    r = client.get(f"/api/v1/review-assignments/{a['id']}", headers=auth(panel["expert"]))
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["conflict_of_interest"] and "请谢绝" in seen["conflict_detail"]
    assert seen["actions"] == ["decline"] and seen["reviews"] == []
    listed = client.get("/api/v1/review-assignments", headers=auth(panel["expert"])).json()
    assert listed["items"][0]["conflict_of_interest"]
    r = post(client, panel["expert"], a["id"], "submit")
    assert r.status_code == 409 and r.json()["error"] == "conflict_of_interest"
    # declining stays possible, and is what the expert should do
    r = post(client, panel["expert"], a["id"], "decline", reason="本单位同事参与揭榜，申请回避")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "declined" and r.json()["reviews"] == []


def test_scoring_submit_and_read_only(client, session: Session, panel: dict) -> None:
    a = assign(client, panel, panel["expert"]).json()
    expert, app, app2 = panel["expert"], panel["app"], panel["app2"]
    r = score(client, expert, a["id"], app.id, scores={"feasibility": 4})
    assert r.status_code == 200, r.text
    sheet = r.json()["reviews"][0]
    assert sheet["scores"] == {"feasibility": 4} and not sheet["complete"]
    r = post(client, expert, a["id"], "submit")
    assert r.status_code == 400 and r.json()["error"] == "review_incomplete"
    lacking = r.json()["detail"]  # each application by its lead, with what it lacks
    assert all(session.get(Organization, x.org_id).name in lacking for x in (app, app2))
    for bad in ({"feasibility": 0}, {"feasibility": 6}, {"feasibility": "好"}):
        r = score(client, expert, a["id"], app.id, scores=bad)
        assert r.status_code == 422, bad
    for blank in ("", "  "):  # an empty card is refused, not "saved"
        r = score(client, expert, a["id"], app2.id, scores={}, comment=blank)
        assert r.status_code == 400 and r.json()["error"] == "empty_review", blank
        assert "请至少为一个评审项打分或填写评审意见" in r.json()["detail"]
    r = score(client, expert, a["id"], app.id, scores={"beauty": 5})
    assert r.status_code == 400 and r.json()["error"] == "unknown_criterion"
    outside = create_application(session, create_need(session, panel["owner"]), panel["lab"])
    assert score(client, expert, a["id"], outside.id).status_code == 404
    r = score(client, panel["admin"], a["id"], app.id)
    assert r.status_code == 403 and r.json()["error"] == "not_assignee"
    assert score(client, panel["expert2"], a["id"], app.id).status_code == 404
    assert score(client, panel["owner"], a["id"], app.id).status_code == 404
    assert score(client, expert, a["id"], app.id).status_code == 200
    r = post(client, expert, a["id"], "submit")
    assert r.status_code == 400 and "review_incomplete" == r.json()["error"]
    assert score(client, expert, a["id"], app2.id, comment="经费偏高").status_code == 200
    r = post(client, panel["admin"], a["id"], "submit")
    assert r.status_code == 403
    r = post(client, expert, a["id"], "submit", version=1)
    assert r.status_code == 409 and r.json()["error"] == "stale_version"
    r = post(client, expert, a["id"], "submit", comment="两份方案均具备可行性")
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "submitted" and done["actions"] == [] and done["submitted_at"]
    # the step answers the assignment it moved, with the scores it holds; the sheet is a GET
    assert done["version"] == a["version"] + 4  # three saves and the submit
    assert done["comment"] == "两份方案均具备可行性"
    assert "need" not in done and "criteria" not in done
    assert [(s["application_id"], s["scores"]) for s in done["reviews"]] == [
        (app.id, FULL),
        (app2.id, FULL),
    ]
    sheet = client.get(f"/api/v1/review-assignments/{a['id']}", headers=auth(expert)).json()
    assert sheet["status"] == "submitted" and sheet["version"] == done["version"]
    assert all(s["complete"] for s in sheet["reviews"])
    # read-only from now on
    r = score(client, expert, a["id"], app.id, scores={"feasibility": 1})
    assert r.status_code == 409 and r.json()["error"] == "review_read_only"
    assert post(client, expert, a["id"], "submit").status_code == 409
    assert post(client, expert, a["id"], "decline", reason="改变主意").status_code == 409
    # the admins heard about it
    admin_notes = session.scalars(
        select(Notification.kind).where(Notification.user_id == panel["admin"].id)
    ).all()
    assert admin_notes == ["review_submitted"]
    history = client.get(
        f"/api/v1/review-assignments/{a['id']}/history", headers=auth(expert)
    ).json()
    assert [h["action"] for h in history] == ["create", "submit"]


def test_withdrawn_application_leaves_the_scope(client, session: Session, panel: dict) -> None:
    a = assign(client, panel, panel["expert"]).json()
    panel["app2"].status = "withdrawn"
    session.flush()
    r = score(client, panel["expert"], a["id"], panel["app2"].id)
    assert r.status_code == 409 and r.json()["error"] == "application_withdrawn"
    view = client.get(f"/api/v1/review-assignments/{a['id']}", headers=auth(panel["expert"]))
    assert [s["application"]["id"] for s in view.json()["reviews"]] == [panel["app"].id]
    assert score(client, panel["expert"], a["id"], panel["app"].id).status_code == 200
    assert post(client, panel["expert"], a["id"], "submit").status_code == 200


def test_decline_and_withdraw(client, session: Session, panel: dict) -> None:
    a = assign(client, panel, panel["expert"]).json()
    r = post(client, panel["expert"], a["id"], "decline")
    assert r.status_code == 400 and r.json()["error"] == "reason_required"
    r = post(client, panel["admin"], a["id"], "decline", reason="代为谢绝")
    assert r.status_code == 403
    r = post(client, panel["expert"], a["id"], "withdraw", reason="不想评")
    assert r.status_code == 403 and r.json()["error"] == "not_allowed"
    r = post(client, panel["admin"], a["id"], "withdraw")
    assert r.status_code == 400 and r.json()["error"] == "reason_required"
    r = post(client, panel["admin"], a["id"], "withdraw", reason="专家日程冲突")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert r.json()["reason"] == "专家日程冲突"
    gone = client.get(f"/api/v1/review-assignments/{a['id']}", headers=auth(panel["expert"]))
    assert gone.json()["reviews"] == [] and gone.json()["actions"] == []
    assert score(client, panel["expert"], a["id"], panel["app"].id).status_code == 409
    kinds = session.scalars(
        select(Notification.kind).where(Notification.user_id == panel["expert"].id)
    ).all()
    assert kinds == ["review_assigned", "review_withdrawn"]
    # once withdrawn, the expert may be assigned again
    b = assign(client, panel, panel["expert"])
    assert b.status_code == 201
    r = post(client, panel["expert"], b.json()["id"], "decline", reason="与申请方有合作关系")
    assert r.status_code == 200 and r.json()["status"] == "declined"
    admin_kinds = session.scalars(
        select(Notification.kind).where(Notification.user_id == panel["admin"].id)
    ).all()
    assert admin_kinds == ["review_declined"]
    assert post(client, panel["admin"], b.json()["id"], "withdraw", reason="x").status_code == 409


def test_scoring_closes_with_the_call(client, session: Session, panel: dict) -> None:
    a = assign(client, panel, panel["expert"]).json()
    panel["need"].status = "under_review"
    session.flush()
    assert score(client, panel["expert"], a["id"], panel["app"].id).status_code == 200
    panel["need"].status = "awarded"
    session.flush()
    r = score(client, panel["expert"], a["id"], panel["app"].id)
    assert r.status_code == 409 and r.json()["error"] == "review_closed"


ACTIONS = ["submit", "decline", "withdraw", "score"]


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_refused_for_every_other_role(client, panel: dict, action: str) -> None:
    """Only the assignee scores, submits and declines; only admins withdraw; everyone else
    does not even learn the assignment exists."""
    a = assign(client, panel, panel["expert"]).json()
    app_id = panel["app"].id

    def attempt(user: User):
        if action == "score":
            return score(client, user, a["id"], app_id)
        body = {} if action == "submit" else {"reason": "理由"}
        return post(client, user, a["id"], action, **body)

    for role in ("owner", "lab", "lab2", "broker", "outsider", "expert2"):
        assert attempt(panel[role]).status_code == 404, role
    allowed = "admin" if action == "withdraw" else "expert"
    refused = "expert" if action == "withdraw" else "admin"
    assert attempt(panel[refused]).status_code == 403
    if action == "submit":
        assert score(client, panel["expert"], a["id"], panel["app2"].id).status_code == 200
        assert score(client, panel["expert"], a["id"], app_id).status_code == 200
    assert attempt(panel[allowed]).status_code == 200


def test_admin_extends_the_scope_to_late_applications(
    client, session: Session, panel: dict
) -> None:
    a = assign(client, panel, panel["expert"], application_ids=[panel["app"].id]).json()
    late = create_application(session, panel["need"], create_user(session, Role.researcher))
    url = f"/api/v1/review-assignments/{a['id']}/applications"

    def extend(user: User, ids: list[int]):
        return client.post(url, json={"application_ids": ids}, headers=auth(user))

    for role in ("expert", "owner", "lab"):
        r = extend(panel[role], [late.id])
        assert r.status_code == 403 and r.json()["error"] == "wrong_role", role
    elsewhere = create_application(session, create_need(session, panel["owner"]), panel["lab2"])
    r = extend(panel["admin"], [elsewhere.id])
    assert r.status_code == 400 and r.json()["error"] == "invalid_application"
    assert extend(panel["admin"], []).status_code == 422
    r = extend(panel["admin"], [late.id, panel["app"].id])
    assert r.status_code == 200 and r.json()["application_ids"] == [panel["app"].id, late.id]
    kinds = session.scalars(
        select(Notification.kind).where(Notification.user_id == panel["expert"].id)
    ).all()
    assert kinds == ["review_assigned", "review_extended"]
    view = client.get(f"/api/v1/review-assignments/{a['id']}", headers=auth(panel["expert"]))
    assert [s["application"]["id"] for s in view.json()["reviews"]] == [panel["app"].id, late.id]
    for app_id in (panel["app"].id, late.id):
        assert score(client, panel["expert"], a["id"], app_id).status_code == 200
    assert post(client, panel["expert"], a["id"], "submit").status_code == 200
    r = extend(panel["admin"], [panel["app2"].id])
    assert r.status_code == 409 and r.json()["error"] == "review_read_only"


def test_the_machine_is_the_lifecycle() -> None:
    """No action, source or target beyond the written lifecycle (births excepted)."""
    assert moves_of(REVIEW_MACHINE) == moves(LIFECYCLE)
