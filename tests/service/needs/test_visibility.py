"""Every role's view of a need: whether it is visible, and with which parts."""

import pytest
from sqlalchemy.orm import Session

from service.models import User
from service.models.enums import Role, Visibility
from tests.factories import auth, create_need, create_user

VIEWERS = [
    "public",
    "owner",
    "colleague",
    "other_enterprise",
    "researcher",
    "expert",
    "broker",
    "admin",
]
PRIVILEGED = {"owner", "colleague", "broker", "admin"}

# (status, visibility) → viewers who may see it at all
VISIBLE = {
    ("published", "public"): set(VIEWERS),
    ("published", "anonymous"): set(VIEWERS),
    ("published", "brokers_only"): {"owner", "colleague", "broker", "admin"},
    ("draft", "public"): {"owner", "colleague"},
    ("submitted", "public"): {"owner", "colleague", "admin"},
    ("rejected", "public"): {"owner", "colleague", "admin"},
    ("withdrawn", "public"): {"owner", "colleague", "admin"},
    ("under_review", "public"): set(VIEWERS),
    ("awarded", "public"): set(VIEWERS),
    ("in_progress", "public"): set(VIEWERS),
    ("completed", "public"): set(VIEWERS),
    ("completed", "brokers_only"): {"owner", "colleague", "broker", "admin"},
    ("terminated", "public"): {"owner", "colleague", "admin"},
    ("expired", "public"): {"owner", "colleague", "admin"},
}
# Applicants and winners: tests/service/needs/test_parties.py.


def _viewers(session: Session, owner: User) -> dict[str, User | None]:
    colleague = create_user(session, Role.enterprise, org=None)
    colleague.org_id = owner.org_id
    session.flush()
    return {
        "public": None,
        "owner": owner,
        "colleague": colleague,
        "other_enterprise": create_user(session, Role.enterprise),
        "researcher": create_user(session, Role.researcher),
        "expert": create_user(session, Role.expert),
        "broker": create_user(session, Role.broker),
        "admin": create_user(session, Role.admin),
    }


CASES = [(status, vis, viewer) for (status, vis) in VISIBLE for viewer in VIEWERS]


@pytest.mark.parametrize(
    ("status", "visibility", "viewer"), CASES, ids=[f"{s}-{v}-{w}" for s, v, w in CASES]
)
def test_view_of_a_need(
    client, session: Session, status: str, visibility: str, viewer: str
) -> None:
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, status=status, visibility=visibility)
    user = _viewers(session, owner)[viewer]
    headers = auth(user) if user else {}

    detail = client.get(f"/api/v1/needs/{need.id}", headers=headers)
    listed = client.get("/api/v1/needs", params={"page_size": 100}, headers=headers).json()
    ids = [n["id"] for n in listed["items"]]
    if viewer not in VISIBLE[(status, visibility)]:
        assert detail.status_code == 404
        assert detail.json() == {
            "error": "not_found",
            "detail": "需求不存在或无权查看",
            "detail_en": "Need not found",
        }
        assert need.id not in ids
        return
    assert detail.status_code == 200
    assert need.id in ids
    body = detail.json()
    privileged = viewer in PRIVILEGED
    assert (body["contact"] is not None) == privileged
    assert (body["org"] is not None) == (privileged or visibility != "anonymous")
    assert body["is_owner"] == (viewer in ("owner", "colleague"))
    assert ("edit" in body["actions"]) == (
        viewer in ("owner", "colleague") and status in ("draft", "rejected")
    )
    # 公开方式 is the owner's setting: shown to its organisation and admins, null to the rest
    sees_setting = viewer in ("owner", "colleague", "admin")
    setting = (visibility, Visibility(visibility).label) if sees_setting else (None, None)
    assert (body["visibility"], body["visibility_label"]) == setting
    listed_body = next(n for n in listed["items"] if n["id"] == need.id)
    assert listed_body["contact"] == body["contact"]
    assert listed_body["org"] == body["org"]
    assert listed_body["visibility"] == body["visibility"]


def test_org_filter_does_not_unmask_anonymous_needs(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    open_need = create_need(session, owner, visibility="public")
    hidden = create_need(session, owner, visibility="anonymous")
    public_ids = [
        n["id"]
        for n in client.get("/api/v1/needs", params={"org_id": owner.org_id}).json()["items"]
    ]
    assert public_ids == [open_need.id]
    broker = create_user(session, Role.broker)
    broker_ids = {
        n["id"]
        for n in client.get(
            "/api/v1/needs", params={"org_id": owner.org_id}, headers=auth(broker)
        ).json()["items"]
    }
    assert broker_ids == {open_need.id, hidden.id}


def test_mine_lists_own_org_including_drafts(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    draft = create_need(session, owner, status="draft")
    create_need(session, create_user(session, Role.enterprise))
    r = client.get("/api/v1/needs", params={"mine": True}, headers=auth(owner))
    assert [n["id"] for n in r.json()["items"]] == [draft.id]
    assert client.get("/api/v1/needs", params={"mine": True}).status_code == 401
