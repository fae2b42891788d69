"""E-mail copies of notifications, sent through SMTP only after the transaction committed.

`stage()` (called by `notify`) prepares the messages inside the transaction and parks them on
the session; a session `after_commit` hook hands them to one background thread, a rollback
drops them. A failed send is logged: the in-app notification is already committed and stays.
"""

import atexit
import logging
import queue
import smtplib
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from service.config import Settings, get_settings
from service.models import Notification
from service.notifications import repository

log = logging.getLogger(__name__)

PENDING = "jiebang.pending_mail"
SUPPRESS = "jiebang.suppress_mail"  # set on a session (e.g. the demo loader) to send nothing
SUBJECT_PREFIX = "【揭榜】"


@dataclass(frozen=True)
class Mail:
    to: str
    to_name: str
    subject: str
    body: str
    headers: tuple[tuple[str, str], ...] = ()  # extra headers, e.g. List-Unsubscribe


def stage(session: Session, notifications: Sequence[Notification]) -> None:
    """Prepare one e-mail per notification whose user has an address (when SMTP is on)."""
    settings = get_settings()
    if not settings.mail_enabled or not notifications or session.info.get(SUPPRESS):
        return
    users = repository.mail_addresses(session, {n.user_id for n in notifications})
    pending: list[Mail] = session.info.setdefault(PENDING, [])
    for n in notifications:
        user = users.get(n.user_id)
        if user is None:
            continue
        body = n.body
        if n.link:
            body = f"{body}\n\n查看详情：{settings.public_url.rstrip('/')}{n.link}".lstrip()
        body += "\n\n—— 揭榜 技术需求与科技成果对接平台（系统邮件，请勿直接回复）"
        pending.append(Mail(user.email, user.display_name, SUBJECT_PREFIX + n.title, body))


def stage_mails(session: Session, mails: Sequence[Mail]) -> None:
    """Park ready-made mails (a digest) on the session, sent once this transaction commits."""
    if not mails or session.info.get(SUPPRESS) or not get_settings().mail_enabled:
        return
    session.info.setdefault(PENDING, []).extend(mails)


def build_message(mail: Mail, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = settings.smtp_from
    message["To"] = formataddr((mail.to_name, mail.to))
    message["Message-ID"] = make_msgid(domain="jiebang")
    for name, value in mail.headers:
        message[name] = value
    message.set_content(mail.body, charset="utf-8")
    return message


def send_now(mails: Sequence[Mail], settings: Settings) -> int:
    """Send over one SMTP connection; returns how many were accepted. Never raises."""
    sent = 0
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                ca_file = settings.smtp_ca_file or None
                smtp.starttls(context=ssl.create_default_context(cafile=ca_file))
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            for mail in mails:
                try:
                    smtp.send_message(build_message(mail, settings))
                    sent += 1
                except smtplib.SMTPException:
                    log.exception("mail to %s refused by the SMTP server", mail.to)
    except (OSError, smtplib.SMTPException):
        log.exception(
            "SMTP %s:%s unavailable: %d mail(s) not sent",
            settings.smtp_host,
            settings.smtp_port,
            len(mails) - sent,
        )
    return sent


class Outbox:
    """One daemon thread draining a queue of mail batches, so no request waits on SMTP."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[list[Mail], Settings]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def put(self, mails: list[Mail], settings: Settings) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="mail-outbox", daemon=True)
                self._thread.start()
        self._queue.put((mails, settings))

    def join(self) -> None:
        """Block until every queued batch has been tried (tests)."""
        self._queue.join()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait at most `timeout` seconds for the queue to empty: a short-lived process (the
        `jiebang tick` command) must not exit before its reminders went out."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._queue.unfinished_tasks:
            log.error("exiting with %d mail batch(es) unsent", self._queue.unfinished_tasks)
        return not self._queue.unfinished_tasks

    def _run(self) -> None:
        while True:
            mails, settings = self._queue.get()
            try:
                send_now(mails, settings)
            except Exception:  # the thread must survive anything
                log.exception("mail outbox failed")
            finally:
                self._queue.task_done()


OUTBOX = Outbox()
atexit.register(OUTBOX.drain)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    mails = session.info.pop(PENDING, None)
    if mails and not session.info.get(SUPPRESS):
        OUTBOX.put(mails, get_settings())


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # the whole transaction is gone, and its notifications too
        session.info.pop(PENDING, None)
