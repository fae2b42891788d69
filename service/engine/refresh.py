"""Keeping stored recommendations fresh, off the request path (the engine worker's job).

When a posting is published, edited or re-embedded, the worker refreshes:

1. its own list (ranked once, in a read-only transaction; written in a short one, with the
   broker candidates of a published need taken from the same list);
2. the lists it may enter: the other side's postings it ranks highest for (the first
   `FANOUT` of its own list, the reverse direction of the same ranking), and the lists that
   hold it now (it may leave them or move; at most `HOLDERS`, where it ranks best).

The second round ranks no list where it can help it (`refresh_pair`): the changed posting's
pair is scored as the list's own ranking would score it, and moved in, within or out of the
stored list (and a need's broker candidates proposed from its new head); a list that is
missing (a need's, ranked for its candidates, and with `KEEP_FANOUT` kept: so the next
change it may enter is a pair), stale, or that the posting leaves while full is ranked as
before. So one change costs 1 ranking plus at most FANOUT + HOLDERS pair scores (or rankings
where those cannot stand in), each list in its own short transaction. Brokers get one digest
for everything a refresh proposed. A list whose posting was withdrawn since keeps its row
until that list's next refresh; the read filters it out.
Lists are stored only for postings that change (their own list, above) or are viewed (a GET
without a current list hands the posting over, `viewed`); in the second round a list is
written only where one is stored already, while a need without one is still ranked for its
broker candidates (with `KEEP_FANOUT` its list kept as unseen, evicted first). The
sweep stores again the stored lists ranked for an older text or rank model (`BACKFILL` per
sweep: a worker stopped between embedding and refresh, `jiebang learn`, a deploy with another
shipped model, `jiebang reindex` filling second views), then drops the lists viewed longest
ago beyond `engine_stored_lists` per side (`evict`).

A worker can die after committing a vector and before its refresh: the broker candidates of a
need nobody views would then wait for its next change. So the vector is written with
`refresh_due` set, a finished refresh (`after_change`) clears it for the text it ranked while
the posting was published, and the sweep refreshes the published postings still due
(`repair`, `REPAIR` per sweep, the longest waiting first; a draft stays due until it is
published, so a need approved just before a crash is found too).
"""

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session, sessionmaker

from service.engine import candidates, recommendations, repository
from service.engine.documents import KINDS, Kind, Posting, doc_hash, to_doc
from service.engine.service import Recommendation, rank_pair
from service.engine.store import IndexStore
from service.kit.db import read_only, utcnow
from service.models import Capability, Need
from service.models.enums import CapabilityStatus, NeedStatus

log = logging.getLogger("jiebang.engine")

FANOUT = 20  # lists of the other side a changed posting may enter: its best 20 matches
HOLDERS = 20  # lists holding a changed posting that are re-ranked (where it ranks best)
BACKFILL = 200  # missing or stale lists stored per sweep
REPAIR = 32  # postings still due for their refresh, refreshed per sweep
REPAIR_CHUNK = 8  # ... per `after_change` (one digest each; the marks cleared after it)
INCREMENTAL = True  # the second round scores the changed pair only (`refresh_pair`)
# a need ranked for its candidates in the second round keeps its list (off: the 100k load
# bench lost 27 % rps with it, 32 -> 23, where few fan-out needs recur in 60 s; §19)
KEEP_FANOUT = False


@dataclass
class Refreshed:
    """What one refresh did: lists written, candidates proposed per need."""

    lists: int = 0
    proposed: dict[int, int] = field(default_factory=dict)
    # changed postings refreshed while published: posting id → the text hash ranked
    settled: dict[Kind, dict[int, str]] = field(default_factory=dict)

    @property
    def candidates(self) -> int:
        return sum(self.proposed.values())


def _published(kind: Kind) -> ColumnElement[bool]:
    if kind == "need":
        return Need.status == NeedStatus.published
    return Capability.status == CapabilityStatus.published


