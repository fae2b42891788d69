"""What a caller sees of review assignments: an expert their own scope only, admins all."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from service.models import Need, Review, ReviewAssignment, User
from service.models.enums import ApplicationStatus, ReviewStatus
from service.reviews import auth, conflicts, repository
from service.reviews.schemas import (
    AssignmentRead,
    AssignmentState,
    AssignmentSummary,
    CriterionRead,
    ExpertBrief,
    NeedForReview,
    ProposalForReview,
    ReviewScores,
    ReviewSheet,
)


def _standing(user: User, assignment: ReviewAssignment, conflicted: bool) -> dict[str, Any]:
    """Where an assignment stands and what the caller may do with it, as every view says it."""
    status = ReviewStatus(assignment.status)
    return {
        "id": assignment.id,
        "need_id": assignment.need_id,
        "status": status,
        "status_label": status.label,
        "comment": assignment.comment,
        "reason": assignment.reason,
        "submitted_at": assignment.submitted_at,
        "version": assignment.version,
        "actions": auth.actions(user, assignment, conflicted),
    }


def _summary(
    user: User,
    assignment: ReviewAssignment,
    need: Need,
    conflicted: bool,
    detail: str | None = None,
) -> AssignmentSummary:
    return AssignmentSummary(
        **_standing(user, assignment, conflicted),
        need_title=need.title,
        expert=ExpertBrief.build(assignment.expert),
        application_ids=[r.application_id for r in assignment.reviews],
        conflict_of_interest=conflicted,
        conflict_detail=detail,
        created_at=assignment.created_at,
    )


def summaries(
    session: Session, user: User, assignments: Sequence[ReviewAssignment]
) -> list[AssignmentSummary]:
    needs = repository.needs_by_id(session, (a.need_id for a in assignments))
    applicants = repository.applicant_org_ids(session, needs)
    return [
        _summary(
            user,
            a,
            needs[a.need_id],
            conflicts.is_conflicted(a.expert, needs[a.need_id], applicants.get(a.need_id, set())),
        )
        for a in assignments
    ]


def _shown(user: User, assignment: ReviewAssignment, conflicted: bool) -> list[Review]:
    """The sheets the caller sees before withdrawn applications are left out: an expert none
    once their assignment ended, nor while conflicted and still assigned; admins every one."""
    status = assignment.status
    if not auth.is_assignee(user, assignment) or status == ReviewStatus.submitted:
        return list(assignment.reviews)
    return list(assignment.reviews) if status == ReviewStatus.assigned and not conflicted else []


def detail(session: Session, user: User, assignment: ReviewAssignment) -> AssignmentRead:
    """The need's full text and the proposals in scope, with the caller's view of the scores.

    An expert whose assignment ended (declined, withdrawn) no longer sees the proposals; a
    conflicted expert still assigned sees why (`conflict_detail`) and may only decline, without
    the proposals, until an admin withdraws the assignment or they decline.
    """
    need = repository.needs_by_id(session, [assignment.need_id])[assignment.need_id]
    detail = conflicts.explain(session, assignment.expert, need)
    conflicted = detail is not None
    as_expert = auth.is_assignee(user, assignment)
    reviews = _shown(user, assignment, conflicted)
    if as_expert and detail is not None and assignment.status == ReviewStatus.assigned:
        detail += conflicts.EXPERT_ADVICE
    apps = repository.applications(session, [r.application_id for r in reviews])
    if as_expert:
        reviews = [r for r in reviews if apps[r.application_id].status != "withdrawn"]
    criteria = repository.criteria(session)
    codes = {c.code for c in criteria}
    sheets = [
        ReviewSheet(
            application=ProposalForReview.build(apps[r.application_id]),
            scores={s.criterion_code: s.score for s in r.scores},
            comment=r.comment,
            complete=codes <= {s.criterion_code for s in r.scores},
        )
        for r in reviews
    ]
    summary = _summary(user, assignment, need, conflicted, detail)
    return AssignmentRead(
        **summary.model_dump(),
        need=NeedForReview.build(need),
        criteria=[CriterionRead.model_validate(c) for c in criteria],
        reviews=sheets,
    )


def state(user: User, assignment: ReviewAssignment) -> AssignmentState:
    """An assignment after its step, as read for the change (`repository.get` with
    `for_update`, which brings what this shows): no query."""
    conflicted = conflicts.flagged(assignment, assignment.need)
    reviews = _shown(user, assignment, conflicted)
    if auth.is_assignee(user, assignment):
        reviews = [r for r in reviews if r.application.status != ApplicationStatus.withdrawn]
    return AssignmentState(
        **_standing(user, assignment, conflicted),
        expert_id=assignment.expert_id,
        reviews=[
            ReviewScores(
                application_id=r.application_id,
                scores={s.criterion_code: s.score for s in r.scores},
                comment=r.comment,
            )
            for r in reviews
        ],
    )
