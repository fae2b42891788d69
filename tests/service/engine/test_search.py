"""Semantic + keyword search over published postings: exact filters, visibility, paging, 422s.

A small deterministic embedder stands in for speed; the real model is exercised in
test_recommend.py and test_processes.py.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from matching.embedders import HashEmbedder
from service.engine import repository
from service.engine import service as engine_service
from service.engine.service import LOW_TAIL, RELEVANT_FROM
from service.engine.store import IndexStore, get_store
from service.kit.clock import today
from service.models import Capability, Need, User
from service.models.enums import CapabilityStatus, NeedStatus, OrgKind, Role
from service.needs import auth as need_auth
from tests.factories import auth, create_org, create_user
from tests.service.engine_support import embed_all, eval_capability, eval_need


@dataclass
class Board:
    needs: dict[str, Need]
    caps: dict[str, Capability]
    broker: User
    enterprise: User


@pytest.fixture
def store() -> IndexStore:
    return IndexStore(HashEmbedder(dim=128))


@pytest.fixture
def board(session: Session, store: IndexStore) -> Board:
    a = create_user(session, Role.enterprise)
    b = create_user(session, Role.enterprise)
    lab = create_user(session, Role.researcher, org=create_org(session, OrgKind.university))
    inst = create_user(session, Role.researcher, org=create_org(session, OrgKind.institute))
    d = today()
    needs = {
        "N001": eval_need(
            session, a, "N001", bounty=Decimal("3000000.00"), deadline=d + timedelta(days=30)
        ),
        "N002": eval_need(
            session,
            a,
            "N002",
            bounty=Decimal("1000000.00"),
            deadline=d + timedelta(days=60),
            call_type="problem_tender",
        ),
        "N003": eval_need(
            session,
            b,
            "N003",
            bounty=Decimal("5000000.00"),
            deadline=d + timedelta(days=90),
            visibility="anonymous",
        ),
        "N004": eval_need(
            session, b, "N004", bounty=Decimal("800000.00"), deadline=d + timedelta(days=45)
        ),
        "N005": eval_need(
            session, b, "N005", bounty=Decimal("2000000.00"), visibility="brokers_only"
        ),
        "N006": eval_need(session, a, "N006", status="draft"),
        "N007": eval_need(session, a, "N007", status="submitted"),
    }
    caps = {
        "C189": eval_capability(session, lab, "C189", maturity="pilot_small"),
        "C044": eval_capability(session, lab, "C044", maturity="mass_production"),
        "C144": eval_capability(session, inst, "C144", maturity="pilot_small"),
        "C209": eval_capability(session, inst, "C209", maturity="sample"),
        "C071": eval_capability(session, inst, "C071", status="draft"),
    }
    embed_all(session, store.embedder)
    return Board(needs, caps, create_user(session, Role.broker), a)


@pytest.fixture
def api(client: TestClient, store: IndexStore) -> TestClient:
    client.app.dependency_overrides[get_store] = lambda: store  # type: ignore[attr-defined]
    return client


def _ids(response: object) -> set[int]:
    body = response.json()  # type: ignore[attr-defined]
    return {
        item["need"]["id"] if "need" in item else item["capability"]["id"] for item in body["items"]
    }


def test_search_needs_ranks_by_meaning_and_words(api: TestClient, board: Board) -> None:
    response = api.get("/api/v1/search/needs", params={"q": "柔性OLED 高温高湿 边缘发黄"})
    assert response.status_code == 200, response.text
    body = response.json()
    first = body["items"][0]
    assert first["need"]["id"] == board.needs["N001"].id
    assert first["reasons"] and first["shared_terms"]
    assert set(first["parts"]) == {"base", "semantic", "keyword", "indicator", "field"}
    assert 0 <= first["score"] <= 100
    assert first["score"] == pytest.approx(sum(first["parts"].values()), abs=1e-3)
    assert first["band_label"] in ("高", "中", "低")
    assert "contact" not in first["need"]


def test_search_needs_shows_only_what_the_caller_may_see(api: TestClient, board: Board) -> None:
    public = {board.needs[k].id for k in ("N001", "N002", "N003", "N004")}
    assert _ids(api.get("/api/v1/search/needs", params={"q": "检测", "page_size": 100})) == public
    broker = api.get(
        "/api/v1/search/needs", params={"q": "检测", "page_size": 100}, headers=auth(board.broker)
    )
    assert _ids(broker) == public | {board.needs["N005"].id}
    # even the owner's own draft and submitted needs are not on the board
    owner = api.get(
        "/api/v1/search/needs",
        params={"q": "检测", "page_size": 100},
        headers=auth(board.enterprise),
    )
    assert board.needs["N006"].id not in _ids(owner) and board.needs["N007"].id not in _ids(owner)
    anonymous = next(
        i
        for i in api.get("/api/v1/search/needs", params={"q": "检测", "page_size": 100}).json()[
            "items"
        ]
        if i["need"]["id"] == board.needs["N003"].id
    )
    assert anonymous["need"]["org"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"bounty_min_wan": "100", "bounty_max_wan": "300"}, {"N001", "N002"}),
        ({"bounty_min_wan": "300.01"}, {"N003"}),
        ({"bounty_max_wan": "80"}, {"N004"}),
        ({"call_type": "problem_tender"}, {"N002"}),
        ({"field": "display"}, None),
    ],
)
def test_search_needs_filters_apply_exactly(
    api: TestClient, board: Board, params: dict[str, str], expected: set[str] | None
) -> None:
    response = api.get(
        "/api/v1/search/needs", params={"q": "检测 良率", "page_size": 100, **params}
    )
    assert response.status_code == 200, response.text
    public = {k: n for k, n in board.needs.items() if k in ("N001", "N002", "N003", "N004")}
    if expected is None:
        expected = {k for k, n in public.items() if n.field_code == params["field"]}
    assert _ids(response) == {board.needs[k].id for k in expected}
    assert response.json()["total"] == len(expected)


def test_search_needs_deadline_and_org_filters(api: TestClient, board: Board) -> None:
    d = today()
    params = {
        "q": "工艺",
        "deadline_from": str(d + timedelta(days=45)),
        "deadline_to": str(d + timedelta(days=60)),
    }
    assert _ids(api.get("/api/v1/search/needs", params=params)) == {
        board.needs["N002"].id,
        board.needs["N004"].id,
    }
    org_b = board.needs["N003"].org_id
    # the public cannot find the anonymous need by its enterprise; a broker can
    assert _ids(api.get("/api/v1/search/needs", params={"q": "检测", "org_id": org_b})) == {
        board.needs["N004"].id
    }
    broker = api.get(
        "/api/v1/search/needs", params={"q": "检测", "org_id": org_b}, headers=auth(board.broker)
    )
    assert _ids(broker) == {board.needs[k].id for k in ("N003", "N004", "N005")}


def test_search_pages_through_one_ranking(api: TestClient, board: Board) -> None:
    full = api.get("/api/v1/search/needs", params={"q": "检测", "page_size": 100}).json()
    ranked = [i["need"]["id"] for i in full["items"]]
    pages = [
        api.get("/api/v1/search/needs", params={"q": "检测", "page_size": 3, "page": p}).json()
        for p in (1, 2)
    ]
    assert [i["need"]["id"] for p in pages for i in p["items"]] == ranked
    assert all(p["total"] == len(ranked) for p in pages)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "检测", "bounty_min_wan": "500", "bounty_max_wan": "100"},
        {"q": "检测", "bounty_min_wan": "-1"},
        {"q": "检测", "bounty_min_wan": "abc"},
        {"q": "检测", "deadline_from": "2027-13-01"},
        {"q": "检测", "deadline_from": "2027-03-01", "deadline_to": "2027-02-01"},
        {"q": "检测", "call_type": "lottery"},
        {"q": "检测", "page_size": "1000"},
        {"q": "检测" * 200},
    ],
)
def test_search_needs_bad_filters_are_422(
    api: TestClient, board: Board, params: dict[str, str]
) -> None:
    response = api.get("/api/v1/search/needs", params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error" and body["fields"]


def test_search_capabilities_published_only_with_exact_filters(
    api: TestClient, board: Board
) -> None:
    published = {board.caps[k].id for k in ("C189", "C044", "C144", "C209")}
    response = api.get(
        "/api/v1/search/capabilities", params={"q": "薄膜封装 水汽阻隔", "page_size": 50}
    )
    assert response.status_code == 200, response.text
    assert _ids(response) == published
    assert response.json()["items"][0]["capability"]["id"] == board.caps["C189"].id
    pilot = api.get("/api/v1/search/capabilities", params={"q": "薄膜", "maturity": "pilot_small"})
    assert _ids(pilot) == {board.caps["C189"].id, board.caps["C144"].id}
    lab = board.caps["C189"].org_id
    assert _ids(api.get("/api/v1/search/capabilities", params={"q": "薄膜", "org_id": lab})) == {
        board.caps["C189"].id,
        board.caps["C044"].id,
    }
    field = api.get("/api/v1/search/capabilities", params={"q": "薄膜", "field": "new_materials"})
    assert _ids(field) == {
        c.id
        for c in board.caps.values()
        if c.field_code == "new_materials" and c.status == "published"
    }
    bad = api.get("/api/v1/search/capabilities", params={"q": "薄膜", "maturity": "ripe"})
    assert bad.status_code == 422 and bad.json()["error"] == "validation_error"


def test_search_stops_at_the_relevance_threshold(
    api: TestClient, session: Session, store: IndexStore
) -> None:
    """Results at or above the 中 band, then at most LOW_TAIL marked low; never the library."""
    lab = create_user(session, Role.researcher, org=create_org(session, OrgKind.university))
    keys = [f"C{n:03d}" for n in range(1, 25)]
    caps = {k: eval_capability(session, lab, k) for k in keys}
    embed_all(session, store.embedder)
    body = api.get(
        "/api/v1/search/capabilities",
        params={"q": "焊缝 相控阵超声 自动检测 未熔合 气孔", "page_size": 50},
    ).json()
    items = body["items"]
    assert items[0]["capability"]["id"] == caps["C001"].id
    assert not items[0]["low_relevance"] and items[0]["score"] >= RELEVANT_FROM
    relevant = body["relevant"]
    assert 1 <= relevant < len(keys)
    assert body["total"] == len(items) <= relevant + LOW_TAIL < len(keys)
    assert [i["low_relevance"] for i in items] == [n >= relevant for n in range(len(items))]
    assert all(i["score"] < RELEVANT_FROM for i in items[relevant:])
    # a query nothing answers: no relevant result, only the marked tail
    none = api.get("/api/v1/search/capabilities", params={"q": "中药口服液澄清"}).json()
    assert none["relevant"] == 0 and 0 < none["total"] <= LOW_TAIL
    assert all(i["low_relevance"] for i in none["items"])


def test_a_search_checks_its_candidates_not_every_allowed_posting(
    api: TestClient, board: Board, session: Session, store: IndexStore, engine: Engine
) -> None:
    """Search ranks under a screen and checks the few hundred ids it admitted, instead of
    reading every published id first (100k ids per search at 100k postings); the ranking is
    the one the allowed ids give, also when the screen admitted a draft or a brokers-only
    need and had to rank again without it."""
    statements: list[str] = []

    def note(conn: object, cursor: object, statement: str, *rest: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        for kind in ("needs", "capabilities"):
            got = api.get(f"/api/v1/search/{kind}", params={"q": "检测 薄膜 工艺"})
            assert got.status_code == 200, got.text
    finally:
        event.remove(engine, "before_cursor_execute", note)
    posting_reads = [
        s for s in statements if re.search(r"FROM (needs|capabilities)\b", s) and "SELECT" in s
    ]
    assert posting_reads and all(re.search(r" IN \(| = ANY \(", s) for s in posting_reads), (
        posting_reads
    )

    drafts = {  # by side: a need and a capability may share an id
        "need": {board.needs["N006"].id, board.needs["N007"].id},
        "capability": {board.caps["C071"].id},
    }
    for kind, corpus, where in (
        ("need", "need", [need_auth.readable(None)]),
        ("capability", "capability", []),
    ):
        for q in ("检测 良率", "薄膜封装 水汽阻隔", "工艺"):
            status = (
                Need.status == NeedStatus.published
                if kind == "need"
                else Capability.status == CapabilityStatus.published
            )
            screened = engine_service._rank(
                session, store, corpus, q, [status, *where], k=50, selective=True, explain=0
            )
            allowed = repository.ids_where(session, corpus, status, *where)
            exact = store.rank(corpus, q, allowed=allowed, k=50, explain=0, session=session)
            assert [(m.id, m.score, m.features) for m in screened] == [
                (m.id, m.score, m.features) for m in exact
            ]
            assert not drafts[kind] & {m.id for m in screened}
    # the unscreened candidates hold the draft and brokers-only needs: the screen refused
    # them and ranked again
    unscreened = store.rank("need", "检测 良率", allowed=None, k=50, explain=0, session=session)
    hidden = {board.needs[k].id for k in ("N005", "N006", "N007")}
    assert hidden & {m.id for m in unscreened}


def test_free_text_without_a_requirement_reads_no_candidate_facts(
    api: TestClient, board: Board, engine: Engine
) -> None:
    """What scoring reads of a candidate (field, indicators) is read only when the query
    can use it: free text with a requirement (≤, 不低于 …) is checked against each
    candidate's indicators; free text without one has none to check and no field to share,
    so its hundreds of candidates' facts are not read (a read per search at 100k)."""
    statements: list[str] = []

    def note(conn: object, cursor: object, statement: str, *rest: object) -> None:
        statements.append(statement)

    def facts_read(q: str) -> bool:
        statements.clear()
        event.listen(engine, "before_cursor_execute", note)
        try:
            got = api.get("/api/v1/search/capabilities", params={"q": q})
        finally:
            event.remove(engine, "before_cursor_execute", note)
        assert got.status_code == 200, got.text
        assert got.json()["items"]
        return any("keyword_docs.posting_id, keyword_docs.facts" in s for s in statements)

    assert not facts_read("薄膜封装 水汽阻隔")
    assert facts_read("薄膜封装 水汽透过率≤0.01 g/m²/day")


