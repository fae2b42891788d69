"""Who hears about expert review: the expert when assigned, given more applications or withdrawn;
the bureau's admins when an expert submits or declines; both when a conflict of interest
arises after assignment."""

from sqlalchemy import ColumnElement, String, Subquery, case, cast, literal
from sqlalchemy.orm import Session

from service.models import Need, ReviewAssignment, User
from service.notifications.service import notify, notify_admins


def assigned(session: Session, assignment: ReviewAssignment, need: Need, count: int) -> None:
    title = f"您被邀请评审揭榜挂帅需求「{need.title}」"
    body = (
        f"共 {count} 份揭榜申请待您评审打分。如您与发榜方或申请方存在利益关系，请谢绝并说明理由。"
    )
    _to_expert(session, assignment, "review_assigned", title, body)


def extended(session: Session, assignment: ReviewAssignment, need: Need, added: int) -> None:
    title = f"「{need.title}」新增 {added} 份揭榜申请待您评审"
    body = "请在提交评审意见前完成新增申请的打分。"
    _to_expert(session, assignment, "review_extended", title, body)


def submitted(session: Session, expert: User, need: Need, count: int) -> None:
    title = f"专家{expert.display_name}已提交「{need.title}」的评审意见"
    body = f"共评审 {count} 份揭榜申请，可在评审结果中查看汇总与排名。"
    _to_admins(session, need, "review_submitted", title, body)


def declined(session: Session, expert: User, assignment: ReviewAssignment, need: Need) -> None:
    title = f"专家{expert.display_name}谢绝评审「{need.title}」"
    body = f"理由：{assignment.reason}。如需要，请另行指派专家。"
    _to_admins(session, need, "review_declined", title, body)


def withdrawn(session: Session, assignment: ReviewAssignment, need: Need) -> None:
    title = f"您对「{need.title}」的评审任务已被撤销"
    _to_expert(session, assignment, "review_withdrawn", title, f"理由：{assignment.reason}")


def conflicts(session: Session, need: Need, rows: Subquery, lead_name: str) -> None:
    """The organisations of the experts in `rows` (reviews.repository.conflicted) joined an
    application to `need` led by `lead_name`: the admins and each expert hear of it, in the
    statement that finds them (one for the whole step inside notifications.together)."""
    name, submitted = rows.c.display_name, rows.c.submitted
    flagged = (
        literal("利益冲突：专家") + name + literal(f"所在单位已成为「{need.title}」的揭榜申请方")
    )
    body = _either(
        submitted,
        f"牵头单位：{lead_name}。",
        "该专家已提交的评审意见仍在评审结果中（已标注利益冲突），请决定保留或撤销该指派。",
        "该专家不能再打分，请撤销该指派或另行指派专家。",
    )
    results = f"/needs/{need.id}/reviews"
    notify_admins(
        session, "review_conflict", flagged, body, link=results, obj=("need", need.id), per=rows
    )
    body = _either(
        submitted,
        f"您所在单位已加入牵头单位「{lead_name}」的揭榜申请。",
        "您已提交的意见由管理员决定是否保留。",
        "请谢绝本次评审。",
    )
    sheet = literal("/reviews/") + cast(rows.c.id, String)
    title = f"您对「{need.title}」的评审出现利益冲突"
    obj = ("review_assignment", rows.c.id)
    notify(session, rows.c.expert_id, "review_conflict", title, body, link=sheet, obj=obj, per=rows)


def _either(
    submitted: ColumnElement[bool], text: str, if_so: str, if_not: str
) -> ColumnElement[str]:
    """`text` and, as the assignment was submitted or not, `if_so` or `if_not`."""
    return case((submitted, literal(text + if_so)), else_=literal(text + if_not))


def _to_expert(
    session: Session, assignment: ReviewAssignment, kind: str, title: str, body: str
) -> None:
    """The assigned expert, led to the review sheet."""
    link, obj = f"/reviews/{assignment.id}", ("review_assignment", assignment.id)
    notify(session, [assignment.expert_id], kind, title, body, link=link, obj=obj)


def _to_admins(session: Session, need: Need, kind: str, title: str, body: str) -> None:
    """The bureau's admins, led to the need's review results."""
    link, obj = f"/needs/{need.id}/reviews", ("need", need.id)
    notify_admins(session, kind, title, body, link=link, obj=obj)
