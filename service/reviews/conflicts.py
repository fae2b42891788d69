"""Conflicts of interest: an expert never reviews a need their organisation posted or applied
to (as lead or confirmed consortium member of an application that counts).

Checked on assignment and again on every score and submit, because an organisation may apply
(or confirm its place in a consortium) after its expert was assigned. When that happens the
admins and the expert are told at once (`flag_new_applicants`); a review already submitted
stays in the results, flagged, until an admin withdraws the assignment or lets it stand.
"""

from sqlalchemy.orm import Session

from service.kit.errors import Conflict
from service.models import Need, ReviewAssignment, User
from service.reviews import notices, repository


def is_conflicted(expert: User, need: Need, applicant_orgs: set[int]) -> bool:
    return expert.org_id is not None and (
        expert.org_id == need.org_id or expert.org_id in applicant_orgs
    )


EXPERT_ADVICE = (
    "管理员已收到提示；请谢绝本次评审并说明回避理由，已提交的评审意见由管理员决定是否保留。"
)


def explain(session: Session, expert: User, need: Need) -> str | None:
    """Why the expert must recuse, naming the side they are on (None: no conflict)."""
    if expert.org_id is None:
        return None
    if expert.org_id == need.org_id:
        return "利益冲突：评审专家所在单位是该需求的发榜企业，须回避。"
    leads = repository.applicant_lead_names(session, need.id, expert.org_id)
    if not leads:
        return None
    return (
        f"利益冲突：评审专家所在单位是该需求揭榜申请（牵头单位：{'、'.join(leads)}）的申请方或"
        "联合体成员，须回避。"
    )


def check(session: Session, expert: User, need: Need, *, advice: bool = False) -> None:
    """Refuse with 409 conflict_of_interest, saying which side the expert is on (and, to the
    expert, what to do next)."""
    reason = explain(session, expert, need)
    if reason is not None:
        raise Conflict(
            reason + (EXPERT_ADVICE if advice else ""),
            "Conflict of interest: the expert must recuse",
            code="conflict_of_interest",
        )


def flagged(assignment: ReviewAssignment, need: Need) -> bool:
    """`is_conflicted` for an assignment read for a change (`repository.get` with
    `for_update`), which carries whether its expert's organisation applied: no query."""
    expert = assignment.expert
    return expert.org_id is not None and (
        expert.org_id == need.org_id or bool(assignment.expert_applies)
    )


def check_change(
    session: Session, assignment: ReviewAssignment, need: Need, *, advice: bool = False
) -> None:
    """`check` for an assignment read for a change: the reason is read only to refuse."""
    if flagged(assignment, need):
        check(session, assignment.expert, need, advice=advice)


def flag_new_applicants(session: Session, need: Need, lead_name: str, org_ids: set[int]) -> None:
    """An application to `need` now counts: any expert assigned to it (or who already
    submitted) from one of `org_ids` is flagged to the admins and told, never dropped; the
    assignments are found by the statement that tells of them."""
    notices.conflicts(session, need, repository.conflicted(need.id, org_ids), lead_name)
