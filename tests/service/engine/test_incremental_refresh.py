"""The background refresh's second round without ranking (issue 11, `refresh.refresh_pair`):
after a sequence of capability changes on the eval corpus, every need's stored list and its
broker candidates are those the full re-rankings give — ids and order; the changed pair's
score to the last digit; the other rows' scores as stored, which the corpus statistics moved
by less than 0.05 since — and the second round ranks no need. Run twice on databases whose
commits are real (SQLite, or PostgreSQL with JIEBANG_TEST_DATABASE_URL): once incremental,
once with every affected need ranked in full, as before."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from matching.embedders import HashEmbedder
from service.config import get_settings
from service.engine import recommendations, refresh, repository, vectors
from service.engine.service import Recommendation
from service.engine.store import IndexStore
from service.kit.db import make_engine, utcnow
from service.models import Capability, Match, Need, RecommendationList
from service.models.enums import MatchOrigin, OrgKind, Role
from tests.factories import create_org, create_user
from tests.service.engine_support import (
    committed_database_url,
    embed_all,
    eval_capability,
    eval_need,
    eval_rows,
)

NEEDS = 12
CAPS = 100


@dataclass
class Run:
    """One database through the same changes, with what its refreshes did."""

    sm: sessionmaker[Session]
    store: IndexStore
    needs: list[int]
    caps: list[int]
    lab: int
    full: int = 0  # full rankings (of a whole pool)
    pairs: int = 0  # single pairs scored
    statements: int = 0
    changed: list[int] = field(default_factory=list)
    needs_ranked: list[int] = field(default_factory=list)  # needs whose lists were ranked
    # second round: needs found without a stored list, and lists a pair could not update
    unlisted: list[int] = field(default_factory=list)
    fell_back: list[int] = field(default_factory=list)
    initial: dict[int, dict[int, float]] = field(default_factory=dict)  # need → cap → score


_PAIR = refresh.refresh_pair


@contextmanager
def _run(
    tmp_path: Path,
    name: str,
    incremental: bool,
    mp: pytest.MonkeyPatch,
    *,
    stored: bool = True,
) -> Iterator[Run]:
    for url in committed_database_url(tmp_path, name):
        engine: Engine = make_engine(url)
        mp.setattr(refresh, "INCREMENTAL", incremental)
        try:
            yield _changes(engine, mp, stored)
        finally:
            engine.dispose()


def _changes(engine: Engine, mp: pytest.MonkeyPatch, stored: bool) -> Run:
    """`stored`: every need's list is stored (viewed) before the changes; else none is (at
    1M most needs a capability may enter have none)."""
    sm = sessionmaker(bind=engine, expire_on_commit=False)
    need_rows = sorted(eval_rows("needs.jsonl"))[:NEEDS]
    with sm() as s:
        owner = create_user(s, Role.enterprise)
        lab = create_user(s, Role.researcher, org=create_org(s, OrgKind.university))
        caps = [
            eval_capability(s, lab, k).id for k in sorted(eval_rows("capabilities.jsonl"))[:CAPS]
        ]
        needs = [eval_need(s, owner, k).id for k in need_rows]
        store = IndexStore(HashEmbedder(dim=128))
        embed_all(s, store.embedder)
        s.commit()
    run = Run(sm, store, needs, caps, lab.id)
    done = refresh.Refreshed()
    for need_id in needs if stored else ():  # every need has its stored list (viewed)
        refresh.refresh_one(sm, "need", need_id, store, done, viewed=True)
        run.initial[need_id] = {r.posting_id: r.score for r in _stored(run, need_id)}
    _count(run, engine, mp)
    texts = eval_rows("needs.jsonl")
    # 1. a new capability written for need 3's problem: enters lists
    with sm() as s:
        lab_user = s.get(type(owner), lab.id)
        assert lab_user is not None
        row = texts[need_rows[3]]
        new = eval_capability(
            s, lab_user, "C001", title=row["title"][:100], description=row["problem"]
        )
        s.commit()
        new_id = new.id
    _changed(run, new_id)
    # 2. an existing capability rewritten for need 0's problem: moves up or enters
    _edit(run, caps[7], description=texts[need_rows[0]]["problem"])
    # 3. a capability rewritten far from every need: leaves the lists that held it
    _edit(
        run,
        caps[11],
        title="水稻抗倒伏高产育种新品种",
        description="通过分子标记辅助选择培育抗倒伏、耐盐碱的水稻新品种，亩产提高百分之十五。",
        keywords=["水稻育种", "分子标记", "抗倒伏"],
        indicators=[],
    )
    # 4. the new capability edited a little: moves within the lists that hold it
    with sm() as s:
        cap = s.get(Capability, new_id)
        assert cap is not None
        description = cap.description
    _edit(run, new_id, description=description + "可提供定制开发与中试服务。")
    return run


def _count(run: Run, engine: Engine, mp: pytest.MonkeyPatch) -> None:
    real = run.store.rank

    def counted(*args: Any, **kwargs: Any) -> Any:
        allowed = kwargs.get("allowed")
        if allowed is not None and len(allowed) == 1:
            run.pairs += 1
        else:
            run.full += 1
            query = args[1] if len(args) > 1 else kwargs["query"]
            if args[0] == "capability":  # a need's list ranked in full
                run.needs_ranked.append(int(query.id))
        return real(*args, **kwargs)

    run.store.rank = counted  # type: ignore[method-assign]

    def pair(sm: sessionmaker[Session], kind: Any, subject_id: int, *rest: Any, **kw: Any) -> bool:
        with sm() as s:
            listed = bool(repository.listed_ids(s, kind, [subject_id]))
        updated = _PAIR(sm, kind, subject_id, *rest, **kw)
        if kind == "need" and not updated:
            (run.fell_back if listed else run.unlisted).append(subject_id)
        return updated

    mp.setattr(refresh, "refresh_pair", pair)

    def statement(*_a: Any) -> None:
        run.statements += 1

    event.listen(engine, "before_cursor_execute", statement)


def _edit(run: Run, cap_id: int, **columns: Any) -> None:
    with run.sm() as s:
        cap = s.get(Capability, cap_id)
        assert cap is not None
        for name, value in columns.items():
            setattr(cap, name, value)
        s.commit()
    _changed(run, cap_id)


def _changed(run: Run, cap_id: int) -> None:
    """The worker's steps for a changed capability: its vector, then `after_change`."""
    with run.sm() as s:
        vectors.embed_postings(s, "capability", [cap_id], run.store.embedder)
        s.commit()
    refresh.after_change(run.sm, {"capability": [cap_id]}, store=run.store)
    run.changed.append(cap_id)


