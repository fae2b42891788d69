"""Who hears about a need's review by the bureau: the admins when it is submitted, the posting
organisation when it is approved or rejected."""

from sqlalchemy.orm import Session

from service.kit.money import yuan_to_wan
from service.models import Capability, Need
from service.notifications.service import notify_admins, notify_orgs
from service.orgs import repository as orgs


def reviewed(session: Session, need: Need, action: str) -> None:
    """After submit (the admins), approve (张榜) or reject (with the reason); other actions say
    nothing here."""
    if action == "submit":
        submitted(session, need)
        return
    if action == "approve":
        kind = "need_approved"
        title = f"您的需求「{need.title}」已审核通过并张榜"
        body = f"揭榜截止日期：{need.deadline.isoformat()}。"
    elif action == "reject":
        kind = "need_rejected"
        title = f"您的需求「{need.title}」未通过审核"
        body = f"驳回理由：{need.reject_reason}。修改后可重新提交审核。"
    else:
        return
    link, obj = f"/needs/{need.id}", ("need", need.id)
    notify_orgs(session, [need.org_id], kind, title, body, link=link, obj=obj)


def submitted(session: Session, need: Need) -> None:
    """The bureau's admins hear of a need waiting in the review queue."""
    notify_admins(
        session,
        "need_submitted",
        f"新需求「{need.title}」待审核",
        f"{orgs.name_of(session, need.org_id)}提交了技术需求，"
        f"悬赏 {yuan_to_wan(need.bounty) or '0'} 万元，揭榜截止 {need.deadline.isoformat()}。"
        "请在审核队列中查看技术指标后通过或驳回。",
        link="/admin/review",
        obj=("need", need.id),
    )


def termination_requested(session: Session, need: Need, reason: str) -> None:
    """The enterprise asks the bureau (every admin) to terminate its need."""
    title = f"发榜企业申请终止「{need.title}」"
    link, obj = f"/needs/{need.id}", ("need", need.id)
    notify_admins(session, "termination_requested", title, f"理由：{reason}", link=link, obj=obj)


def invited(session: Session, need: Need, cap: Capability, org_name: str) -> None:
    """邀请揭榜: the capability's organisation hears, linked to the apply form."""
    notify_orgs(
        session,
        [cap.org_id],
        "need_invitation",
        f"{org_name}邀请你方揭榜「{need.title}」",
        f"企业看到你方成果「{cap.title}」与需求匹配，邀请你方揭榜。"
        f"悬赏 {yuan_to_wan(need.bounty) or '0'} 万元，揭榜截止 {need.deadline.isoformat()}。",
        link=f"/needs/{need.id}/apply",
        obj=("need", need.id),
    )