def refresh_one(
    session_factory: sessionmaker[Session],
    kind: Kind,
    posting_id: int,
    store: IndexStore,
    done: Refreshed,
    *,
    fan_out: bool = False,
    if_stored: bool = False,
    viewed: bool = False,
) -> list[tuple[Kind, int]]:
    """Rank and store one posting's list; returns the other side's lists it may enter or
    leave (with `fan_out`, for a published posting), for the caller to refresh.

    `if_stored`: only a list that is stored already is written (a posting that is neither
    viewed nor changed gets none), and a capability without one is left alone; a need
    without one is still ranked, for its broker candidates, and its list stored as unseen
    (`KEEP_FANOUT`: the next change that may enter it scores a pair, `refresh_pair`; the
    bound drops it before any list that was read). `viewed`: stored for a read."""
    model = repository.MODELS[kind]
    recs: list[Recommendation] = []
    ranked_for: str | None = None
    ranked_with: str | None = None
    affected: list[int] = []
    keep, unseen = True, False
    with session_factory() as session:  # read only: no write lock while ranking
        read_only(session)
        if if_stored:
            keep = bool(repository.listed_ids(session, kind, [posting_id]))
            if not keep and kind != "need":
                return []
            unseen = not keep and KEEP_FANOUT
            keep = keep or unseen
        subject = cast(Posting | None, session.get(model, posting_id))
        if subject is not None:
            ranked_for = doc_hash(to_doc(subject))
            recs = recommendations.rank(session, subject, store)
            ranked_with = store.rank_model_key
            if fan_out and subject.status == "published":
                affected = [r.posting_id for r in recs[:FANOUT]]
                affected += repository.holders(session, kind, posting_id, HOLDERS)
                done.settled.setdefault(kind, {})[posting_id] = ranked_for
    with session_factory() as session:
        subject = cast(Posting | None, session.get(model, posting_id))
        if subject is None:  # deleted meanwhile
            repository.drop_list(session, kind, posting_id)
            session.commit()
            return []
        if keep:
            recommendations.save(
                session,
                subject,
                recs,
                store.model_id,
                ranked_for,
                ranked_with,
                viewed=viewed,
                unseen=unseen,
            )
        if isinstance(subject, Need):
            count = candidates.propose(session, subject, recs)
            if count:
                done.proposed[subject.id] = done.proposed.get(subject.id, 0) + count
        session.commit()
    done.lists += keep
    other = recommendations.OTHER[kind]
    return [(other, i) for i in dict.fromkeys(affected)]


def refresh_pair(
    session_factory: sessionmaker[Session],
    kind: Kind,
    subject_id: int,
    changed_id: int,
    store: IndexStore,
    done: Refreshed,
) -> bool:
    """The second round for one stored list and one changed posting of the other side,
    without ranking the list: the pair is scored as the subject's ranking would score it
    (`service.rank_pair`), and the posting's row is inserted, moved or dropped where its
    score puts it; the rows it displaces beyond `STORED` fall off, and a need's broker
    candidates are proposed from the new head as a full refresh proposes them.

    Returns False where that would not be the list a ranking gives, for the caller to rank
    the list instead: a need without a stored list (ranked for its broker candidates, and
    kept), a list ranked for another text of its subject or by another embedding or rank
    model, one that was stored again meanwhile, and a full list the posting leaves or drops
    to the end of (the next posting in is unknown without a ranking). A capability without a
    stored list is left alone (True). The stored rows of the other postings keep their
    scores: every write moves the corpus statistics a little (BM25's N, df and lengths, the
    z-score references), which a list not re-ranked never follows (§17 of BENCHMARKS)."""
    model = repository.MODELS[kind]
    with session_factory() as session:  # read only: no write lock while scoring
        read_only(session)
        subject = cast(Posting | None, session.get(model, subject_id))
        if subject is None:
            return False
        head, newest = repository.stored_list(session, kind, subject_id)
        if head is None:
            return kind != "need"
        store.ensure_current(session)
        stamp = head.computed_at
        ranked_for, model_id, rank_model = head.subject_hash, head.model_id, head.rank_model
        if (
            ranked_for != doc_hash(to_doc(subject))
            or model_id != store.model_id
            or rank_model != store.rank_model_key
            or rank_model != newest
        ):
            return False
        before = [recommendations.kept(r) for r in repository.list_rows(session, kind, subject_id)]
        rec = rank_pair(session, subject, changed_id, store=store)
    after = recommendations.moved(before, changed_id, rec)
    held = any(r.posting_id == changed_id for r in before)
    if held and len(before) >= recommendations.STORED:
        if rec is None or after[-1].posting_id == changed_id:
            return False
    if not held and all(r.posting_id != changed_id for r in after):
        return True  # neither held nor entering: nothing changes
    with session_factory() as session:
        subject = cast(Posting | None, session.get(model, subject_id))
        current, _ = repository.stored_list(session, kind, subject_id)
        if subject is None or current is None or current.computed_at != stamp:
            return False
        recommendations.save(session, subject, after, model_id, ranked_for, rank_model)
        if isinstance(subject, Need):
            count = candidates.propose(session, subject, after)
            if count:
                done.proposed[subject.id] = done.proposed.get(subject.id, 0) + count
        session.commit()
    done.lists += 1
    return True


