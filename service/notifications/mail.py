"""E-mail copies of notifications, sent through SMTP only after the transaction committed.

`stage()` (called by `notify`) prepares the messages inside the transaction and defers them
on the session (`service.kit.jobs`, topic `mail`): the commit hands them to the process's job
queue, a rollback drops them. A failed send is logged: the in-app notification is already
committed and stays. A mail the SMTP server did not take is kept in `mail_retries` and
retried by the tick (`service/notifications/retries.py`) until delivered or given up.
"""

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy.orm import Session

from service.config import Settings, get_settings
from service.kit.db import get_sessionmaker, utcnow
from service.kit.jobs import JOBS, defer, discard
from service.models import Notification
from service.notifications import repository

log = logging.getLogger(__name__)

MAIL = "mail"  # the job queue's topic
SUPPRESS = "jiebang.suppress_mail"  # set on a session (e.g. the demo loader) to send nothing
SUBJECT_PREFIX = "【揭榜】"
# After the n-th failed attempt, the next is due RETRY_DELAYS[n-1] later; after the last one the
# mail is given up (about two days in all, so an SMTP outage over a weekend night is bridged).
RETRY_DELAYS = tuple(
    timedelta(minutes=m) for m in (5, 15, 30, 60, 120, 240, 480, 720, 720, 720, 720)
)


@dataclass(frozen=True)
class Mail:
    to: str
    to_name: str
    subject: str
    body: str
    headers: tuple[tuple[str, str], ...] = ()  # extra headers, e.g. List-Unsubscribe


def suppress(session: Session) -> None:
    """Send no mail for this session's work (the demo loader): what is staged is dropped."""
    session.info[SUPPRESS] = True
    discard(session, MAIL)


def stage(session: Session, notifications: Sequence[Notification]) -> None:
    """Prepare one e-mail per notification whose user has an address (when SMTP is on)."""
    settings = get_settings()
    if not settings.mail_enabled or not notifications or session.info.get(SUPPRESS):
        return
    users = repository.mail_addresses(session, {n.user_id for n in notifications})
    for n in notifications:
        user = users.get(n.user_id)
        if user is None:
            continue
        body = n.body
        if n.link:
            body = f"{body}\n\n查看详情：{settings.public_url.rstrip('/')}{n.link}".lstrip()
        body += "\n\n—— 揭榜 技术需求与科技成果对接平台（系统邮件，请勿直接回复）"
        defer(session, MAIL, Mail(user.email, user.display_name, SUBJECT_PREFIX + n.title, body))


def stage_mails(session: Session, mails: Sequence[Mail]) -> None:
    """Park ready-made mails (a digest) on the session, sent once this transaction commits."""
    if not mails or session.info.get(SUPPRESS) or not get_settings().mail_enabled:
        return
    defer(session, MAIL, *mails)


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


def send_now(mails: Sequence[Mail], settings: Settings) -> list[tuple[Mail, str]]:
    """Send over one SMTP connection; returns the mails not accepted, each with the reason
    (empty when all went). Never raises."""
    failed: list[tuple[Mail, str]] = []
    pending = list(mails)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                ca_file = settings.smtp_ca_file or None
                smtp.starttls(context=ssl.create_default_context(cafile=ca_file))
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            while pending:
                mail = pending[0]
                try:
                    smtp.send_message(build_message(mail, settings))
                except smtplib.SMTPException as exc:
                    log.exception("mail to %s refused by the SMTP server", mail.to)
                    failed.append((mail, _reason(exc)))
                pending.pop(0)
    except (OSError, smtplib.SMTPException) as exc:
        log.exception(
            "SMTP %s:%s unavailable: %d mail(s) not sent",
            settings.smtp_host,
            settings.smtp_port,
            len(pending),
        )
        failed += [(mail, _reason(exc)) for mail in pending]
    return failed


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _send(mails: list[Mail]) -> None:
    """The `mail` topic's consumer (on the job queue's thread): one commit's mails, one
    SMTP connection. The settings are read now: mail switched off meanwhile sends nothing.
    What the server did not take is kept for a later tick to retry (`retries.park`)."""
    settings = get_settings()
    if settings.mail_enabled:
        failed = send_now(mails, settings)
        if failed:
            park(failed)


def park(failed: Sequence[tuple[Mail, str]]) -> None:
    """Keep mails the server did not take, due again in RETRY_DELAYS[0] (own transaction).
    If even that fails (the database is down), the loss is logged with each recipient."""
    due = utcnow() + RETRY_DELAYS[0]
    try:
        with get_sessionmaker()() as session:
            repository.park_mails(session, [_row(mail, reason, due) for mail, reason in failed])
            session.commit()
    except Exception:
        log.exception("mail(s) to %s not kept for a retry", ", ".join(m.to for m, _ in failed))


def _row(mail: Mail, reason: str, due: datetime) -> dict[str, object]:
    return {
        "to_addr": mail.to,
        "to_name": mail.to_name,
        "subject": mail.subject,
        "body": mail.body,
        "headers": [list(h) for h in mail.headers],
        "attempts": 1,
        "next_attempt_at": due,
        "last_error": reason,
    }


class Outbox:
    """The mail topic of the process's job queue (`service.kit.jobs.JOBS`): no request waits
    on SMTP."""

    def put(self, mails: list[Mail]) -> None:
        JOBS.submit(MAIL, mails)

    def join(self) -> None:
        """Block until every queued job has been tried (tests)."""
        JOBS.join()

    def drain(self, timeout: float = 30.0) -> bool:
        return JOBS.drain(timeout)


JOBS.consume(MAIL, _send)  # always: the CLI's tick mails too (its process drains at exit)
OUTBOX = Outbox()
