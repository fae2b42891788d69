"""Who hears what: a subscriber, once per posting, that a new posting matches a subscription.

In-app only (`mail=False`): the e-mail is the digest (service/subscriptions/digests.py)."""

from sqlalchemy.orm import Session

from service.models import Subscription
from service.models.enums import SubscriptionKind, SubscriptionSide
from service.notifications.service import notify

KIND = "subscription_match"


def link_of(kind: str, posting_id: int) -> str:
    return f"/needs/{posting_id}" if kind == "need" else f"/capabilities/{posting_id}"


def matched(
    session: Session, user_id: int, sub: Subscription, kind: str, posting_id: int, title: str
) -> None:
    what = SubscriptionSide(kind).label
    if sub.kind == SubscriptionKind.recommended:
        headline = f"为我推荐：新{what}「{title}」与本单位成果高度匹配"
        body = "匹配度达到「高」档。可在「我的订阅」中暂停或修改邮件摘要频率。"
    else:
        headline = f"您订阅的「{sub.name}」有新{what}：{title}"
        body = "可在「我的订阅」中暂停订阅或修改邮件摘要频率。"
    notify(
        session,
        [user_id],
        KIND,
        headline[:200],
        body,
        link=link_of(kind, posting_id),
        obj=(kind, posting_id),
        mail=False,
    )
