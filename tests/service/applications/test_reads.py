"""Reading applications costs the same few statements whatever the page holds."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.models.enums import OrgKind, Role
from tests.factories import auth, create_application, create_need, create_org, create_user
from tests.service.statements import statements


def _page_cost(client: TestClient, session: Session, owner, n: int) -> int:
    for _ in range(n):  # each application to its own need, from its own organisation
        need = create_need(session, owner)
        lab = create_user(session, Role.researcher, org=create_org(session, OrgKind.university))
        partner = create_org(session, OrgKind.institute)
        create_application(session, need, lab, members=[(partner, "40")], lead_share="60")
    with statements(session) as seen:
        response = client.get("/api/v1/applications?page_size=20", headers=auth(owner))
    assert response.status_code == 200
    assert len(response.json()["items"]) == n
    return len(seen)


def test_the_application_list_does_not_query_per_application(
    client: TestClient, session: Session
) -> None:
    few = _page_cost(client, session, create_user(session, Role.enterprise), 2)
    full = _page_cost(client, session, create_user(session, Role.enterprise), 20)
    # token user and org, count, page, orgs, members, their orgs, needs (7 + 3n before)
    assert few == full <= 8