def after_change(
    session_factory: sessionmaker[Session],
    touched: Mapping[Kind, Iterable[int]],
    *,
    store: IndexStore,
) -> Refreshed:
    """Refresh the lists of the changed postings, then the lists they may enter or leave;
    then tell the brokers once."""
    done = Refreshed()
    seen: set[tuple[Kind, int]] = set()
    # the second round: each list a changed posting may enter or leave → the changed postings
    next_round: dict[tuple[Kind, int], list[int]] = {}
    for kind in KINDS:
        for posting_id in dict.fromkeys(touched.get(kind, ())):
            seen.add((kind, posting_id))
            for affected in refresh_one(
                session_factory, kind, posting_id, store, done, fan_out=True
            ):
                next_round.setdefault(affected, []).append(posting_id)
    for (kind, posting_id), changed in next_round.items():
        if (kind, posting_id) in seen:
            continue
        if INCREMENTAL and len(changed) == 1:
            if refresh_pair(session_factory, kind, posting_id, changed[0], store, done):
                continue
        refresh_one(session_factory, kind, posting_id, store, done, if_stored=True)
    _tell(session_factory, done)
    with session_factory() as session:  # done: the sweep need not repeat it
        for kind, refreshed in done.settled.items():
            repository.settle(session, kind, store.model_id, refreshed)
        session.commit()
    return done


def repair(
    session_factory: sessionmaker[Session],
    *,
    store: IndexStore,
    limit: int | None = None,
    between: Callable[[], object] | None = None,
) -> Refreshed:
    """Refresh published postings whose vector is still due (a worker died between writing it
    and refreshing, or before it took a publication), as their change would have: their lists,
    the lists they may enter, a need's broker candidates; at most `limit` per call, in chunks
    of `REPAIR_CHUNK`, each chunk's marks cleared once it is done (so a repair cut short
    resumes with the rest)."""
    limit = limit or REPAIR
    with session_factory() as session:
        read_only(session)
        due = [
            (kind, posting_id)
            for kind in KINDS
            for posting_id in repository.due_ids(
                session, kind, store.model_id, _published(kind), limit=limit
            )
        ][:limit]
    done = Refreshed()
    if not due:
        return done
    log.info("engine repair: %d postings due for their refresh", len(due))
    for start in range(0, len(due), REPAIR_CHUNK):
        touched: dict[Kind, list[int]] = {}
        for kind, posting_id in due[start : start + REPAIR_CHUNK]:
            touched.setdefault(kind, []).append(posting_id)
        chunk = after_change(session_factory, touched, store=store)
        done.lists += chunk.lists
        for need_id, count in chunk.proposed.items():
            done.proposed[need_id] = done.proposed.get(need_id, 0) + count
        if between is not None:
            between()
    return done