def test_a_next_page_or_repeated_search_encodes_its_text_once(
    api: TestClient,
    board: Board,
    store: IndexStore,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process keeps the vectors of the free texts it encoded (encoding is ~20–40 ms of
    CPU a search): the next page of a search, or the same text searched again on either
    side, is not encoded again, and ranks the same; the page's rows with their organisation
    and field are one statement."""
    encoded: list[str] = []
    original = store.embedder.encode_queries

    def counted(texts: list[str]) -> object:
        encoded.extend(texts)
        return original(texts)

    monkeypatch.setattr(store.embedder, "encode_queries", counted)
    q = "柔性OLED 检测 良率"
    first = api.get("/api/v1/search/capabilities", params={"q": q, "page_size": 2})
    statements: list[str] = []

    def note(conn: object, cursor: object, statement: str, *rest: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        second = api.get("/api/v1/search/capabilities", params={"q": q, "page_size": 2, "page": 2})
    finally:
        event.remove(engine, "before_cursor_execute", note)
    again = api.get("/api/v1/search/capabilities", params={"q": q, "page_size": 4})
    needs = api.get("/api/v1/search/needs", params={"q": q})
    assert all(r.status_code == 200 for r in (first, second, again, needs))
    assert encoded == [q]
    pages = [i["capability"]["id"] for i in first.json()["items"] + second.json()["items"]]
    assert len(pages) == 4 and pages == [i["capability"]["id"] for i in again.json()["items"]]
    assert needs.json()["items"]
    page_rows = [s for s in statements if "organizations" in s or "fields." in s]
    assert len(page_rows) == 1 and "JOIN organizations" in page_rows[0], page_rows


def test_a_search_explains_only_the_page_it_returns(
    api: TestClient, board: Board, store: IndexStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every result is ranked (the total counts them), but only the returned page gets its
    shared terms and reasons worked out; the page's explanation is the one the whole
    ranking would give it."""
    assert api.get("/api/v1/search/needs", params={"q": "检测"}).status_code == 200  # loaded
    matcher = store._sides["need"].matcher
    explained: list[int] = []
    original = matcher._explain_all

    def counted(qset: set[str], matches: list, *rest: object) -> list:
        explained.extend(int(m.id) for m in matches)
        return original(qset, matches, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(matcher, "_explain_all", counted)
    full = api.get("/api/v1/search/needs", params={"q": "检测 良率", "page_size": 100}).json()
    assert full["total"] >= 3 and len(explained) == full["total"]
    by_id = {i["need"]["id"]: i for i in full["items"]}
    explained.clear()
    page = api.get("/api/v1/search/needs", params={"q": "检测 良率", "page_size": 1, "page": 2})
    body = page.json()
    assert page.status_code == 200 and body["total"] == full["total"]
    [item] = body["items"]
    assert explained == [item["need"]["id"]]  # one explained, not the whole ranking
    whole = by_id[item["need"]["id"]]
    assert item["reasons"]
    for part in ("reasons", "shared_terms", "indicators_met", "indicators_missed", "score"):
        assert item[part] == whole[part], part
