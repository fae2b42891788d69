"""E-mail copies of notifications, sent through SMTP only after the transaction committed.

`stage()` (called by `notify`) and `stage_mails()` (digests) write each mail into the outbox
table `mail_retries` in the caller's transaction, so a committed mail is never lost, and
defer it on the session (`service.kit.jobs`, topic `mail`): the commit hands it to the
process's job queue, which sends it at once and marks its row sent; a rollback drops both.
A mail the SMTP server did not take, or whose process stopped before sending it, is sent
again by the tick (`service/notifications/retries.py`) until delivered or given up: a refused
one after RETRY_DELAYS, one never handed over after HANDOFF_GRACE. A process killed between
sending and marking may send a mail twice; none is lost.
"""

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import NamedTuple

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
# A staged mail not marked by its own process within this is taken as lost in a stop between
# commit and send and sent by the tick (well past the handoff's SMTP time-outs).
HANDOFF_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class Mail:
    to: str
    to_name: str
    subject: str
    body: str
    headers: tuple[tuple[str, str], ...] = ()  # extra headers, e.g. List-Unsubscribe


class Staged(NamedTuple):
    """A mail handed to the job queue, with its outbox row (None: a mail kept nowhere)."""

    row: int | None
    mail: Mail


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
    mails = []
    for n in notifications:
        user = users.get(n.user_id)
        if user is None:
            continue
        body = n.body
        if n.link:
            body = f"{body}\n\n查看详情：{settings.public_url.rstrip('/')}{n.link}".lstrip()
        body += "\n\n—— 揭榜 技术需求与科技成果对接平台（系统邮件，请勿直接回复）"
        mails.append(Mail(user.email, user.display_name, SUBJECT_PREFIX + n.title, body))
    _keep(session, mails)


def stage_mails(session: Session, mails: Sequence[Mail]) -> None:
    """Stage ready-made mails (a digest): kept in this transaction, sent once it commits."""
    if not mails or session.info.get(SUPPRESS) or not get_settings().mail_enabled:
        return
    _keep(session, mails)


def _keep(session: Session, mails: Sequence[Mail]) -> None:
    """Write the mails into the outbox (one statement) and defer them to the commit."""
    if not mails:
        return
    due = utcnow() + HANDOFF_GRACE
    rows = repository.keep_mails(session, [_row(mail, due) for mail in mails])
    defer(session, MAIL, *(Staged(row, mail) for row, mail in zip(rows, mails, strict=True)))


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


def _send(staged: list[Staged]) -> None:
    """The `mail` topic's consumer (on the job queue's thread): one commit's mails, one
    SMTP connection. The settings are read now: mail switched off meanwhile sends nothing
    (the rows wait for the tick). Then each row is settled (`settle`)."""
    settings = get_settings()
    if settings.mail_enabled:
        failed = send_now([s.mail for s in staged], settings)
        refused = {id(mail): reason for mail, reason in failed}
        settle({s.row: refused.get(id(s.mail)) for s in staged if s.row is not None})


def settle(outcome: dict[int, str | None]) -> None:
    """Mark the handed-over rows (own transaction): sent, or refused (reason) and due again in
    RETRY_DELAYS[0]. Only rows this process can see and nobody settled yet are touched, so a
    row the tick already took is left to it. If the database is down, the tick sends the
    rows again after HANDOFF_GRACE (the delivered ones a second time); that is logged."""
    if not outcome:
        return
    now = utcnow()
    try:
        with get_sessionmaker()() as session:
            open_rows = repository.unsettled_mails(session, outcome)
            sent = [row for row in open_rows if outcome[row] is None]
            refused = {row: outcome[row] or "" for row in open_rows if outcome[row] is not None}
            repository.mark_mails(session, sent, refused, now, now + RETRY_DELAYS[0])
            session.commit()
    except Exception:
        log.exception("outbox rows %s not settled: the tick sends them again", sorted(outcome))


def _row(mail: Mail, due: datetime) -> dict[str, object]:
    return {
        "to_addr": mail.to,
        "to_name": mail.to_name,
        "subject": mail.subject,
        "body": mail.body,
        "headers": [list(h) for h in mail.headers],
        "attempts": 0,
        "next_attempt_at": due,
        "last_error": "",
    }


class Outbox:
    """The mail topic of the process's job queue (`service.kit.jobs.JOBS`): no request waits
    on SMTP."""

    def put(self, staged: list[Staged]) -> None:
        JOBS.submit(MAIL, staged)

    def join(self) -> None:
        """Block until every queued job has been tried (tests)."""
        JOBS.join()

    def drain(self, timeout: float = 30.0) -> bool:
        return JOBS.drain(timeout)


JOBS.consume(MAIL, _send)  # always: the CLI's tick mails too (its process drains at exit)
OUTBOX = Outbox()
