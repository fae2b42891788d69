"""The buttons beside a need's lifecycle steps, per role and state: the web app shows only what
`actions` lists, so each one is tested for who gets it and who does not."""

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from service.kit.clock import today
from service.models import Organization
from service.models.enums import Role
from tests.factories import auth, create_capability, create_match, create_need, create_user

OFFERS = (
    "apply",
    "applications",
    "reviews",
    "recommendations",
    "candidates",
    "request-termination",
)


def _offers(client, user, url: str) -> set[str]:
    headers = auth(user) if user is not None else {}
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    return set(r.json()["actions"]) & set(OFFERS)


@pytest.fixture
def owner(session: Session):
    return create_user(session, Role.enterprise)


def test_an_open_need_offers_apply_to_other_organisations_only(client, session, owner) -> None:
    need = create_need(session, owner, call_type="jiebang_guashuai")
    url = f"/api/v1/needs/{need.id}"
    assert _offers(client, owner, url) == {"applications", "reviews", "recommendations"}
    assert _offers(client, create_user(session, Role.researcher), url) == {"apply"}
    assert _offers(client, create_user(session, Role.enterprise), url) == {"apply"}
    broker = create_user(session, Role.broker)
    assert _offers(client, broker, url) == {"recommendations", "candidates"}
    admin = create_user(session, Role.admin)
    assert _offers(client, admin, url) == {
        "applications",
        "reviews",
        "recommendations",
        "candidates",
    }
    assert _offers(client, create_user(session, Role.expert), url) == set()
    assert _offers(client, None, url) == set()
    colleague = create_user(session, Role.researcher, org=session.get(Organization, owner.org_id))
    assert _offers(client, colleague, url) == set()  # never 揭榜 one's own organisation's need


def test_no_apply_past_the_deadline_or_after_publishing(client, session, owner) -> None:
    researcher = create_user(session, Role.researcher)
    late = create_need(session, owner, deadline=today() - timedelta(days=1))
    assert "apply" not in _offers(client, researcher, f"/api/v1/needs/{late.id}")
    closed = create_need(session, owner, status="under_review")
    assert _offers(client, researcher, f"/api/v1/needs/{closed.id}") == set()


@pytest.mark.parametrize("status", ["draft", "submitted", "rejected"])
def test_nothing_to_see_before_publishing(client, session, owner, status: str) -> None:
    need = create_need(session, owner, status=status, call_type="jiebang_guashuai")
    assert _offers(client, owner, f"/api/v1/needs/{need.id}") == set()


def test_reviews_only_for_jiebang_guashuai(client, session, owner) -> None:
    need = create_need(session, owner, call_type="regular")
    assert "reviews" not in _offers(client, owner, f"/api/v1/needs/{need.id}")


@pytest.mark.parametrize("status", ["awarded", "in_progress"])
def test_the_owner_asks_an_admin_to_terminate(client, session, owner, status: str) -> None:
    need = create_need(session, owner, status=status)
    url = f"/api/v1/needs/{need.id}"
    assert "request-termination" in _offers(client, owner, url)
    assert "request-termination" not in _offers(client, create_user(session, Role.admin), url)
    done = create_need(session, owner, status="completed")
    assert "request-termination" not in _offers(client, owner, f"/api/v1/needs/{done.id}")


def test_candidates_are_offered_exactly_to_who_reads_them(client, session, owner) -> None:
    """`candidates` (the need page's panel of the engine's matches awaiting review) iff the
    caller's match list shows the need's candidate: the web app asks only then."""
    need = create_need(session, owner)
    cap = create_capability(session, create_user(session, Role.researcher))
    match = create_match(session, need, cap)
    callers = {"owner": owner, "visitor": None} | {r.value: create_user(session, r) for r in Role}
    offered = set()
    for name, user in callers.items():
        headers = auth(user) if user is not None else {}
        query = {"need_id": need.id, "status": "candidate"}
        r = client.get("/api/v1/matches", params=query, headers=headers)
        reads = r.status_code == 200 and [m["id"] for m in r.json()["items"]] == [match.id]
        told = "candidates" in _offers(client, user, f"/api/v1/needs/{need.id}")
        assert told == reads, name
        offered |= {name} if told else set()
    assert offered == {"broker", "admin"}