def _stored(run: Run, need_id: int) -> list[Recommendation]:
    with run.sm() as s:
        return [recommendations.kept(r) for r in repository.list_rows(s, "need", need_id)]


def _candidates(run: Run) -> set[tuple[int, int, str]]:
    with run.sm() as s:
        rows = s.execute(
            select(Match.need_id, Match.capability_id, Match.status).where(
                Match.origin == MatchOrigin.engine
            )
        )
        return {(n, c, str(st)) for n, c, st in rows}


def moved(recs: list[Recommendation]) -> list[int]:
    return [r.posting_id for r in recs]


def _full(run: Run, need_id: int) -> list[Recommendation]:
    with run.sm() as s:
        need = s.get(Need, need_id)
        assert need is not None
        return recommendations.rank(s, need, run.store)


def test_the_second_round_updates_lists_and_candidates_as_full_rankings_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        _run(tmp_path, "incr", True, monkeypatch) as incremental,
        _run(tmp_path, "full", False, monkeypatch) as ranked,
    ):
        _compare(incremental, ranked)


def _compare(incremental: Run, ranked: Run) -> None:
    changes = len(incremental.changed)
    ranked_full, fell_back = incremental.full, list(incremental.needs_ranked)  # before checks
    statements = incremental.statements
    entered = 0
    for need_id in incremental.needs:
        stored = _stored(incremental, need_id)
        full = _full(incremental, need_id)
        # the same rows but where the list's last row and one just outside it moved past
        # each other: a kept list does not follow the drift of the corpus statistics (§17)
        now = {r.posting_id: r.score for r in stored} | {r.posting_id: r.score for r in full}
        swapped = set(moved(stored)) ^ set(moved(full))
        assert len(swapped) <= 2, need_id
        for posting_id in swapped:
            assert abs(now[posting_id] - full[-1].score) < 0.05, (need_id, posting_id)
        # the order is the full ranking's but where two rows' scores moved past each other
        # (every write moves the corpus statistics: on 100 capabilities, by up to ~2 points)
        for a, b in zip(moved(stored), moved(stored)[1:], strict=False):
            assert now[a] > now[b] - 0.05, (need_id, a, b)
        last = {r.posting_id: r for r in stored}
        # the rows of capabilities that did not change keep the scores they were ranked with
        first = incremental.initial.get(need_id, {})
        for posting_id, rec in last.items():
            if first and posting_id not in incremental.changed and need_id not in set(fell_back):
                assert rec.score == first[posting_id], (need_id, posting_id)
        # the newest capability's pair as the full ranking scores it now, to the last digit
        newest = incremental.changed[-1]
        if newest in last:
            entered += 1
            [exact] = [r for r in full if r.posting_id == newest]
            assert last[newest].score == exact.score
            assert last[newest].parts == exact.parts
            # features to 1e-5: a float32 cosine of a pool of one rounds unlike a batch's
            assert last[newest].features == pytest.approx(exact.features, abs=1e-5)
            assert last[newest].reasons == exact.reasons
    assert entered > 0
    mine, theirs = _candidates(incremental), _candidates(ranked)
    # ranking every need again at each change also proposes a pair that the drift of the
    # corpus statistics (§17) swapped with the 10th; a kept list does not follow that drift
    # (on this corpus by up to ~2 points), so such a pair is the only difference allowed:
    k = get_settings().engine_candidates
    for need_id, cap_id, _ in mine ^ theirs:
        if incremental.initial:  # a changed capability, against the kept list's 10th
            assert cap_id in incremental.changed, (need_id, cap_id)
        else:  # proposed from a need's first ranking, and still that near the 10th
            now = {r.posting_id: r.score for r in _full(incremental, need_id)}
            tenth = sorted(now.values(), reverse=True)[k - 1]
            assert abs(now[cap_id] - tenth) < 0.05, (need_id, cap_id)
    assert len(mine ^ theirs) <= 2 < len(mine)
    if not incremental.initial:  # a need first ranked by the second round, then kept
        return  # fresh by pairs
    # the second round ranks a need only where the changed capability left its full list
    # or fell to its end (here, mostly 3.: on 100 capabilities a list holds half of them);
    # otherwise one ranking per change, the capability's own list
    assert ranked.full > 4 * changes
    assert ranked_full == changes + len(fell_back)
    assert ranked_full < ranked.full / 3 and incremental.pairs > 0
    assert statements < ranked.statements


