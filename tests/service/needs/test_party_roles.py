"""Parties by organisation are its staff only (issue 13, item 8).

An expert or broker who belongs to a winning organisation (lead or consortium member) reads
neither its application, nor the need's milestones and ledger; the organisation's enterprise
and researcher staff do. Admins read them as admins, whatever organisation they belong to.
"""

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from service.models import Organization
from service.models.enums import OrgKind, Role
from tests.factories import auth, create_application, create_milestone, create_need, create_org
from tests.factories import create_user as user

OUTSIDERS = ("lead_expert", "lead_broker", "member_expert", "member_broker")
STAFF = ("lead_researcher", "lead_enterprise", "member_researcher", "owner", "lead_admin")


@pytest.fixture
def awarded(session: Session) -> dict:
    owner = user(session, Role.enterprise)
    need = create_need(session, owner, status="awarded")
    lab = user(session, Role.researcher)
    member = create_org(session, OrgKind.institute)
    app = create_application(
        session,
        need,
        lab,
        status="awarded",
        members=[(member, "40")],
        lead_share="60",
        committed_amount=Decimal("1000000.00"),
    )
    milestone = create_milestone(session, app, status="pending")
    lead = session.get(Organization, lab.org_id)
    return {
        "need": need,
        "app": app,
        "milestone": milestone,
        "owner": owner,
        "lead_researcher": lab,
        "lead_enterprise": user(session, Role.enterprise, org=lead),
        "member_researcher": user(session, Role.researcher, org=member),
        "lead_admin": user(session, Role.admin, org=lead),
        "lead_expert": user(session, Role.expert, org=lead),
        "lead_broker": user(session, Role.broker, org=lead),
        "member_expert": user(session, Role.expert, org=member),
        "member_broker": user(session, Role.broker, org=member),
    }


@pytest.mark.parametrize("who", OUTSIDERS + STAFF)
def test_party_reads_by_role(client, awarded: dict, who: str) -> None:
    headers = auth(awarded[who])
    need_id, app_id = awarded["need"].id, awarded["app"].id
    application = client.get(f"/api/v1/applications/{app_id}", headers=headers)
    listed = client.get("/api/v1/applications", headers=headers).json()["items"]
    milestones = client.get(f"/api/v1/needs/{need_id}/milestones", headers=headers)
    ledger = client.get(f"/api/v1/needs/{need_id}/ledger", headers=headers)
    one = client.get(f"/api/v1/milestones/{awarded['milestone'].id}", headers=headers)
    if who in STAFF:
        assert application.status_code == 200
        assert [a["id"] for a in listed] == [app_id]
        assert milestones.status_code == ledger.status_code == one.status_code == 200
        assert [m["id"] for m in milestones.json()] == [awarded["milestone"].id]
        return
    assert application.status_code == 404
    assert listed == []
    for refused in (milestones, ledger):
        assert refused.status_code == 403 and refused.json()["error"] == "not_a_party"
    assert one.status_code == 404
    history = client.get(f"/api/v1/applications/{app_id}/history", headers=headers)
    assert history.status_code == 404
