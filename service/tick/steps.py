"""The tick: a list of steps, each `step(session, today) -> int` (how many things it did).

Each step runs in its own transaction, so one failing step never undoes another's work and
the next tick simply retries it. Steps must be idempotent and safe when two ticks overlap.
"""

import logging
from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from service.kit.clock import today as china_today
from service.notifications import reminders, retries
from service.subscriptions import digests, recommended
from service.tick import deadlines

log = logging.getLogger("jiebang.tick")

TickStep = Callable[[Session, date], int]

TICK_STEPS: list[tuple[str, TickStep]] = [
    ("close_applications", deadlines.close_applications),
    ("expire_unawarded", deadlines.expire_unawarded),
    ("deadline_reminders", reminders.send_deadline_reminders),  # 「揭榜截止还有 3 天」
    ("recommended_subscriptions", recommended.match_recommended),  # 为我推荐 at the 高 band
    ("subscription_digests", digests.send_digests),  # one e-mail per user and period
    ("mail_retries", retries.retry_mails),  # e-mails the SMTP server did not take before
]


def run_tick(factory: sessionmaker[Session], today: date | None = None) -> dict[str, int]:
    """Run every step once; returns what each did (-1 for a step that failed and was logged)."""
    day = today or china_today()
    done: dict[str, int] = {}
    for name, step in TICK_STEPS:
        with factory() as session:
            try:
                done[name] = step(session, day)
                session.commit()
            except Exception:
                session.rollback()
                log.exception("tick step %s failed", name)
                done[name] = -1
    if any(done.values()):
        log.info("tick %s: %s", day.isoformat(), done)
    return done
