"""The bureau hears of every posting submitted for review: each active admin once, on each
submission (a resubmission after a rejection too); no one else, and no refused submit."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Notification, User
from service.models.enums import AccountStatus, Role
from tests.factories import auth, capability_payload, create_user, need_payload

KINDS = {
    "needs": (Role.enterprise, need_payload, "need", "/admin/review"),
    "capabilities": (
        Role.researcher,
        capability_payload,
        "capability",
        "/admin/review?tab=capabilities",
    ),
}


def _notes(session: Session, user: User) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)))


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_active_admin_hears_of_a_submission(client, session: Session, kind: str) -> None:
    role, payload, object_type, link = KINDS[kind]
    note_kind = f"{object_type}_submitted"
    owner = create_user(session, role)
    admin, admin2 = create_user(session, Role.admin), create_user(session, Role.admin)
    disabled = create_user(session, Role.admin, is_active=False)
    pending = create_user(session, Role.admin, status=AccountStatus.pending)
    others = [create_user(session, r) for r in (Role.broker, Role.expert, role)]
    r = client.post(f"/api/v1/{kind}", json=payload(), headers=auth(owner))
    assert r.status_code == 201, r.text
    url = f"/api/v1/{kind}/{r.json()['id']}"
    title = r.json()["title"]
    assert _notes(session, admin) == []  # a draft is the owner's own business

    # Nobody but the owner may submit, and a refused submit tells no one.
    for user in [admin, *others]:
        assert client.post(f"{url}/submit", headers=auth(user)).status_code in (403, 404)
    assert client.post(f"{url}/submit").status_code == 401
    assert _notes(session, admin) == []

    assert client.post(f"{url}/submit", headers=auth(owner)).status_code == 200
    for user in (admin, admin2):
        (note,) = _notes(session, user)
        assert (note.kind, note.link) == (note_kind, link)
        assert title in note.title and "待审核" in note.title
        assert note.object_type == object_type and note.object_id == r.json()["id"]
    for user in [disabled, pending, owner, *others]:
        assert _notes(session, user) == [], user.role
    inbox = client.get("/api/v1/notifications", headers=auth(admin)).json()
    assert [n["kind"] for n in inbox["items"]] == [note_kind]

    # Rejected, edited and submitted again: the queue has it again, and so do the admins.
    r = client.post(f"{url}/reject", json={"reason": "请补充技术指标"}, headers=auth(admin))
    assert r.status_code == 200, r.text
    assert client.post(f"{url}/submit", headers=auth(owner)).status_code == 200
    assert [n.kind for n in _notes(session, admin2)] == [note_kind, note_kind]
