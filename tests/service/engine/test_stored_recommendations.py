"""Recommendations served from stored lists (issue 11): the real worker thread stores each
posting's list after its commit, a request reads it and ranks nothing, the caller's filters
apply at read time, and a changed capability leaves and re-enters a need's list — on a
database whose commits are real (SQLite, or PostgreSQL with JIEBANG_TEST_DATABASE_URL)."""

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from matching.documents import normalise_field
from matching.embedders import HashEmbedder
from matching.model import RankModel, default_model
from service.app import create_app
from service.config import get_settings
from service.engine import recommendations, refresh, repository
from service.engine.jobs import enqueue_embedding, set_dispatch
from service.engine.store import IndexStore, get_store
from service.engine.worker import EmbeddingWorker
from service.kit.db import get_session, make_engine, read_only, utcnow
from service.models import (
    Capability,
    Match,
    Need,
    RankModelRecord,
    RecommendationList,
    StoredRecommendation,
    User,
)
from service.models.enums import OrgKind, Role
from tests.factories import auth, create_org, create_user, need_payload
from tests.service.engine_support import (
    committed_database_url,
    embed_all,
    eval_capability,
    eval_need,
    eval_rows,
)

CAPS = ("C189", "C044", "C144", "C209", "C071", "C001", "C038")


@pytest.fixture
def committed_engine(tmp_path: Path) -> Iterator[Engine]:
    for url in committed_database_url(tmp_path, "stored"):
        engine = make_engine(url)
        yield engine
        engine.dispose()


@dataclass
class Rig:
    api: TestClient
    worker: EmbeddingWorker
    store: IndexStore
    sm: sessionmaker[Session]
    engine: Engine
    users: dict[str, User]
    caps: dict[str, int]  # eval key → capability id (the lab's)
    own_cap: int  # same text as C189, of the enterprise's own organisation
    hidden_need: int  # brokers-only, of another enterprise

    def user(self, name: str) -> User:
        return self.users[name]


