"""The buttons on recommendations (issue 12 item 4): the enterprise gets 邀请揭榜 and
请经纪人对接 on its need's recommended capabilities, the researcher 我要揭榜 and 请经纪人对接
on the needs recommended for its capability; each goes once used, and nobody else gets any."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from matching.embedders import HashEmbedder
from service.engine.store import IndexStore, get_store
from service.kit.clock import today
from service.models import Capability, Need, User
from service.models.enums import OrgKind, Role
from tests.factories import auth, create_match, create_org, create_user
from tests.service.engine_support import embed_all, eval_capability, eval_need


@dataclass
class World:
    owner: User
    researcher: User
    broker: User
    need: Need
    caps: list[Capability]


@pytest.fixture
def store() -> IndexStore:
    return IndexStore(HashEmbedder(dim=128))


@pytest.fixture
def world(session: Session, store: IndexStore) -> World:
    owner = create_user(session, Role.enterprise)
    researcher = create_user(session, Role.researcher, org=create_org(session, OrgKind.university))
    need = eval_need(session, owner, "N001")
    caps = [eval_capability(session, researcher, k) for k in ("C189", "C044", "C144")]
    embed_all(session, store.embedder)
    return World(owner, researcher, create_user(session, Role.broker), need, caps)


@pytest.fixture
def api(client: TestClient, store: IndexStore) -> TestClient:
    client.app.dependency_overrides[get_store] = lambda: store  # type: ignore[attr-defined]
    return client


def _cap_hits(api: TestClient, world: World, user: User) -> dict[int, dict]:
    r = api.get(f"/api/v1/needs/{world.need.id}/recommendations", headers=auth(user))
    assert r.status_code == 200, r.text
    return {h["capability"]["id"]: h for h in r.json()}


def _need_hits(api: TestClient, world: World, user: User, cap: Capability) -> dict[int, dict]:
    r = api.get(f"/api/v1/capabilities/{cap.id}/recommendations", headers=auth(user))
    assert r.status_code == 200, r.text
    return {h["need"]["id"]: h for h in r.json()}


def test_enterprise_buttons_follow_what_was_done(
    api: TestClient, session: Session, world: World
) -> None:
    first, second, third = world.caps
    hits = _cap_hits(api, world, world.owner)
    assert set(hits) == {c.id for c in world.caps}
    assert all(h["actions"] == ["invite", "request_broker"] for h in hits.values())
    assert not any(h["invited"] or h["broker_requested"] for h in hits.values())
    url = f"/api/v1/needs/{world.need.id}/invitations"
    assert (
        api.post(url, json={"capability_id": first.id}, headers=auth(world.owner)).status_code
        == 201
    )
    body = {"need_id": world.need.id, "capability_id": second.id}
    r = api.post("/api/v1/matches/requests", json=body, headers=auth(world.owner))
    assert r.status_code == 201, r.text
    create_match(session, world.need, third, status="recommended", broker_id=world.broker.id)
    hits = _cap_hits(api, world, world.owner)
    assert (hits[first.id]["actions"], hits[first.id]["invited"]) == (["request_broker"], True)
    assert hits[second.id]["actions"] == ["invite"] and hits[second.id]["broker_requested"]
    assert hits[third.id]["actions"] == ["invite"] and hits[third.id]["broker_requested"]
    # past the deadline the need takes no applications: no invitations, brokers still can help
    world.need.deadline = today() - timedelta(days=1)
    session.flush()
    assert _cap_hits(api, world, world.owner)[first.id]["actions"] == ["request_broker"]


def test_broker_and_admin_get_no_side_buttons(
    api: TestClient, session: Session, world: World
) -> None:
    admin = create_user(session, Role.admin)
    for user in (world.broker, admin):
        assert all(h["actions"] == [] for h in _cap_hits(api, world, user).values())
        hits = _need_hits(api, world, user, world.caps[0])
        assert all(h["actions"] == [] for h in hits.values())


def test_researcher_buttons(api: TestClient, session: Session, world: World) -> None:
    cap = world.caps[0]
    hits = _need_hits(api, world, world.researcher, cap)
    assert hits[world.need.id]["actions"] == ["apply", "request_broker"]
    body = {"need_id": world.need.id, "capability_id": cap.id}
    r = api.post("/api/v1/matches/requests", json=body, headers=auth(world.researcher))
    assert r.status_code == 201, r.text
    hit = _need_hits(api, world, world.researcher, cap)[world.need.id]
    assert hit["actions"] == ["apply"] and hit["broker_requested"]
    # another capability of the same lab is another pair: still free to ask
    other = _need_hits(api, world, world.researcher, world.caps[1])[world.need.id]
    assert other["actions"] == ["apply", "request_broker"]
    # past the deadline: no 我要揭榜 (the need leaves the recommendations once closed)
    world.need.deadline = today() - timedelta(days=1)
    session.flush()
    hit = _need_hits(api, world, world.researcher, world.caps[1]).get(world.need.id)
    assert hit is None or "apply" not in hit["actions"]
