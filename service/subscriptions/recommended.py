"""为我推荐: a researcher who subscribed hears of new needs that the engine ranks at the 高
band (matching/model.py BAND_THRESHOLDS) for one of the organisation's published capabilities.

A tick step (service/tick/steps.py): the engine ranks per organisation, once per run, and only
when a need was published since the organisation's subscriptions last looked; each
subscription then hears of the needs published after it last looked (`checked_at`).
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from matching.model import BAND_THRESHOLDS
from service.engine.service import recommend_needs
from service.engine.store import IndexStore
from service.kit.db import utcnow
from service.models import Subscription, User
from service.needs import auth as need_auth
from service.subscriptions import repository
from service.subscriptions.service import record_hits

CAPABILITIES_PER_ORG = 10  # the organisation's newest published capabilities are asked
NEEDS_PER_CAPABILITY = 20
HIGH = BAND_THRESHOLDS["high"]
# A need is looked at again for this long after a run passed it: its vector may have reached
# the index only after that run (the embedding worker runs after the approval's commit);
# the hit's unique key keeps a second look from notifying twice.
LOOKBACK = timedelta(hours=1)


def _since(sub: Subscription) -> datetime:
    return max(sub.created_at, sub.checked_at - LOOKBACK) if sub.checked_at else sub.created_at


def match_recommended(
    session: Session, today: date, *, store: IndexStore | None = None, threshold: float = HIGH
) -> int:
    """Record and announce new needs scoring `threshold` (the 高 band) or more for every
    active 为我推荐 subscription; returns how many subscription hits were new."""
    now = utcnow()
    by_org: dict[int, list[tuple[Subscription, User]]] = defaultdict(list)
    for sub, user in repository.active_recommended(session):
        if user.org_id is not None:
            by_org[user.org_id].append((sub, user))
    new = 0
    for org_id, rows in by_org.items():
        oldest = min((_since(s) for s, _ in rows), default=None)
        if repository.needs_published_since(session, oldest):
            new += _org(session, org_id, rows, store, threshold)
        for sub, _ in rows:
            sub.checked_at = now
    session.flush()
    return new


def _org(
    session: Session,
    org_id: int,
    rows: list[tuple[Subscription, User]],
    store: IndexStore | None,
    threshold: float,
) -> int:
    readable = need_auth.readable(rows[0][1])  # researchers of one organisation see alike
    high: set[int] = set()
    for cap in repository.published_capabilities(session, org_id, CAPABILITIES_PER_ORG):
        recs = recommend_needs(
            session, cap, limit=NEEDS_PER_CAPABILITY, readable=readable, store=store
        )
        high.update(r.posting_id for r in recs if r.score >= threshold)
    if not high:
        return 0
    needs = {n.id: n for n in repository.needs_by_id(session, high)}
    found = []
    for sub, user in rows:
        since = _since(sub)
        for need in needs.values():
            if need.published_at is not None and need.published_at >= since:
                found.append((sub, user.id, need.id))
    titles = {n.id: n.title for n in needs.values()}
    return record_hits(session, "need", found, titles=titles)
