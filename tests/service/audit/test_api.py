"""The admin's audit view accepts every audited object type, taken from the state machines."""

import importlib
import pkgutil

import pytest
from sqlalchemy.orm import Session

import service
from service.audit.endpoints import OBJECT_TYPES
from service.audit.service import record_transition
from service.kit.lifecycle import MACHINES
from service.models.enums import Role
from tests.factories import auth, create_user


def test_every_state_machine_is_listed() -> None:
    """A new machine anywhere in the service is an audited type the admin can filter by."""
    for module in pkgutil.walk_packages(service.__path__, "service."):
        importlib.import_module(module.name)
    assert {m.object_type for m in MACHINES} == set(OBJECT_TYPES)
    assert {
        "need",
        "invitation",
        "capability",
        "application",
        "application_member",
        "milestone",
        "match",
        "review_assignment",
        "user",
        "api_key",
        "duplicate",
        "subscription",
    } == set(OBJECT_TYPES)


@pytest.mark.parametrize("object_type", OBJECT_TYPES)
def test_filter_by_each_type(client, session: Session, object_type: str) -> None:
    admin = create_user(session, Role.admin)
    for kind in OBJECT_TYPES:  # one row of every type, on the same object id
        record_transition(session, kind, 987654, "create", None, "x", admin.id, f"{kind} 行")
    r = client.get(
        "/api/v1/audit",
        params={"object_type": object_type, "object_id": 987654},
        headers=auth(admin),
    )
    assert r.status_code == 200, r.text
    rows = r.json()["items"]
    assert [(row["object_type"], row["reason"]) for row in rows] == [
        (object_type, f"{object_type} 行")
    ]
    assert rows[0]["actor_name"] == admin.display_name


def test_refusals(client, session: Session) -> None:
    admin = create_user(session, Role.admin)
    r = client.get("/api/v1/audit", params={"object_type": "nothing"}, headers=auth(admin))
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    assert client.get("/api/v1/audit", params={"object_type": "match"}).status_code == 401
    for role in (Role.broker, Role.expert, Role.enterprise, Role.researcher):
        r = client.get("/api/v1/audit", headers=auth(create_user(session, role)))
        assert r.status_code == 403, role
