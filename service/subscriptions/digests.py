"""The e-mail digest: per user and period (a China day, or an ISO week), one e-mail listing
the new postings that matched the user's active subscriptions of that frequency.

A tick step (service/tick/steps.py). The day's digest goes out on the first tick of the next
day, the week's on the first tick of the next week (Monday). One e-mail per user and period:
the digest row's unique key (user, frequency, period) is claimed before the mail is queued,
so a re-run or a second worker finds it and sends nothing; the mail leaves after the commit
(service/notifications/mail.py). At most USERS_PER_RUN users per frequency and run: the next
tick continues with the rest.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from service.config import get_settings
from service.kit.clock import CHINA
from service.models import Subscription, SubscriptionHit, User
from service.models.enums import DigestFrequency, SubscriptionSide
from service.notifications.mail import SUBJECT_PREFIX, Mail, stage_mails
from service.subscriptions import repository, unsubscribe
from service.subscriptions.notices import link_of

USERS_PER_RUN = 200
ITEMS_PER_SUBSCRIPTION = 20  # listed; the rest counted
MANAGE = "/my/subscriptions"


def period_of(frequency: str, today: date) -> tuple[str, date, datetime]:
    """(period key, first day, end) of the last complete period before `today` (China)."""
    if frequency == DigestFrequency.daily:
        day = today - timedelta(days=1)
        return day.isoformat(), day, datetime.combine(today, time(), CHINA)
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(days=7)
    year, week, _ = first.isocalendar()
    return f"{year}-W{week:02d}", first, datetime.combine(monday, time(), CHINA)


def send_digests(session: Session, today: date) -> int:
    """Queue the due digests; returns how many were claimed (e-mails to be sent)."""
    sent = 0
    for frequency in DigestFrequency:
        period, first, end = period_of(frequency, today)
        for user in repository.pending_users(session, frequency, end, USERS_PER_RUN):
            sent += _digest(session, user, frequency, period, first, end)
    return sent


def _digest(
    session: Session, user: User, frequency: str, period: str, first: date, end: datetime
) -> int:
    rows = repository.pending_hits(session, user.id, frequency, end)
    live: dict[str, set[int]] = {
        kind: repository.still_published(
            session, kind, [h.posting_id for h, _ in rows if h.posting_kind == kind]
        )
        for kind in ("need", "capability")
    }
    shown = [(h, s) for h, s in rows if h.posting_id in live[h.posting_kind]]
    digest = repository.claim_digest(session, user.id, frequency, period, len(shown))
    if digest is None:
        return 0
    # withdrawn postings are consumed too, so they never surface in a later digest
    repository.assign_hits(session, [h.id for h, _ in rows], digest.id)
    if shown:
        stage_mails(session, [_mail(user, frequency, first, shown)])
    return 1


def _mail(
    user: User, frequency: str, first: date, rows: list[tuple[SubscriptionHit, Subscription]]
) -> Mail:
    base = get_settings().public_url.rstrip("/")
    grouped: dict[int, list[SubscriptionHit]] = defaultdict(list)
    subs: dict[int, Subscription] = {}
    for hit, sub in rows:
        grouped[sub.id].append(hit)
        subs[sub.id] = sub
    when = (
        first.isoformat()
        if frequency == DigestFrequency.daily
        else f"{first.isoformat()} 至 {(first + timedelta(days=6)).isoformat()}"
    )
    label = DigestFrequency(frequency).label
    lines = [
        f"{user.display_name}，您好：",
        "",
        f"以下是{when}与您的订阅匹配的新发布（{label}摘要）。",
        "",
    ]
    for sub_id, hits in grouped.items():
        sub = subs[sub_id]
        lines.append(f"■ {sub.name}（{SubscriptionSide(sub.side).label}，{len(hits)} 条）")
        for hit in hits[:ITEMS_PER_SUBSCRIPTION]:
            lines.append(f"  · {hit.title}")
            lines.append(f"    {base}{link_of(hit.posting_kind, hit.posting_id)}")
        if len(hits) > ITEMS_PER_SUBSCRIPTION:
            lines.append(f"  …… 另有 {len(hits) - ITEMS_PER_SUBSCRIPTION} 条，请登录查看")
        lines.append(f"  退订此订阅：{unsubscribe.page_url(unsubscribe.token(user.id, [sub_id]))}")
        lines.append("")
    every = unsubscribe.token(user.id, sorted(grouped))
    lines += [
        f"管理订阅（暂停、删除、修改频率）：{base}{MANAGE}",
        f"退订本邮件中的全部订阅：{unsubscribe.page_url(every)}",
        "",
        "—— 揭榜 技术需求与科技成果对接平台（系统邮件，请勿直接回复）",
    ]
    count = len(rows)
    return Mail(
        user.email,
        user.display_name,
        f"{SUBJECT_PREFIX}订阅{label}摘要（{when}）：{count} 条新发布",
        "\n".join(lines),
        headers=(
            ("List-Unsubscribe", f"<{unsubscribe.api_url(every)}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ),
    )
