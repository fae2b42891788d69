"""Two workers build the digests at once, on a committed database (SQLite, or PostgreSQL
with JIEBANG_TEST_DATABASE_URL): one e-mail per user and period all the same."""

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from service.kit import db
from service.kit.clock import today
from service.kit.db import utcnow
from service.models import Need, Subscription, SubscriptionDigest, SubscriptionHit, User
from service.models.enums import Role
from service.subscriptions.digests import send_digests
from tests.factories import create_need, create_user
from tests.service.engine_support import use_committed_database
from tests.service.notifications.test_mail import Inbox, smtp  # noqa: F401 (fixture)


@pytest.fixture
def database(tmp_path: Path, smtp: Inbox) -> Iterator[str]:  # noqa: F811
    yield from use_committed_database(tmp_path, "digests")


def daily_subscription_with_hit(session: Session, user: User, need: Need, keyword: str) -> None:
    """A daily keyword subscription of `user` with `need` among its hits an hour ago."""
    sub = Subscription(
        user_id=user.id,
        kind="search",
        side="need",
        name=keyword,
        field_codes=[],
        keywords=[keyword],
        frequency="daily",
        status="active",
    )
    session.add(sub)
    session.flush()
    session.add(
        SubscriptionHit(
            subscription_id=sub.id,
            user_id=user.id,
            posting_kind="need",
            posting_id=need.id,
            title=need.title,
            created_at=utcnow() - timedelta(hours=1),
        )
    )


def test_two_workers_send_one_digest(database: str, smtp: Inbox) -> None:  # noqa: F811
    sm: sessionmaker[Session] = db.get_sessionmaker()
    with sm() as s:
        users = [create_user(s, Role.researcher, email=f"w{n}@example.cn") for n in range(3)]
        need = create_need(s, create_user(s, Role.enterprise), title="热管理需求")
        for user in users:
            daily_subscription_with_hit(s, user, need, "热管理")
        s.commit()
    smtp.envelopes.clear()
    tomorrow = today() + timedelta(days=1)
    barrier = threading.Barrier(2)
    claimed: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            with sm() as s:
                claimed.append(send_digests(s, tomorrow))
                s.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and sorted(claimed) in ([0, 3], [1, 2]), (claimed, errors)
    with sm() as s:
        per_user = s.execute(
            select(SubscriptionDigest.user_id, func.count()).group_by(SubscriptionDigest.user_id)
        ).all()
        assert sorted(c for _, c in per_user) == [1, 1, 1]
        assert s.scalar(select(func.count()).where(SubscriptionHit.digest_id.is_(None))) == 0
    messages = smtp.messages()
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == [
        "w0@example.cn",
        "w1@example.cn",
        "w2@example.cn",
    ]
    assert all("热管理需求" in m.get_content() for m in messages)
