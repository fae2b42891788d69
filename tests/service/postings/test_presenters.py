"""A posting's `actions` offer `history` exactly to those its history route answers."""

import pytest
from sqlalchemy.orm import Session

from service.models.enums import Role
from tests.factories import auth, create_capability, create_need, create_user


@pytest.mark.parametrize(
    ("kind", "create", "owner_role"),
    [("needs", create_need, Role.enterprise), ("capabilities", create_capability, Role.researcher)],
)
def test_history_action_matches_the_history_route(
    client, session: Session, kind: str, create, owner_role: Role
) -> None:
    owner = create_user(session, owner_role)
    posting = create(session, owner, status="published")
    url = f"/api/v1/{kind}/{posting.id}"
    callers = {"owner": owner} | {role.value: create_user(session, role) for role in Role}
    offered = {}
    for name, user in callers.items():
        actions = client.get(url, headers=auth(user)).json()["actions"]
        answered = client.get(f"{url}/history", headers=auth(user)).status_code
        assert ("history" in actions) == (answered == 200), name
        offered[name] = "history" in actions
    assert "history" not in client.get(url).json()["actions"]
    assert {name for name, yes in offered.items() if yes} == {"owner", "admin"}
