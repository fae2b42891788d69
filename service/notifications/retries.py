"""The tick step that sends again the outbox's e-mails (`mail_retries`, written by
`mail.stage`) that were refused by the SMTP server or never handed over by their process.

Each run sends the due mails (at most MAILS_PER_RUN, oldest first) over one connection, in
one transaction that holds their rows: a delivered mail gets `sent_at`, a refused one its next
attempt after `mail.RETRY_DELAYS`, and after the last delay it is given up (`gave_up_at`,
logged as an error). Two ticks at once never send the same mail twice: PostgreSQL skips the
rows the other holds, and SQLite runs one writing transaction at a time. Rows settled more than
KEEP_SETTLED ago are deleted (a month of delivery record for support questions).
"""

import logging
from datetime import date, timedelta

from sqlalchemy.orm import Session

from service.config import get_settings
from service.kit.db import utcnow
from service.models import MailRetry
from service.notifications import repository
from service.notifications.mail import RETRY_DELAYS, Mail, send_now

log = logging.getLogger(__name__)

MAILS_PER_RUN = 200
KEEP_SETTLED = timedelta(days=30)


def retry_mails(session: Session, today: date) -> int:
    """Try the due mails again; returns how many were delivered."""
    settings = get_settings()
    if not settings.mail_enabled:
        return 0
    now = utcnow()
    repository.forget_settled_mails(session, now - KEEP_SETTLED)
    rows = {
        id(mail): (row, mail)
        for row in repository.due_mails(session, now, MAILS_PER_RUN)
        for mail in [_mail(row)]
    }
    if not rows:
        return 0
    failed = {
        id(mail): reason for mail, reason in send_now([m for _, m in rows.values()], settings)
    }
    for key, (row, _) in rows.items():
        if key not in failed:
            row.sent_at = now
            continue
        row.attempts += 1
        row.last_error = failed[key]
        if row.attempts > len(RETRY_DELAYS):
            row.gave_up_at = now
            log.error(
                "mail to %s given up after %d attempts: %s",
                row.to_addr,
                row.attempts,
                row.last_error,
            )
        else:
            row.next_attempt_at = now + RETRY_DELAYS[row.attempts - 1]
    return len(rows) - len(failed)


def _mail(row: MailRetry) -> Mail:
    return Mail(
        row.to_addr, row.to_name, row.subject, row.body, tuple((n, v) for n, v in row.headers)
    )