def test_a_need_without_a_stored_list_is_ranked_once_then_updated_by_pairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No need has a stored list (at 1M most needs a changed capability may enter have
    none): the second round ranks each in full for its broker candidates the first time
    and keeps its list (unseen), so the later changes score pairs; the lists and candidates
    are those of full rankings. Before (`KEEP_FANOUT` off) each change ranked every such
    need again (48 rankings here, against 12 + the fall-backs)."""
    monkeypatch.setattr(refresh, "KEEP_FANOUT", True)
    with (
        _run(tmp_path, "incr", True, monkeypatch, stored=False) as run,
        _run(tmp_path, "full", False, monkeypatch, stored=False) as ranked,
    ):
        ranked_needs = len(run.needs_ranked)  # before the checks rank them again
        _compare(run, ranked)
        # each need was found without a list once; afterwards only where a pair cannot
        # stand in (the capability left a full list or fell to its end)
        assert sorted(run.unlisted) == sorted(run.needs)
        assert ranked_needs == len(run.unlisted) + len(run.fell_back)
        assert run.pairs > len(run.fell_back) and ranked_needs < ranked.full / 2
        with run.sm() as s:
            heads = s.scalars(
                select(RecommendationList).where(RecommendationList.subject_kind == "need")
            ).all()
            assert {h.subject_id for h in heads} == set(run.needs)
            # kept for the worker: unseen, evicted before a list that was read
            assert all(h.viewed_at < h.computed_at - timedelta(days=365) for h in heads)
            repository.mark_viewed(s, "need", [run.needs[5]], utcnow())
            s.commit()
        refresh.evict(run.sm, 1)
        with run.sm() as s:
            assert repository.listed_ids(s, "need", run.needs) == {run.needs[5]}