@pytest.fixture
def rig(committed_engine: Engine) -> Iterator[Rig]:
    sm = sessionmaker(bind=committed_engine, expire_on_commit=False)
    with sm() as s:
        lab = create_org(s, OrgKind.university)
        users = {
            "owner": create_user(s, Role.enterprise),
            "other_enterprise": create_user(s, Role.enterprise),
            "researcher": create_user(s, Role.researcher, org=lab),
            "other_researcher": create_user(s, Role.researcher),
            "broker": create_user(s, Role.broker),
            "expert": create_user(s, Role.expert),
            "admin": create_user(s, Role.admin),
        }
        caps = {k: eval_capability(s, users["researcher"], k).id for k in CAPS}
        own_cap = eval_capability(s, users["owner"], "C189").id
        hidden = eval_need(s, users["other_enterprise"], "N001", visibility="brokers_only").id
        s.commit()
    store = IndexStore(HashEmbedder(dim=128))
    worker = EmbeddingWorker(sm, lambda: store, sweep_seconds=3600)
    app = create_app()

    def _session(request: Request) -> Iterator[Session]:
        session = sm()
        if request.method == "GET":  # as the app's own sessions: reads begin DEFERRED
            read_only(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    app.dependency_overrides[get_session] = _session
    app.dependency_overrides[get_store] = lambda: store
    worker.sweep()  # the capabilities and the hidden need get their vectors and their lists
    set_dispatch(worker.enqueue, worker.viewed)
    worker.start()
    # the thread's own first sweep must not race a test's postings (it would store their lists)
    assert worker.swept.wait(60)
    with TestClient(app) as api:
        yield Rig(api, worker, store, sm, committed_engine, users, caps, own_cap, hidden)
    set_dispatch(None)
    worker.stop()


class Counted:
    """Counts the calls of the store's real `rank` (it still runs)."""

    def __init__(self, store: IndexStore) -> None:
        self.calls = 0
        self._rank = store.rank

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return self._rank(*args, **kwargs)

        store.rank = counted  # type: ignore[method-assign]


def _publish_need(rig: Rig, **overrides: Any) -> int:
    row = eval_rows("needs.jsonl")["N001"]
    payload = need_payload(
        title=row["title"][:100],
        problem=row["problem"],
        key_difficulty=row["key_difficulty"],
        expected_goal=row["expected_goal"],
        keywords=row.get("keywords", [])[:5],
        **overrides,
    )
    owner = rig.user("owner")
    response = rig.api.post("/api/v1/needs", json=payload, headers=auth(owner))
    assert response.status_code == 201, response.text
    need_id = int(response.json()["id"])
    for action, user in (("submit", owner), ("approve", rig.user("admin"))):
        response = rig.api.post(f"/api/v1/needs/{need_id}/{action}", headers=auth(user))
        assert response.status_code == 200, response.text
    assert rig.worker.wait_idle()
    return need_id


def _stored(rig: Rig, kind: str, subject_id: int) -> list[int] | None:
    with rig.sm() as s:
        head = s.scalar(
            select(RecommendationList).where(
                RecommendationList.subject_kind == kind,
                RecommendationList.subject_id == subject_id,
            )
        )
        if head is None:
            return None
        rows = s.scalars(
            select(StoredRecommendation.posting_id)
            .where(
                StoredRecommendation.subject_kind == kind,
                StoredRecommendation.subject_id == subject_id,
            )
            .order_by(StoredRecommendation.rank)
        )
        return list(rows)


def _get(rig: Rig, url: str, user: User | None) -> Any:
    response = rig.api.get(url, headers=auth(user) if user else {})
    return response


def _edit_capability(rig: Rig, cap_id: int, **columns: Any) -> None:
    """Change a published capability's text as an import or an admin fix does, and hand it to
    the worker after the commit (the path every posting change takes)."""
    with rig.sm() as s:
        cap = s.get(Capability, cap_id)
        assert cap is not None
        for name, value in columns.items():
            setattr(cap, name, value)
        enqueue_embedding(s, "capability", cap_id)
        s.commit()
    assert rig.worker.wait_idle()


def _statements(engine: Engine) -> tuple[list[str], Callable[[], None]]:
    seen: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


def test_publishing_stores_both_ways_and_a_get_ranks_nothing(rig: Rig) -> None:
    need_id = _publish_need(rig)
    stored = _stored(rig, "need", need_id)
    assert stored is not None
    assert set(stored) == set(rig.caps.values())  # published, never its own organisation's
    for cap_id in rig.caps.values():  # the new need entered every capability's list
        listed = _stored(rig, "capability", cap_id)
        assert listed is not None and need_id in listed
    # the broker candidates are the head of the same stored list, not a second ranking
    with rig.sm() as s:
        matched = set(s.scalars(select(Match.capability_id).where(Match.need_id == need_id)))
    assert matched == set(stored[:10])

    counter = Counted(rig.store)
    seen, stop = _statements(rig.engine)
    try:
        owner = rig.user("owner")
        response = _get(rig, f"/api/v1/needs/{need_id}/recommendations?limit=5", owner)
    finally:
        stop()
    assert response.status_code == 200, response.text
    items = response.json()
    assert [i["capability"]["id"] for i in items] == stored[:5]  # the stored order
    assert items[0]["score"] == pytest.approx(sum(items[0]["parts"].values()), abs=1e-3)
    assert items[0]["reasons"] and items[0]["band"] in ("high", "medium", "low")
    assert all(i["actions"] == ["invite", "request_broker"] for i in items)
    assert counter.calls == 0
    assert not any("posting_vectors" in q for q in seen)  # no index catch-up either
    reads = [q for q in seen if "FROM recommendations" in q]
    assert len(reads) == 1, reads  # the rows, their postings, organisations and fields at once
    # ... with the list's head and the newest rank model (no statement of their own), and
    # without the rows' ranking inputs, which are never shown
    assert not [q for q in seen if "recommendation_lists" in q and q not in reads], seen
    assert not [q for q in seen if "rank_models" in q and q not in reads], seen
    assert "recommendations.features" not in reads[0]
    with rig.sm() as s:  # the rows are read as plain columns: no ORM object is loaded for them
        need = s.get(Need, need_id)
        assert need is not None
        read = recommendations.read(s, need, 5)
        assert read is not None and [p.id for p in read[1]] == stored[:5]
        assert [r.posting_id for r in read[0]] == stored[:5]
        assert [type(o) for o in s.identity_map.values()] == [Need]

    cap_url = f"/api/v1/capabilities/{rig.caps['C189']}/recommendations"
    hits = _get(rig, cap_url, rig.user("researcher")).json()
    assert need_id in [h["need"]["id"] for h in hits]
    assert next(h for h in hits if h["need"]["id"] == need_id)["actions"] == [
        "apply",
        "request_broker",
    ]
    assert counter.calls == 0


def test_filters_and_refusals_apply_at_read_time_per_role(rig: Rig) -> None:
    need_id = _publish_need(rig, visibility="anonymous")
    counter = Counted(rig.store)
    cap_url = f"/api/v1/capabilities/{rig.caps['C189']}/recommendations"
    assert rig.hidden_need in (_stored(rig, "capability", rig.caps["C189"]) or [])

    def need_ids(user: User) -> dict[int, Any]:
        response = _get(rig, cap_url, user)
        assert response.status_code == 200, response.text
        return {h["need"]["id"]: h for h in response.json()}

    researcher = need_ids(rig.user("researcher"))
    assert need_id in researcher and rig.hidden_need not in researcher  # brokers-only
    assert researcher[need_id]["need"]["org"] is None  # anonymous: its enterprise hidden
    for role in ("broker", "admin"):
        seen = need_ids(rig.user(role))
        assert {need_id, rig.hidden_need} <= set(seen)
        assert seen[need_id]["need"]["org"] is not None and seen[need_id]["actions"] == []
    for role, status in (("other_researcher", 403), ("owner", 403), ("expert", 403)):
        assert _get(rig, cap_url, rig.user(role)).status_code == status
    assert _get(rig, cap_url, None).status_code == 401

    need_url = f"/api/v1/needs/{need_id}/recommendations"
    for role, status in (
        ("other_enterprise", 403),
        ("researcher", 403),
        ("expert", 403),
        ("broker", 200),
        ("admin", 200),
    ):
        assert _get(rig, need_url, rig.user(role)).status_code == status
    assert _get(rig, need_url, None).status_code == 401
    hidden_url = f"/api/v1/needs/{rig.hidden_need}/recommendations"
    assert _get(rig, hidden_url, rig.user("owner")).status_code == 404  # not readable
    owner_ids = {i["capability"]["id"] for i in _get(rig, need_url, rig.user("owner")).json()}
    assert rig.own_cap not in owner_ids

    # archived since: its stored row stays until the next refresh, but is never shown
    archived = rig.caps["C189"]
    with rig.sm() as s:
        cap = s.get(Capability, archived)
        assert cap is not None
        cap.status = "archived"
        s.commit()
    assert archived in (_stored(rig, "need", need_id) or [])
    owner_ids = {i["capability"]["id"] for i in _get(rig, need_url, rig.user("owner")).json()}
    assert archived not in owner_ids and owner_ids
    # a need withdrawn since leaves the capability's recommendations the same way
    with rig.sm() as s:
        need = s.get(Need, need_id)
        assert need is not None
        need.status = "withdrawn"
        s.commit()
    other_url = f"/api/v1/capabilities/{rig.caps['C044']}/recommendations"
    assert need_id in (_stored(rig, "capability", rig.caps["C044"]) or [])
    shown = [h["need"]["id"] for h in _get(rig, other_url, rig.user("broker")).json()]
    assert need_id not in shown and rig.hidden_need in shown
    assert counter.calls == 0


def test_a_changed_capability_leaves_and_reenters_a_needs_list(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recommendations, "STORED", 3)  # a short list: the corpus is larger
    need_id = _publish_need(rig)
    before = _stored(rig, "need", need_id)
    assert before is not None and len(before) == 3
    solver = before[0]  # the best of the 7 capabilities for the need
    key = next(k for k, i in rig.caps.items() if i == solver)
    original = eval_rows("capabilities.jsonl")[key]
    # no fan-out: only the lists that hold the capability are re-ranked, and that suffices
    monkeypatch.setattr(refresh, "FANOUT", 0)
    _edit_capability(
        rig,
        solver,
        title="水稻抗倒伏高产育种新品种",
        description="通过分子标记辅助选择培育抗倒伏、耐盐碱的水稻新品种，亩产提高百分之十五。",
        keywords=["水稻育种", "分子标记", "抗倒伏"],
        indicators=[],
        field_code="biomedicine",
    )
    after = _stored(rig, "need", need_id)
    assert after is not None and len(after) == 3 and solver not in after  # left: held it
    url = f"/api/v1/needs/{need_id}/recommendations"
    shown = [i["capability"]["id"] for i in _get(rig, url, rig.user("owner")).json()]
    assert shown == after
    monkeypatch.setattr(refresh, "FANOUT", 20)  # entering a list is found by the fan-out
    _edit_capability(
        rig,
        solver,
        title=original["title"][:100],
        description=original["description"],
        keywords=original.get("keywords", [])[:5],
        indicators=original.get("indicators", []),
        field_code=normalise_field(original["field"]),
    )
    again = _stored(rig, "need", need_id)
    assert again is not None and solver in again  # re-entered: the need is among its best


def test_without_a_current_list_a_request_ranks_live_and_the_worker_stores_it(
    rig: Rig,
) -> None:
    with rig.sm() as s:
        owner = s.get(User, rig.user("owner").id)
        assert owner is not None
        need_id = eval_need(s, owner, "N001").id  # written without the worker (an import)
        s.commit()
    url = f"/api/v1/needs/{need_id}/recommendations"
    counter = Counted(rig.store)
    live = _get(rig, url, rig.user("owner"))
    assert live.status_code == 200 and live.json()
    assert counter.calls > 0  # ranked on the request, as before
    assert rig.worker.wait_idle()  # the GET handed the posting over: its list is stored
    assert _stored(rig, "need", need_id) == [i["capability"]["id"] for i in live.json()]
    counter.calls = 0
    assert _get(rig, url, rig.user("owner")).json() == live.json()
    assert counter.calls == 0
    # an edit makes the stored list stale: served live until the worker has refreshed it
    with rig.sm() as s:
        need = s.get(Need, need_id)
        assert need is not None
        need.keywords = [*need.keywords[:4], "柔性封装"]
        s.commit()
    _get(rig, url, rig.user("owner"))
    assert counter.calls > 0
    rig.worker.enqueue([("need", need_id)])  # what the edit's service does after its commit
    assert rig.worker.wait_idle()
    counter.calls = 0
    _get(rig, url, rig.user("owner"))
    assert counter.calls == 0


def _head(rig: Rig, kind: str, subject_id: int) -> RecommendationList:
    with rig.sm() as s:
        head = s.scalar(
            select(RecommendationList).where(
                RecommendationList.subject_kind == kind,
                RecommendationList.subject_id == subject_id,
            )
        )
        assert head is not None
        return head


def test_a_newly_learned_rank_model_makes_stored_lists_stale_until_the_worker_stores_them(
    rig: Rig,
) -> None:
    """A list records the rank model that scored it: after `jiebang learn` stores another, a
    GET still serves the stored list (no request ranks after a model change) and hands it to
    the worker, which stores it again; the sweep's backfill stores the lists nobody views."""
    with rig.sm() as s:
        owner = s.get(User, rig.user("owner").id)
        assert owner is not None
        need_id = eval_need(s, owner, "N001").id
        s.commit()
    rig.worker.sweep()  # embedded and its list stored, by the shipped model
    shipped_key = f"shipped:{default_model().digest()}"
    assert _head(rig, "need", need_id).rank_model == shipped_key
    url = f"/api/v1/needs/{need_id}/recommendations"
    counter = Counted(rig.store)
    before = _get(rig, url, rig.user("owner")).json()
    assert counter.calls == 0
    with rig.sm() as s:  # what `jiebang learn` stores when the refit is better
        shipped = json.loads(default_model().to_json())
        learned = {**shipped, "source": "learned"}
        record = RankModelRecord(
            fitted_at=utcnow(), n_labels=48, source="learned", model=learned, report={}
        )
        s.add(record)
        s.commit()
        record_id = record.id
    served = _get(rig, url, rig.user("owner"))
    assert served.status_code == 200 and served.json() == before
    assert counter.calls == 0  # stale, served as stored
    assert rig.worker.wait_idle()  # ... and handed to the worker: stored by the new model
    assert rig.store.rank_model_id == record_id
    assert _head(rig, "need", need_id).rank_model == f"learned:{record_id}"
    cap_id = rig.caps["C189"]  # a list nobody viewed: the backfill's
    assert _head(rig, "capability", cap_id).rank_model == shipped_key
    rig.worker.backfill()
    assert _head(rig, "capability", cap_id).rank_model == f"learned:{record_id}"
    counter.calls = 0
    assert _get(rig, url, rig.user("owner")).json() == before
    assert counter.calls == 0


@pytest.fixture
def shipped_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the shipped rank model is read from, for a test to install another (a deploy);
    the real file again afterwards."""
    path = tmp_path / "rank_model.json"
    path.write_text(default_model().to_json(), encoding="utf-8")
    monkeypatch.setattr("matching.model.MODEL_PATH", path)
    default_model.cache_clear()
    yield path
    monkeypatch.undo()
    default_model.cache_clear()


def test_the_shipped_model_is_named_once_per_loaded_model(
    shipped_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every stored-list read and every search names the rank model in use: the shipped
    model's digest (hashing its JSON) is taken once per loaded model, not per call."""
    digests: list[str] = []
    digest = RankModel.digest

    def counted(model: RankModel) -> str:
        digests.append(digest(model))
        return digests[-1]

    monkeypatch.setattr(RankModel, "digest", counted)
    key = repository.shipped_model_key()
    assert repository.shipped_model_key() == repository.model_key(None) == key
    assert digests == [key.removeprefix("shipped:")]
    changed = json.loads(default_model().to_json())  # a deploy ships another file
    changed["intercept"] += 1.0
    shipped_model.write_text(json.dumps(changed), encoding="utf-8")
    default_model.cache_clear()
    assert repository.shipped_model_key() == f"shipped:{digest(default_model())}" != key
    assert len(digests) == 2


def test_a_deploy_with_another_shipped_model_makes_stored_lists_stale(
    rig: Rig, shipped_model: Path
) -> None:
    """The shipped model has an identity too (its digest): lists it did not score are stale
    after a deploy that ships another one. A GET serves the old list and hands it over, the
    worker stores it with the new model's scores; the backfill stores the lists not viewed."""
    with rig.sm() as s:
        owner = s.get(User, rig.user("owner").id)
        assert owner is not None
        need_id = eval_need(s, owner, "N001").id
        s.commit()
    rig.worker.sweep()
    old_key = f"shipped:{default_model().digest()}"
    assert _head(rig, "need", need_id).rank_model == old_key
    url = f"/api/v1/needs/{need_id}/recommendations"
    before = _get(rig, url, rig.user("owner")).json()
    assert before
    # the deploy: another shipped file (a higher intercept raises every score)
    changed = json.loads(default_model().to_json())
    for model in (changed, changed["fallback"]):
        model["intercept"] += 1.0
    shipped_model.write_text(json.dumps(changed), encoding="utf-8")
    default_model.cache_clear()
    new_key = f"shipped:{default_model().digest()}"
    assert new_key != old_key
    counter = Counted(rig.store)
    served = _get(rig, url, rig.user("owner"))
    assert served.json() == before and counter.calls == 0  # no request ranks
    assert rig.worker.wait_idle()
    assert _head(rig, "need", need_id).rank_model == new_key
    counter.calls = 0
    after = _get(rig, url, rig.user("owner")).json()
    assert counter.calls == 0
    assert [i["capability"]["id"] for i in after] == [i["capability"]["id"] for i in before]
    assert after[0]["score"] > before[0]["score"]  # scored by the new model
    assert all(a["score"] >= b["score"] for a, b in zip(after, before, strict=True))
    cap_id = rig.caps["C189"]
    assert _head(rig, "capability", cap_id).rank_model == old_key
    rig.worker.backfill()
    assert _head(rig, "capability", cap_id).rank_model == new_key


def test_store_all_fills_missing_lists_resumably_with_progress(committed_engine: Engine) -> None:
    sm = sessionmaker(bind=committed_engine, expire_on_commit=False)
    store = IndexStore(HashEmbedder(dim=128))
    with sm() as s:
        enterprise = create_user(s, Role.enterprise)
        lab = create_user(s, Role.researcher, org=create_org(s, OrgKind.university))
        caps = [eval_capability(s, lab, k).id for k in CAPS[:4]]
        need = eval_need(s, enterprise, "N001").id
        draft = eval_need(s, enterprise, "N002", status="draft").id
        embed_all(s, store.embedder)
        s.commit()
    lines: list[str] = []
    done = refresh.store_all(sm, store=store, echo=lines.append, every=2)
    assert done.lists == 5 and done.candidates == 4  # the need's candidates, from its list
    assert lines[-1].startswith("推荐列表 / lists 5/5") and "ETA" in lines[-1]
    with sm() as s:
        heads = {(h.subject_kind, h.subject_id) for h in s.scalars(select(RecommendationList))}
    assert heads == {("need", need), *(("capability", c) for c in caps)}
    assert ("need", draft) not in heads  # a draft's list is ranked when asked for
    assert refresh.store_all(sm, store=store, echo=lines.append).lists == 0  # nothing left


def test_two_refreshes_of_one_list_take_turns(committed_engine: Engine) -> None:
    """Two processes refreshing the same list at once: the second waits for the first's
    commit on the list's head and replaces its rows (no duplicate key, no mixed list)."""
    sm = sessionmaker(bind=committed_engine, expire_on_commit=False)
    store = IndexStore(HashEmbedder(dim=128))
    with sm() as s:
        enterprise = create_user(s, Role.enterprise)
        lab = create_user(s, Role.researcher, org=create_org(s, OrgKind.university))
        for k in CAPS[:3]:
            eval_capability(s, lab, k)
        need_id = eval_need(s, enterprise, "N001").id
        embed_all(s, store.embedder)
        s.commit()
    first, second = sm(), sm()
    try:
        need = first.get(Need, need_id)
        assert need is not None
        recs = recommendations.rank(first, need, store)
        first.rollback()
        recommendations.save(first, need, recs, store.model_id)  # uncommitted
        outcome: list[BaseException | None] = []

        def other() -> None:
            try:
                subject = second.get(Need, need_id)
                assert subject is not None
                recommendations.save(second, subject, recs[:2], store.model_id)
                second.commit()
                outcome.append(None)
            except BaseException as exc:  # reported below
                outcome.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(1.0)  # blocked on the head (PostgreSQL) or the write lock (SQLite)
        first.commit()
        thread.join(30)
        assert outcome == [None]
    finally:
        first.close()
        second.close()
    with sm() as s:
        rows = s.scalars(
            select(StoredRecommendation).where(StoredRecommendation.subject_id == need_id)
        )
        assert [r.rank for r in rows if r.subject_kind == "need"] == [0, 1]


def _head(rig: Rig, kind: str, subject_id: int) -> RecommendationList | None:
    with rig.sm() as s:
        return s.scalar(
            select(RecommendationList).where(
                RecommendationList.subject_kind == kind,
                RecommendationList.subject_id == subject_id,
            )
        )


def _imported_needs(rig: Rig, *keys: str) -> list[int]:
    """Published needs written with their vectors but without the worker (an import): they
    neither changed under the worker nor were viewed."""
    with rig.sm() as s:
        owner = s.get(User, rig.user("owner").id)
        assert owner is not None
        ids = [eval_need(s, owner, key).id for key in keys]
        embed_all(s, rig.store.embedder)
        s.commit()
    return ids


def test_a_viewed_posting_gets_a_list_an_unviewed_one_none(rig: Rig) -> None:
    viewed, unviewed = _imported_needs(rig, "N002", "N003")
    rig.worker.sweep()  # nothing to embed; the backfill stores no list that nobody asked for
    assert _stored(rig, "need", viewed) is None and _stored(rig, "need", unviewed) is None
    url = f"/api/v1/needs/{viewed}/recommendations"
    counter = Counted(rig.store)
    live = _get(rig, url, rig.user("owner")).json()
    assert counter.calls > 0 and live  # ranked on the request
    assert rig.worker.wait_idle()
    assert _stored(rig, "need", viewed) == [i["capability"]["id"] for i in live]
    rig.worker.sweep()
    assert _stored(rig, "need", unviewed) is None  # never viewed, never changed: no list
    head = _head(rig, "need", viewed)
    assert head is not None
    stored_at = head.viewed_at
    counter.calls = 0
    assert _get(rig, url, rig.user("owner")).json() == live
    assert rig.worker.wait_idle()
    assert counter.calls == 0
    head = _head(rig, "need", viewed)
    assert head is not None and head.viewed_at == stored_at  # seen within the hour: no write
    with rig.sm() as s:  # viewed long ago: the next GET notes the view, ranking nothing
        old = s.get(RecommendationList, head.id)
        assert old is not None
        old.viewed_at = stored_at - 2 * recommendations.VIEWED_EVERY
        s.commit()
    assert _get(rig, url, rig.user("owner")).json() == live
    assert rig.worker.wait_idle()
    head = _head(rig, "need", viewed)
    assert head is not None and head.viewed_at > stored_at and counter.calls == 0
    assert head.computed_at <= stored_at  # noted, not ranked again


def test_a_changed_capability_proposes_candidates_for_needs_without_a_list(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Broker candidates do not depend on stored lists: a changed capability's best needs are
    ranked and given candidates; a need nobody viewed keeps the list ranked for them (so the
    next change scores a pair), counted as never viewed (evicted before any list read)."""
    monkeypatch.setattr(refresh, "KEEP_FANOUT", True)
    [need_id] = _imported_needs(rig, "N002")
    with rig.sm() as s:
        assert not s.scalars(select(Match).where(Match.need_id == need_id)).all()
    cap_id = rig.caps["C044"]
    with rig.sm() as s:
        cap = s.get(Capability, cap_id)
        assert cap is not None
        description = cap.description
    _edit_capability(rig, cap_id, description=description + "可定制开发。")
    with rig.sm() as s:
        matched = set(s.scalars(select(Match.capability_id).where(Match.need_id == need_id)))
    assert cap_id in matched
    assert _stored(rig, "need", need_id) is not None
    with rig.sm() as s:
        head = s.scalar(
            select(RecommendationList).where(
                RecommendationList.subject_kind == "need", RecommendationList.subject_id == need_id
            )
        )
        assert head is not None and head.viewed_at == head.computed_at - repository.UNSEEN


def test_lists_beyond_the_bound_are_dropped_viewed_longest_ago_first(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    caps = [*rig.caps.values(), rig.own_cap]
    assert all(_stored(rig, "capability", c) is not None for c in caps)
    hidden_list = _stored(rig, "need", rig.hidden_need)
    now = utcnow()
    with rig.sm() as s:  # viewed one hour apart, the first capability longest ago
        for n, cap_id in enumerate(caps):
            head = s.scalar(
                select(RecommendationList).where(
                    RecommendationList.subject_kind == "capability",
                    RecommendationList.subject_id == cap_id,
                )
            )
            assert head is not None
            head.viewed_at = now - (len(caps) - n) * recommendations.VIEWED_EVERY
        s.commit()
    monkeypatch.setattr(get_settings(), "engine_stored_lists", 3)
    rig.worker.backfill()  # each sweep ends with it
    kept = [c for c in caps if _stored(rig, "capability", c) is not None]
    assert kept == caps[-3:]  # the three viewed last
    with rig.sm() as s:
        rows = set(
            s.scalars(
                select(StoredRecommendation.subject_id).where(
                    StoredRecommendation.subject_kind == "capability"
                )
            )
        )
    assert rows == set(caps[-3:])  # the dropped lists' rows went with them
    assert _stored(rig, "need", rig.hidden_need) == hidden_list  # the other side: within
    # a dropped list is ranked live again on its next GET, and stored again for it
    url = f"/api/v1/capabilities/{caps[0]}/recommendations"
    assert _get(rig, url, rig.user("researcher")).status_code == 200
    assert rig.worker.wait_idle()
    assert _stored(rig, "capability", caps[0]) is not None


def test_reads_keep_answering_while_a_list_is_rewritten(rig: Rig) -> None:
    need_id = _publish_need(rig)
    stored = _stored(rig, "need", need_id)
    assert stored
    url = f"/api/v1/needs/{need_id}/recommendations"
    writer = rig.sm()
    try:
        need = writer.get(Need, need_id)
        assert need is not None
        recs = recommendations.rank(writer, need, rig.store)
        recommendations.save(writer, need, recs[:1], rig.store.model_id)  # not committed
        answers: list[Any] = []
        reader = threading.Thread(target=lambda: answers.append(_get(rig, url, rig.user("owner"))))
        reader.start()
        reader.join(30)
        assert answers and answers[0].status_code == 200, answers
        assert [i["capability"]["id"] for i in answers[0].json()] == stored[:20]
        writer.commit()
    finally:
        writer.close()
    assert _stored(rig, "need", need_id) == stored[:1]
