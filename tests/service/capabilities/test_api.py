"""Capabilities: lifecycle by the right people, each role's view, bad input refused."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.capabilities.lifecycle import CAPABILITY_MACHINE
from service.kit.errors import InvalidTransition
from service.models import Capability
from service.models.enums import CapabilityStatus, Role
from tests.factories import auth, capability_payload, create_capability, create_user
from tests.service.lifecycles import moves, moves_of

# The capability lifecycle, written out apart from the machine (see needs/test_lifecycle.py).
LIFECYCLE = {
    "submit": ({"draft", "rejected"}, "submitted"),
    "approve": ({"submitted"}, "published"),
    "reject": ({"submitted"}, "rejected"),
    "archive": ({"draft", "rejected", "published"}, "archived"),
}
CASES = [(a, s) for a in LIFECYCLE for s in CapabilityStatus]


@pytest.mark.parametrize(("action", "state"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_machine_table(session: Session, action: str, state: CapabilityStatus) -> None:
    owner = create_user(session, Role.researcher)
    cap = create_capability(session, owner, status=state)
    sources, target = LIFECYCLE[action]
    if state in sources:
        CAPABILITY_MACHINE.apply(session, cap, action, owner.id, reason="理由")
        assert cap.status == target
    else:
        with pytest.raises(InvalidTransition):
            CAPABILITY_MACHINE.apply(session, cap, action, owner.id, reason="理由")
        assert cap.status == state


def test_full_lifecycle_through_the_api(client, session: Session) -> None:
    owner = create_user(session, Role.researcher)
    admin = create_user(session, Role.admin)
    r = client.post("/api/v1/capabilities", json=capability_payload(), headers=auth(owner))
    assert r.status_code == 201, r.text
    cap = r.json()
    assert cap["status"] == "draft" and cap["price_max_wan"] == "200"
    assert cap["maturity_label"] == "通过小试" and cap["transaction_mode_labels"][0] == "独占许可"
    url = f"/api/v1/capabilities/{cap['id']}"
    assert client.get(url).status_code == 404  # drafts are private
    assert client.post(f"{url}/submit", headers=auth(admin)).status_code == 404
    assert client.post(f"{url}/submit", headers=auth(owner)).json()["status"] == "submitted"
    r = client.post(f"{url}/reject", json={}, headers=auth(admin))
    assert r.status_code == 400 and r.json()["error"] == "reason_required"
    r = client.post(f"{url}/reject", json={"reason": "缺少专利号"}, headers=auth(admin))
    assert r.json()["status"] == "rejected"
    r = client.patch(url, json={"version": r.json()["version"], "trl": 6}, headers=auth(owner))
    assert r.status_code == 200 and r.json()["trl"] == 6
    client.post(f"{url}/submit", headers=auth(owner))
    r = client.post(f"{url}/approve", headers=auth(owner))
    assert r.status_code == 403
    r = client.post(f"{url}/approve", headers=auth(admin))
    assert r.json()["status"] == "published" and r.json()["reject_reason"] is None
    public = client.get(url).json()
    assert public["contact"] is None and public["org"]["id"] == owner.org_id
    broker = create_user(session, Role.broker)
    assert client.get(url, headers=auth(broker)).json()["contact"]["name"] == "李老师"
    r = client.post(f"{url}/archive", headers=auth(broker))
    assert r.status_code == 403
    assert client.post(f"{url}/archive", headers=auth(owner)).json()["status"] == "archived"
    assert client.get(url).status_code == 404
    history = client.get(f"{url}/history", headers=auth(owner)).json()
    assert [e["action"] for e in history] == [
        "create",
        "submit",
        "reject",
        "submit",
        "approve",
        "archive",
    ]


@pytest.mark.parametrize(
    ("viewer", "sees_draft", "sees_contact"),
    [
        ("public", False, False),
        ("owner", True, True),
        ("enterprise", False, False),
        ("other_researcher", False, False),
        ("broker", False, True),
        ("admin", False, True),
    ],
)
def test_each_role_view(
    client, session: Session, viewer: str, sees_draft: bool, sees_contact: bool
) -> None:
    owner = create_user(session, Role.researcher)
    draft = create_capability(session, owner, status="draft")
    published = create_capability(session, owner, status="published")
    users = {
        "public": None,
        "owner": owner,
        "enterprise": create_user(session, Role.enterprise),
        "other_researcher": create_user(session, Role.researcher),
        "broker": create_user(session, Role.broker),
        "admin": create_user(session, Role.admin),
    }
    headers = auth(users[viewer]) if users[viewer] else {}
    assert (
        client.get(f"/api/v1/capabilities/{draft.id}", headers=headers).status_code == 200
    ) == sees_draft
    body = client.get(f"/api/v1/capabilities/{published.id}", headers=headers).json()
    assert (body["contact"] is not None) == sees_contact


BAD = [
    ("description_short", {"description": "太短"}, 422),
    ("description_huge", {"description": "字" * 5001}, 422),
    ("trl_10", {"trl": 10}, 422),
    ("bad_maturity", {"maturity": "dreaming"}, 422),
    ("price_inverted", {"price_min_wan": "300", "price_max_wan": "100"}, 422),
    ("negative_price", {"price_min_wan": "-1"}, 422),
    ("bad_mode", {"transaction_modes": ["barter"]}, 422),
    ("unknown_field", {"field": "astrology"}, 400),
    ("bad_ip", {"ip_type": "rumour"}, 422),
]


@pytest.mark.parametrize(("case", "change", "status"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused(
    client, session: Session, case: str, change: dict, status: int
) -> None:
    owner = create_user(session, Role.researcher)
    r = client.post("/api/v1/capabilities", json=capability_payload(**change), headers=auth(owner))
    assert r.status_code == status, r.text
    assert session.scalar(select(func.count()).select_from(Capability)) == 0


def test_edit_refusals(client, session: Session) -> None:
    owner = create_user(session, Role.researcher)
    cap = create_capability(session, owner, status="draft", price_min=None, price_max=None)
    url = f"/api/v1/capabilities/{cap.id}"
    r = client.patch(url, json={"version": 1, "price_max_wan": "10"}, headers=auth(owner))
    assert r.status_code == 200
    r = client.patch(url, json={"version": 2, "price_min_wan": "20"}, headers=auth(owner))
    assert r.status_code == 400 and r.json()["error"] == "bad_price_range"
    r = client.patch(url, json={"version": 1, "team": "x"}, headers=auth(owner))
    assert r.status_code == 409
    enterprise = create_user(session, Role.enterprise)
    r = client.post("/api/v1/capabilities", json=capability_payload(), headers=auth(enterprise))
    assert r.status_code == 403
    published = create_capability(session, owner, status="published")
    r = client.patch(
        f"/api/v1/capabilities/{published.id}",
        json={"version": 1, "team": "x"},
        headers=auth(owner),
    )
    assert r.status_code == 409


def test_list_filters(client, session: Session) -> None:
    owner = create_user(session, Role.researcher)
    a = create_capability(
        session,
        owner,
        title="碳化硅外延缺陷光学检测",
        maturity="pilot_medium",
        field_code="semiconductor",
        trl=7,
    )
    b = create_capability(session, owner, title="柔性OLED薄膜封装", field_code="display", trl=3)

    def ids(**params: object) -> list[int]:
        return [c["id"] for c in client.get("/api/v1/capabilities", params=params).json()["items"]]

    assert ids(field="semiconductor") == [a.id]
    assert ids(maturity="pilot_medium") == [a.id]
    assert ids(q="oled") == [b.id]
    assert ids(sort="-trl") == [a.id, b.id]
    assert ids(org_id=owner.org_id, sort="trl") == [b.id, a.id]


def test_the_machine_is_the_lifecycle() -> None:
    """No action, source or target beyond the written lifecycle (births excepted)."""
    assert moves_of(CAPABILITY_MACHINE) == moves(LIFECYCLE)