def backfill(
    session_factory: sessionmaker[Session],
    *,
    store: IndexStore,
    limit: int = BACKFILL,
    between: Callable[[], object] | None = None,
) -> Refreshed:
    """Store again the stored lists of published postings ranked for an older text or by an
    older rank model (`between` runs after each list: the worker serves users' fresh postings
    first); postings without a list get none here (a view or a change stores one)."""
    with session_factory() as session:
        read_only(session)
        todo = {
            kind: repository.stale_list_ids(
                session, kind, store.model_id, _published(kind), limit=limit
            )
            for kind in KINDS
        }
    done = Refreshed()
    total = sum(len(v) for v in todo.values())
    if not total:
        return done
    log.info("engine lists: %d to store", total)
    for kind, ids in todo.items():
        for posting_id in ids:
            refresh_one(session_factory, kind, posting_id, store, done)
            if between is not None:
                between()
            if done.lists % 50 == 0:
                log.info("engine lists: %d/%d stored", done.lists, total)
    _tell(session_factory, done)
    return done


def viewed(
    session_factory: sessionmaker[Session],
    items: Iterable[tuple[Kind, int]],
    *,
    store: IndexStore,
    between: Callable[[], object] | None = None,
) -> Refreshed:
    """Postings whose recommendations were read: store the list of each that has no current
    one (ranked now, counted as viewed), and note the view of the others (one statement per
    side)."""
    done = Refreshed()
    seen: dict[Kind, list[int]] = {}
    for kind, posting_id in dict.fromkeys(items):
        with session_factory() as session:
            read_only(session)
            subject = cast(Posting | None, session.get(repository.MODELS[kind], posting_id))
            current = subject is not None and recommendations.is_current(session, subject)
        if current:
            seen.setdefault(kind, []).append(posting_id)
        elif subject is not None:
            refresh_one(session_factory, kind, posting_id, store, done, viewed=True)
            if between is not None:
                between()
    if seen:
        with session_factory() as session:
            for kind, ids in seen.items():
                repository.mark_viewed(session, kind, ids, utcnow())
            session.commit()
    _tell(session_factory, done)
    return done


def evict(session_factory: sessionmaker[Session], keep: int, chunk: int = 1000) -> int:
    """Drop the lists viewed longest ago beyond `keep` per side, `chunk` lists per
    transaction; returns how many were dropped."""
    dropped = 0
    for kind in KINDS:
        while True:
            with session_factory() as session:
                excess = repository.count_lists(session, kind) - keep
                if excess <= 0:
                    break
                ids = repository.least_viewed(session, kind, min(excess, chunk))
                repository.drop_lists(session, kind, ids)
                session.commit()
            dropped += len(ids)
    if dropped:
        log.info("engine lists: %d viewed longest ago dropped (%d kept per side)", dropped, keep)
    return dropped


def store_all(
    session_factory: sessionmaker[Session],
    *,
    store: IndexStore,
    echo: Callable[[str], None],
    every: int = 200,
) -> Refreshed:
    """Store every published posting's missing or stale list (`jiebang store-recommendations`,
    e.g. after the migration on a full database): progress, lists/s and ETA every `every`
    lists; each list is committed on its own, so an interrupted run resumes where it stopped.
    The brokers get one digest at the end."""
    with session_factory() as session:
        read_only(session)
        store.ensure_current(session)
        todo = [
            (kind, posting_id)
            for kind in KINDS
            for posting_id in repository.unlisted_ids(
                session, kind, store.model_id, _published(kind), limit=None
            )
        ]
    done = Refreshed()
    started = time.monotonic()
    for n, (kind, posting_id) in enumerate(todo, start=1):
        refresh_one(session_factory, kind, posting_id, store, done)
        if n % every == 0 or n == len(todo):
            rate = n / max(time.monotonic() - started, 1e-9)
            echo(
                f"推荐列表 / lists {n}/{len(todo)}  {rate:.1f}/s  ETA {(len(todo) - n) / rate:.0f}s"
            )
    _tell(session_factory, done)
    return done


def _tell(session_factory: sessionmaker[Session], done: Refreshed) -> None:
    if not done.proposed:
        return
    with session_factory() as session:
        needs = repository.postings(session, "need", done.proposed)
        candidates.tell_brokers(
            session, {n: done.proposed[n.id] for n in needs if isinstance(n, Need)}
        )
        session.commit()
