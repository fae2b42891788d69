"""What the posting organisation hears about its need's review by the bureau."""

from sqlalchemy.orm import Session

from service.models import Need
from service.notifications.service import notify_admins, notify_org


def reviewed(session: Session, need: Need, action: str) -> None:
    """After approve (张榜) or reject (with the reason); other actions say nothing here."""
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
    notify_org(session, need.org_id, kind, title, body, link=link, obj=obj)


def termination_requested(session: Session, need: Need, reason: str) -> None:
    """The enterprise asks the bureau (every admin) to terminate its need."""
    title = f"发榜企业申请终止「{need.title}」"
    link, obj = f"/needs/{need.id}", ("need", need.id)
    notify_admins(session, "termination_requested", title, f"理由：{reason}", link=link, obj=obj)
