"""Applicants and winners keep reading the need they took up, whatever its later state.

The rule (service/needs/auth.py): the staff of every organisation that applied (lead or
consortium member, any application status) read the need in every state and visibility; the
winners (an awarded application) also see the enterprise and the contact, as parties to the
work; other applicants never see the contact, nor the enterprise of an anonymous need. An
expert (or broker, admin) who belongs to an applicant organisation keeps the view of its role.
"""

import pytest
from sqlalchemy.orm import Session

from service.models import Organization, User
from service.models.enums import OrgKind, Role
from service.needs.lifecycle import PUBLIC_STATES
from tests.factories import auth, create_application, create_need, create_org, create_user

# Every state a need with applications can reach, and what its applications are by then.
WON = {"awarded", "in_progress", "completed", "terminated"}
STATES = ("published", "under_review", *sorted(WON), "expired", "withdrawn")
VISIBILITIES = ("public", "anonymous", "brokers_only")
VIEWERS = (
    "winner_lead",
    "winner_member",
    "applicant_rejected",
    "applicant_withdrawn",
    "expert_of_winner",
    "stranger",
)
APPLICANTS = {"winner_lead", "winner_member", "applicant_rejected", "applicant_withdrawn"}


def _market(session: Session, status: str, visibility: str) -> tuple[int, dict[str, User]]:
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, status=status, visibility=visibility)
    lead = create_user(session, Role.researcher)
    partner = create_org(session, OrgKind.institute)
    create_application(
        session,
        need,
        lead,
        status="awarded" if status in WON else "shortlisted",
        members=[(partner, "40")],
        lead_share="60",
    )
    rejected, withdrawn = (
        create_user(session, Role.researcher),
        create_user(session, Role.enterprise),
    )
    create_application(session, need, rejected, status="rejected", reject_reason="方案不符")
    create_application(session, need, withdrawn, status="withdrawn")
    return need.id, {
        "winner_lead": lead,
        "winner_member": create_user(session, Role.researcher, org=partner),
        "applicant_rejected": rejected,
        "applicant_withdrawn": withdrawn,
        "expert_of_winner": create_user(
            session, Role.expert, org=session.get(Organization, lead.org_id)
        ),
        "stranger": create_user(session, Role.researcher),
    }


CASES = [(s, v, w) for s in STATES for v in VISIBILITIES for w in VIEWERS]


@pytest.mark.parametrize(
    ("status", "visibility", "viewer"), CASES, ids=[f"{s}-{v}-{w}" for s, v, w in CASES]
)
def test_applicants_view(client, session: Session, status: str, visibility: str, viewer: str):
    need_id, users = _market(session, status, visibility)
    headers = auth(users[viewer])
    detail = client.get(f"/api/v1/needs/{need_id}", headers=headers)
    listed = client.get("/api/v1/needs", params={"page_size": 100}, headers=headers).json()
    in_list = [n for n in listed["items"] if n["id"] == need_id]

    public = status in PUBLIC_STATES and visibility != "brokers_only"
    if viewer not in APPLICANTS and not public:
        assert detail.status_code == 404
        assert in_list == []
        return
    assert detail.status_code == 200, detail.text
    body = detail.json()
    winner = viewer in ("winner_lead", "winner_member") and status in WON
    assert (body["contact"] is not None) == winner
    assert (body["org"] is not None) == (winner or visibility != "anonymous")
    assert body["is_owner"] is False and "edit" not in body["actions"]
    assert in_list == [body]


def test_winner_reads_milestones_of_a_terminated_brokers_only_need(client, session: Session):
    """The issue's case: the winner of a terminated 仅经纪人可见 need lost its ledger page."""
    need_id, users = _market(session, "terminated", "brokers_only")
    for viewer in ("winner_lead", "winner_member"):
        r = client.get(f"/api/v1/needs/{need_id}/ledger", headers=auth(users[viewer]))
        assert r.status_code == 200, r.text
    r = client.get(f"/api/v1/needs/{need_id}/ledger", headers=auth(users["applicant_rejected"]))
    assert r.status_code == 403 and r.json()["error"] == "not_a_party"
    r = client.get(f"/api/v1/needs/{need_id}/ledger", headers=auth(users["stranger"]))
    assert r.status_code == 404
