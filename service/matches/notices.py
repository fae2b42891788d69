"""Who hears about a match's move: both sides from the recommendation on, the attributed
broker when a side shows interest. Candidates and their review stay among reviewers."""

from sqlalchemy.orm import Session

from service.models import Capability, Match, Need, User
from service.notifications.service import notify, notify_brokers, notify_orgs

# action → (kind, title for the need side, title for the capability side)
_BOTH_SIDES = {
    "recommend": (
        "match_recommended",
        "为你的需求推荐了科技成果「{cap}」",
        "为你的成果推荐了技术需求「{need}」",
    ),
    "connect": (
        "match_connected",
        "经纪人已为你安排对接：「{cap}」",
        "经纪人已为你安排对接：「{need}」",
    ),
    "negotiate": (
        "match_negotiating",
        "与「{cap}」的合作进入洽谈",
        "与「{need}」的合作进入洽谈",
    ),
    "deal": ("match_deal", "与「{cap}」的合作已签约", "与「{need}」的合作已签约"),
    "decline": ("match_declined", "与「{cap}」的匹配未成交", "与「{need}」的匹配未成交"),
}


def announce(session: Session, match: Match, action: str, actor: User, reason: str | None) -> None:
    need, cap = match.need, match.capability
    link = f"/matches/{match.id}"
    obj = ("match", match.id)
    if action in _BOTH_SIDES:
        kind, need_title, cap_title = _BOTH_SIDES[action]
        body = f"原因：{reason}" if action == "decline" and reason else ""
        names = {"need": need.title, "cap": cap.title}
        notify_orgs(
            session, [need.org_id], kind, need_title.format(**names), body, link=link, obj=obj
        )
        notify_orgs(
            session, [cap.org_id], kind, cap_title.format(**names), body, link=link, obj=obj
        )
    elif action in ("need_interest", "capability_interest") and match.broker_id is not None:
        side = "需求方" if action == "need_interest" else "成果方"
        both = match.need_interest and match.capability_interest
        title = "双方均已表示有意向，可以安排对接" if both else f"{side}对你推荐的匹配表示有意向"
        body = f"「{need.title}」×「{cap.title}」"
        notify(session, [match.broker_id], "match_interest", title, body, link=link, obj=obj)


def tell_brokers(
    session: Session, match: Match, need: Need, cap: Capability, asker: User, side: str
) -> None:
    """请经纪人对接: every active broker without a conflict hears once, linked to the match."""
    org = need.org if side == "need" else cap.org
    who = "需求方" if side == "need" else "成果方"
    title = f"{who}「{org.name}」请经纪人对接：「{need.title}」"
    body = f"{asker.display_name}（{org.name}）希望对接需求「{need.title}」与成果「{cap.title}」。"
    notify_brokers(
        session,
        "match_requested",
        title,
        body,
        link=f"/matches/{match.id}",
        obj=("match", match.id),
        exclude_orgs=[need.org_id, cap.org_id],
    )
