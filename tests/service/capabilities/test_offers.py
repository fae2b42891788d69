"""The buttons beside a capability's lifecycle steps: the needs recommended for it."""

import pytest
from sqlalchemy.orm import Session

from service.models.enums import Role
from tests.factories import auth, create_capability, create_user

ROLES = (Role.enterprise, Role.researcher, Role.broker, Role.admin, Role.expert)


def _recommendations(client, user, cap_id: int) -> bool:
    r = client.get(f"/api/v1/capabilities/{cap_id}", headers=auth(user))
    assert r.status_code == 200, r.text
    return "recommendations" in r.json()["actions"]


@pytest.mark.parametrize("role", ROLES)
def test_recommendations_for_owner_brokers_and_admins(client, session: Session, role: Role) -> None:
    researcher = create_user(session, Role.researcher)
    cap = create_capability(session, researcher)
    assert _recommendations(client, create_user(session, role), cap.id) == (
        role in (Role.broker, Role.admin)
    )
    assert _recommendations(client, researcher, cap.id)
    draft = create_capability(session, researcher, status="draft")
    assert not _recommendations(client, researcher, draft.id)
