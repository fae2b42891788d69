"""What the parties to an awarded need hear: milestones proposed and moved, the need's own
steps (the posting enterprise and every winning organisation)."""

from typing import Any

from sqlalchemy import Select, literal, select
from sqlalchemy.orm import Session

from service.kit.money import yuan_to_wan
from service.milestones import repository
from service.models import Milestone, Need
from service.notifications.service import notify_orgs


def proposed(session: Session, need: Need, m: Milestone, org_id: int, edited: bool) -> None:
    """The winner is asked to confirm a new (or edited) milestone."""
    if edited:
        title, body = f"「{need.title}」的里程碑已修改，待确认：{m.name}", ""
    else:
        title = f"「{need.title}」有新的里程碑待确认：{m.name}"
        body = f"金额 {yuan_to_wan(m.amount)} 万元，计划完成 {m.due_date.isoformat()}。"
    link, obj = f"/needs/{need.id}", ("milestone", m.id)
    notify_orgs(session, [org_id], "milestone_proposed", title, body, link=link, obj=obj)


def transitioned(session: Session, need: Need, m: Milestone, action: str) -> None:
    """Tell the other side what just happened to a milestone."""
    amount = yuan_to_wan(m.amount)
    to_owner = {
        "agree": ("milestone_agreed", f"揭榜方已确认里程碑：{m.name}", ""),
        "decline": ("milestone_declined", f"揭榜方不同意里程碑：{m.name}", f"理由：{m.reason}"),
        "submit": ("milestone_submitted", f"里程碑成果已提交，待验收：{m.name}", m.delivery_note),
    }
    to_winner = {
        "cancel": ("milestone_cancelled", f"发榜企业已取消里程碑：{m.name}", ""),
        "accept": ("milestone_accepted", f"里程碑已验收通过：{m.name}", f"金额 {amount} 万元"),
        "return": ("milestone_returned", f"里程碑被退回修改：{m.name}", f"理由：{m.reason}"),
        "pay": ("milestone_paid", f"里程碑款项已支付：{m.name}", f"金额 {amount} 万元"),
    }
    orgs: list[int] | Select[Any]
    if action in to_owner:
        kind, title, body = to_owner[action]
        orgs = [need.org_id]
    else:
        kind, title, body = to_winner[action]
        winners = repository.member_org_ids(m.application_id)
        orgs = winners if action == "pay" else [m.application.org_id]
    title = f"「{need.title}」{title}"
    link, obj = f"/needs/{need.id}", ("milestone", m.id)
    notify_orgs(session, orgs, kind, title, body or "", link=link, obj=obj)


def announce(session: Session, need: Need, kind: str, title: str, body: str = "") -> None:
    """Tell the posting enterprise and every winning organisation (lead and members)."""
    orgs = repository.winner_org_ids(need.id).union(select(literal(need.org_id)))
    notify_orgs(session, orgs, kind, title, body, link=f"/needs/{need.id}", obj=("need", need.id))
