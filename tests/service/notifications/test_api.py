"""In-app notifications: the inbox API (only the recipient), and the events that create them."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Notification, Organization, User
from service.models.enums import OrgKind, Role
from service.notifications.service import notify, notify_admins
from tests.factories import auth, create_need, create_org, create_user
from tests.service.applications.test_api import proposal


def _inbox(client, user: User, **params):
    return client.get("/api/v1/notifications", params=params, headers=auth(user))


def _kinds(session: Session, user: User) -> list[str]:
    statement = select(Notification.kind).where(Notification.user_id == user.id)
    return list(session.scalars(statement.order_by(Notification.id)))


def test_inbox_pages_filters_and_counts(client, session: Session) -> None:
    me, other = create_user(session), create_user(session)
    for i in range(5):
        notify(session, [me.id], "test_event", f"第{i}条通知", "正文", link=f"/needs/{i}")
    notify(session, [other.id], "test_event", "别人的通知")
    page = _inbox(client, me, page_size=2).json()
    assert page["total"] == 5 and [n["title"] for n in page["items"]] == ["第4条通知", "第3条通知"]
    assert page["items"][0]["link"] == "/needs/4" and page["items"][0]["read_at"] is None
    count = client.get("/api/v1/notifications/unread-count", headers=auth(me)).json()
    assert count == {"unread": 5}
    first = page["items"][0]["id"]
    r = client.post(f"/api/v1/notifications/{first}/read", headers=auth(me))
    assert r.status_code == 200 and r.json()["read_at"] is not None
    read_at = r.json()["read_at"]
    again = client.post(f"/api/v1/notifications/{first}/read", headers=auth(me)).json()
    assert again["read_at"] == read_at  # marking twice keeps the first time
    assert _inbox(client, me, unread=True).json()["total"] == 4
    assert [n["id"] for n in _inbox(client, me, unread=False).json()["items"]] == [first]
    assert client.get("/api/v1/notifications/unread-count", headers=auth(me)).json()["unread"] == 4
    r = client.post("/api/v1/notifications/read-all", headers=auth(me))
    assert r.json() == {"marked": 4}
    assert client.get("/api/v1/notifications/unread-count", headers=auth(me)).json()["unread"] == 0
    assert client.post("/api/v1/notifications/read-all", headers=auth(me)).json() == {"marked": 0}
    # the other user's inbox is untouched by my read-all
    assert client.get("/api/v1/notifications/unread-count", headers=auth(other)).json() == {
        "unread": 1
    }


def test_only_the_recipient_sees_or_marks(client, session: Session) -> None:
    me, other = create_user(session), create_user(session, Role.admin)
    (mine,) = notify(session, [me.id], "test_event", "我的通知")
    assert _inbox(client, other).json()["total"] == 0
    r = client.post(f"/api/v1/notifications/{mine.id}/read", headers=auth(other))
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    session.refresh(mine)
    assert mine.read_at is None
    assert client.post(f"/api/v1/notifications/{10**9}/read", headers=auth(me)).status_code == 404
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.get("/api/v1/notifications/unread-count").status_code == 401
    assert client.post(f"/api/v1/notifications/{mine.id}/read").status_code == 401
    assert client.post("/api/v1/notifications/read-all").status_code == 401
    assert (
        client.get(
            "/api/v1/notifications", params={"unread": "maybe"}, headers=auth(me)
        ).status_code
        == 422
    )


def test_notify_drops_duplicates_and_admins_hear(session: Session) -> None:
    me = create_user(session)
    admin, inactive = create_user(session, Role.admin), create_user(session, Role.admin)
    inactive.is_active = False
    assert len(notify(session, [me.id, me.id, None], "x", "标题")) == 1  # type: ignore[list-item]
    notify_admins(session, "y", "给管理员")
    assert _kinds(session, admin) == ["y"] and _kinds(session, inactive) == []


def test_need_review_outcomes_reach_the_posting_org(client, session: Session) -> None:
    owner, admin = create_user(session), create_user(session, Role.admin)
    colleague = create_user(session, org=session.get(Organization, owner.org_id))
    stranger = create_user(session)
    for status, action, body in (
        ("submitted", "approve", {}),
        ("submitted", "reject", {"reason": "预期目标缺少量化指标"}),
    ):
        need = create_need(session, owner, status=status)
        r = client.post(f"/api/v1/needs/{need.id}/{action}", json=body, headers=auth(admin))
        assert r.status_code == 200, r.text
    for user in (owner, colleague):
        assert _kinds(session, user) == ["need_approved", "need_rejected"]
    assert _kinds(session, stranger) == []
    rejected = _inbox(client, owner).json()["items"][0]
    assert "预期目标缺少量化指标" in rejected["body"] and rejected["link"].startswith("/needs/")
    # a refused action notifies nobody
    live = create_need(session, owner, status="published")
    assert client.post(f"/api/v1/needs/{live.id}/approve", headers=auth(admin)).status_code == 409
    assert len(_kinds(session, owner)) == 2


def test_application_events(client, session: Session) -> None:
    owner, lab = create_user(session), create_user(session, Role.researcher)
    member_org = create_org(session, OrgKind.institute)
    member = create_user(session, Role.researcher, org=member_org)
    need = create_need(session, owner)
    body = proposal(lead_share="60", members=[{"org_id": member_org.id, "share": "40"}])
    r = client.post(f"/api/v1/needs/{need.id}/applications", json=body, headers=auth(lab))
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    assert _kinds(session, owner) == []  # not before the member confirmed
    assert _kinds(session, member) == ["consortium_invited"]
    r = client.post(f"/api/v1/applications/{app_id}/membership/confirm", headers=auth(member))
    assert r.status_code == 200, r.text
    assert _kinds(session, lab) == ["consortium_confirmed"]
    assert _kinds(session, owner) == ["application_received"]
    received = _inbox(client, owner).json()["items"][0]
    assert received["link"] == f"/needs/{need.id}/applications" and "280" in received["body"]
    assert received["object_type"] == "application" and received["object_id"] == app_id
    url = f"/api/v1/applications/{app_id}"
    assert client.post(f"{url}/shortlist", headers=auth(owner)).status_code == 200
    assert client.post(f"{url}/award", json={}, headers=auth(owner)).status_code == 200
    for user in (lab, member):
        assert _kinds(session, user)[-2:] == ["application_shortlisted", "application_awarded"]
    awarded = _inbox(client, member).json()["items"][0]
    assert "100" in awarded["body"]  # the whole 100 万元 bounty

    lab2 = create_user(session, Role.researcher)
    other = create_need(session, owner)
    first = client.post(
        f"/api/v1/needs/{other.id}/applications", json=proposal(), headers=auth(lab2)
    )
    r = client.post(
        f"/api/v1/applications/{first.json()['id']}/reject",
        json={"reason": "技术路线与需求不符"},
        headers=auth(owner),
    )
    assert r.status_code == 200
    rejected = _inbox(client, lab2).json()["items"][0]
    assert rejected["kind"] == "application_rejected" and "技术路线与需求不符" in rejected["body"]
    second = client.post(
        f"/api/v1/needs/{other.id}/applications", json=proposal(), headers=auth(lab2)
    )
    r = client.post(f"/api/v1/applications/{second.json()['id']}/withdraw", headers=auth(lab2))
    assert r.status_code == 200
    assert _kinds(session, owner)[-1] == "application_withdrawn"
    # a refused transition notifies nobody
    before = len(_kinds(session, lab2))
    r = client.post(f"/api/v1/applications/{second.json()['id']}/shortlist", headers=auth(owner))
    assert r.status_code == 409 and len(_kinds(session, lab2)) == before


def test_only_an_organisations_staff_hear_its_news(client, session: Session) -> None:
    """An expert (or broker, admin) who belongs to an applicant university or to the posting
    enterprise hears nothing of their organisation's postings and applications: an expert must
    not learn of an applicant's award (conflict of interest)."""
    owner = create_user(session)
    enterprise = session.get(Organization, owner.org_id)
    lab = create_user(session, Role.researcher)
    university = session.get(Organization, lab.org_id)
    staff = {
        "owner": owner,
        "lab": lab,
        "lab_colleague": create_user(session, Role.researcher, org=university),
    }
    outsiders = {
        f"{role.value}_of_{name}": create_user(session, role, org=org)
        for role in (Role.expert, Role.broker, Role.admin)
        for name, org in (("university", university), ("enterprise", enterprise))
    }
    gone = create_user(session, Role.researcher, org=university)
    gone.is_active = False
    need = create_need(session, owner, status="submitted")
    admin = create_user(session, Role.admin)
    assert client.post(f"/api/v1/needs/{need.id}/approve", headers=auth(admin)).status_code == 200
    r = client.post(f"/api/v1/needs/{need.id}/applications", json=proposal(), headers=auth(lab))
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/applications/{r.json()['id']}/award", json={}, headers=auth(owner))
    assert r.status_code == 200, r.text
    assert _kinds(session, owner) == ["need_approved", "application_received"]
    assert (
        _kinds(session, lab) == _kinds(session, staff["lab_colleague"]) == ["application_awarded"]
    )
    for name, user in {**outsiders, "inactive": gone}.items():
        assert _kinds(session, user) == [], name
