"""Every e-mail is kept in the outbox by the transaction that causes it; those the SMTP server
did not take, or that their process never handed over, are sent by the tick until delivered or
given up, on a committed database (SQLite, or PostgreSQL with JIEBANG_TEST_DATABASE_URL) and a
real SMTP server (aiosmtpd) that the test stops and starts."""

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from service.kit import db
from service.kit.clock import today
from service.kit.db import utcnow
from service.kit.jobs import discard
from service.models import MailRetry
from service.models.enums import Role
from service.notifications.mail import HANDOFF_GRACE, MAIL, OUTBOX, RETRY_DELAYS
from service.notifications.retries import KEEP_SETTLED, retry_mails
from service.notifications.service import notify
from service.subscriptions.digests import send_digests
from service.tick.steps import run_tick
from tests.factories import create_need, create_user
from tests.service.engine_support import use_committed_database
from tests.service.notifications.test_mail import Inbox, _configure, _free_port
from tests.service.subscriptions.test_digest_workers import daily_subscription_with_hit


class Relay:
    """A real SMTP server on a fixed port that the test can take down and bring back."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = _free_port()
        self._controller: Controller | None = None

    def up(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def relay(monkeypatch: pytest.MonkeyPatch) -> Iterator[Relay]:
    relay = Relay()
    _configure(monkeypatch, relay.port)  # down until the test brings it up
    yield relay
    OUTBOX.join()
    relay.down()


@pytest.fixture
def sm(tmp_path: Path, relay: Relay) -> Iterator[sessionmaker[Session]]:
    for _ in use_committed_database(tmp_path, "mailretry"):
        yield db.get_sessionmaker()


def _kept(sm: sessionmaker[Session]) -> list[MailRetry]:
    with sm() as s:
        return list(s.scalars(select(MailRetry).order_by(MailRetry.id)))


def _make_due(sm: sessionmaker[Session]) -> None:
    """Time passes: every kept mail is due."""
    with sm() as s:
        s.execute(update(MailRetry).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        s.commit()


def _retry(sm: sessionmaker[Session]) -> int:
    with sm() as s:
        sent = retry_mails(s, today())
        s.commit()
    return sent


def _notify(sm: sessionmaker[Session], n: int = 1, handed_over: bool = True) -> None:
    """Notify n users (one mail each) and commit; `handed_over=False`: the process stops
    between the commit and the send, losing what it holds in memory (its deferred mails)."""
    with sm() as s:
        users = [create_user(s, Role.enterprise, email=f"u{i}@example.cn") for i in range(n)]
        s.commit()
        notify(s, [u.id for u in users], "test_event", "您的需求已审核通过", "正文：请查看")
        if not handed_over:
            discard(s, MAIL)
        s.commit()
    OUTBOX.join()


def test_a_delivered_mail_is_marked_sent_and_never_sent_again(
    sm: sessionmaker[Session], relay: Relay
) -> None:
    relay.up()
    _notify(sm)
    assert len(relay.inbox.messages()) == 1
    (kept,) = _kept(sm)
    assert kept.sent_at is not None and kept.attempts == 1 and kept.last_error == ""
    _make_due(sm)
    assert _retry(sm) == 0 and len(relay.inbox.messages()) == 1


def test_a_mail_its_process_never_sent_is_sent_by_the_tick(
    sm: sessionmaker[Session], relay: Relay
) -> None:
    relay.up()
    _notify(sm, handed_over=False)
    assert relay.inbox.messages() == []
    (kept,) = _kept(sm)
    assert kept.attempts == 0 and kept.sent_at is None
    assert kept.next_attempt_at > utcnow() + HANDOFF_GRACE - timedelta(minutes=1)
    assert _retry(sm) == 0, "its own process may still be sending it: the tick waits"
    _make_due(sm)
    assert run_tick(sm)["mail_retries"] == 1
    (message,) = relay.inbox.messages()
    assert (
        message["Subject"] == "【揭榜】您的需求已审核通过"
        and message["To"].addresses[0].addr_spec == "u0@example.cn"
    )


def test_the_tick_forgets_mails_settled_a_month_ago(
    sm: sessionmaker[Session], relay: Relay
) -> None:
    relay.up()
    _notify(sm, n=2)
    with sm() as s:
        old = s.scalars(select(MailRetry).order_by(MailRetry.id)).first()
        assert old is not None
        old.sent_at = utcnow() - KEEP_SETTLED - timedelta(hours=1)
        s.commit()
    _retry(sm)
    assert [m.to_addr for m in _kept(sm)] == ["u1@example.cn"]


def test_a_refused_mail_is_kept_and_delivered_once_by_a_later_tick(
    sm: sessionmaker[Session], relay: Relay
) -> None:
    _notify(sm)
    (kept,) = _kept(sm)
    assert kept.to_addr == "u0@example.cn" and kept.subject == "【揭榜】您的需求已审核通过"
    assert kept.attempts == 1 and kept.sent_at is None and "Connection" in kept.last_error
    assert kept.next_attempt_at > utcnow() + RETRY_DELAYS[0] - timedelta(minutes=1)

    relay.up()
    assert _retry(sm) == 0, "not due yet: the first retry waits five minutes"
    _make_due(sm)
    assert run_tick(sm)["mail_retries"] == 1
    (message,) = relay.inbox.messages()
    assert message["Subject"] == "【揭榜】您的需求已审核通过"
    assert "正文：请查看" in message.get_content()
    (kept,) = _kept(sm)
    assert kept.sent_at is not None and kept.attempts == 1

    _make_due(sm)
    assert _retry(sm) == 0 and len(relay.inbox.messages()) == 1, "delivered once only"


def test_a_mail_is_given_up_after_the_last_delay(
    sm: sessionmaker[Session], relay: Relay, caplog: pytest.LogCaptureFixture
) -> None:
    _notify(sm)
    with caplog.at_level(logging.ERROR, logger="service.notifications.retries"):
        for attempt in range(2, len(RETRY_DELAYS) + 2):
            _make_due(sm)
            assert _retry(sm) == 0
            (kept,) = _kept(sm)
            assert kept.attempts == attempt
            assert (kept.gave_up_at is not None) == (attempt > len(RETRY_DELAYS))
    assert any("given up" in r.getMessage() for r in caplog.records)
    relay.up()
    _make_due(sm)
    assert _retry(sm) == 0 and relay.inbox.messages() == [], "a given-up mail stays given up"


def test_a_digest_missed_by_an_outage_arrives_with_its_unsubscribe_headers(
    sm: sessionmaker[Session], relay: Relay
) -> None:
    with sm() as s:
        user = create_user(s, Role.researcher, email="digest@example.cn")
        need = create_need(s, create_user(s, Role.enterprise), title="换热器结垢在线监测")
        daily_subscription_with_hit(s, user, need, "结垢")
        s.commit()
        assert send_digests(s, today() + timedelta(days=1)) == 1
        s.commit()
    OUTBOX.join()
    (kept,) = _kept(sm)
    assert kept.to_addr == "digest@example.cn"

    relay.up()
    _make_due(sm)
    assert _retry(sm) == 1
    (message,) = relay.inbox.messages()
    assert "换热器结垢在线监测" in message.get_content()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<https://jiebang.example/")


def test_two_ticks_at_once_deliver_each_kept_mail_once(
    sm: sessionmaker[Session], relay: Relay
) -> None:
    _notify(sm, n=3)
    assert len(_kept(sm)) == 3
    relay.up()
    _make_due(sm)
    barrier = threading.Barrier(2)
    sent: list[int] = []
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            barrier.wait(timeout=30)
            sent.append(_retry(sm))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and sum(sent) == 3, (sent, errors)
    addresses = sorted(m["To"].addresses[0].addr_spec for m in relay.inbox.messages())
    assert addresses == ["u0@example.cn", "u1@example.cn", "u2@example.cn"]
