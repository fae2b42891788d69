"""专家论证 rules: who assigns whom to what, scoring, submitting, declining, withdrawing."""

from sqlalchemy import true
from sqlalchemy.orm import Session

from service.kit.db import utcnow
from service.kit.errors import BadRequest, Conflict, Forbidden, InvalidTransition, NotFound, found
from service.kit.pagination import Page, PageParams, page_of
from service.kit.versioning import check_version, flush_versioned
from service.models import Need, Review, ReviewAssignment, ReviewScore, User
from service.models.enums import ApplicationStatus, CallType, ReviewStatus, Role
from service.needs import repository as needs_repository
from service.reviews import auth, conflicts, notices, presenters, repository
from service.reviews.lifecycle import NOT_ASSIGNEE, REVIEW_MACHINE, REVIEW_NEED_STATES
from service.reviews.schemas import AssignIn, AssignmentFilter, AssignmentSummary, ReviewIn
from service.users import repository as users

_NOT_FOUND = ("评审任务不存在或无权查看", "Review assignment not found")


def get_readable(session: Session, user: User, assignment_id: int) -> ReviewAssignment:
    return found(repository.get(session, assignment_id, auth.readable(user)), _NOT_FOUND)


def require_reviewer_role(user: User) -> None:
    if user.role not in (Role.admin, Role.expert):
        raise Forbidden(
            "仅管理员和评审专家可以查看评审任务",
            "Only admins and experts see review assignments",
            code="wrong_role",
        )


def list_assignments(
    session: Session, user: User, filters: AssignmentFilter, page: PageParams
) -> Page[AssignmentSummary]:
    """An expert's own review tasks; every task for an admin."""
    require_reviewer_role(user)
    rows, total = repository.list_page(session, auth.readable(user), filters, page)
    return page_of(presenters.summaries(session, user, rows), total, page)


def _require_open(need: Need) -> None:
    if need.status not in REVIEW_NEED_STATES:
        raise InvalidTransition(
            "该需求已不在张榜或评审阶段，专家论证已结束",
            "The need is no longer open for expert review",
            code="review_closed",
        )


def assign(session: Session, admin: User, need_id: int, data: AssignIn) -> ReviewAssignment:
    """Assign an expert to a 揭榜挂帅 need, to all its live applications or to some of them."""
    if admin.role != Role.admin:
        raise Forbidden("仅管理员可以指派评审专家", "Admins only", code="wrong_role")
    # The need row lock serialises concurrent assignments of the same need (no duplicate).
    need = needs_repository.get(session, need_id, for_update=True)
    if need is None or need.status == "draft":
        raise NotFound("需求不存在", "Need not found")
    if need.call_type != CallType.jiebang_guashuai:
        raise Conflict(
            "只有「揭榜挂帅」类需求组织专家论证",
            "Expert review is for 揭榜挂帅 calls only",
            code="not_jiebang_guashuai",
        )
    _require_open(need)
    expert = users.by_id(session, data.expert_id)
    if expert is None or expert.role != Role.expert or not expert.is_active:
        raise BadRequest("所选用户不是有效的评审专家", "Not an active expert", code="not_an_expert")
    conflicts.check(session, expert, need)
    if repository.live_for(session, need.id, expert.id) is not None:
        raise Conflict(
            "该专家已被指派评审此需求", "Expert already assigned", code="already_assigned"
        )
    scope = _scope(session, need, data.application_ids)
    if not scope:
        raise Conflict(
            "该需求还没有可评审的揭榜申请", "No applications to review", code="no_applications"
        )
    assignment = ReviewAssignment(
        need_id=need.id,
        expert_id=expert.id,
        assigned_by_id=admin.id,
        reviews=[Review(application_id=app_id) for app_id in scope],
    )
    session.add(assignment)
    REVIEW_MACHINE.start(session, assignment, admin.id)
    notices.assigned(session, assignment, need, len(scope))
    return _reload(session, assignment.id)


def extend(
    session: Session, admin: User, assignment_id: int, application_ids: list[int]
) -> ReviewAssignment:
    """Add applications that arrived after the assignment (the call may still be open)."""
    assignment = _locked(session, admin, assignment_id)
    if not auth.is_admin(admin):
        raise Forbidden("仅管理员可以调整评审范围", "Admins only", code="wrong_role")
    if assignment.status != ReviewStatus.assigned:
        raise InvalidTransition(
            "只有待评审的任务可以增加申请", "Only assigned tasks grow", code="review_read_only"
        )
    need = assignment.need
    _require_open(need)
    conflicts.check_change(session, assignment, need)
    in_scope = {r.application_id for r in assignment.reviews}
    added = [a for a in _scope(session, need, application_ids) if a not in in_scope]
    for app_id in added:
        assignment.reviews.append(Review(application_id=app_id))
    if added:
        assignment.updated_at = utcnow()
        flush_versioned(session)
        notices.extended(session, assignment, need, len(added))
    return _reload(session, assignment.id)


def save_review(
    session: Session, user: User, assignment_id: int, application_id: int, data: ReviewIn
) -> ReviewAssignment:
    """Save (part of) the expert's scores for one application; read-only once submitted."""
    assignment, need = _for_expert_change(session, user, assignment_id, "score")
    review = found(
        next((r for r in assignment.reviews if r.application_id == application_id), None),
        ("该申请不在您的评审范围内", "Application not assigned to you"),
    )
    if review.application.status == ApplicationStatus.withdrawn:
        raise InvalidTransition(
            "该申请已被撤回，无需评审", "Application withdrawn", code="application_withdrawn"
        )
    if not data.scores and not data.comment:
        raise BadRequest(
            "请至少为一个评审项打分或填写评审意见后再保存",
            "Score at least one criterion or write a comment",
            code="empty_review",
        )
    codes = {c.code for c in repository.criteria(session)}
    unknown = sorted(set(data.scores) - codes)
    if unknown:
        raise BadRequest(
            f"未知的评审项：{'、'.join(unknown)}",
            "Unknown criteria",
            code="unknown_criterion",
        )
    existing = {s.criterion_code: s for s in review.scores}
    for code, score in data.scores.items():
        if code in existing:
            existing[code].score = score
        else:
            review.scores.append(ReviewScore(criterion_code=code, score=score))
    review.comment = data.comment
    assignment.updated_at = utcnow()  # a new version: a stale submit elsewhere is refused
    flush_versioned(session)
    return assignment


def submit(
    session: Session, user: User, assignment_id: int, comment: str, version: int | None
) -> ReviewAssignment:
    assignment, need = _for_expert_change(session, user, assignment_id, "submit")
    check_version(assignment, version)
    due = [r for r in assignment.reviews if r.application.status != ApplicationStatus.withdrawn]
    if not due:
        raise InvalidTransition(
            "评审范围内的申请均已撤回，请谢绝本次评审",
            "Nothing left to review",
            code="nothing_to_review",
        )
    if any(r.unscored for r in due):
        _refuse_incomplete(session, due)
    REVIEW_MACHINE.apply(
        session,
        assignment,
        "submit",
        user.id,
        changes={"comment": comment, "submitted_at": utcnow()},
    )
    flush_versioned(session)
    notices.submitted(session, user, need, len(due))
    return assignment


def _refuse_incomplete(session: Session, due: list[Review]) -> None:
    """400 review_incomplete, naming each application's unscored criteria."""
    criteria = repository.criteria(session)
    apps = repository.applications(session, [r.application_id for r in due])
    missing = []
    for review in due:
        scored = {s.criterion_code for s in review.scores}
        lacking = [c.name for c in criteria if c.code not in scored]
        if lacking:
            missing.append(f"{apps[review.application_id].org.name}（{'、'.join(lacking)}）")
    raise BadRequest(
        f"尚有申请未完成全部评审项打分：{'；'.join(missing)}",
        "Score every criterion of every application before submitting",
        code="review_incomplete",
    )


def decline(
    session: Session, user: User, assignment_id: int, reason: str | None, version: int | None
) -> ReviewAssignment:
    """The expert declines (e.g. declares a conflict of interest); a reason is required.

    Allowed even when conflicted: declining is exactly what a conflicted expert must do.
    """
    assignment, need = _close(session, user, assignment_id, "decline", reason, version)
    notices.declined(session, user, assignment, need)
    return assignment


def withdraw(
    session: Session, user: User, assignment_id: int, reason: str | None, version: int | None
) -> ReviewAssignment:
    """An admin withdraws an assignment (also a submitted one, whose scores then stop counting)."""
    assignment, need = _close(session, user, assignment_id, "withdraw", reason, version)
    notices.withdrawn(session, assignment, need)
    return assignment


def _close(
    session: Session,
    user: User,
    assignment_id: int,
    action: str,
    reason: str | None,
    version: int | None,
) -> tuple[ReviewAssignment, Need]:
    """A step that ends an assignment with a reason (decline, withdraw), and its need."""
    assignment = _locked(session, user, assignment_id)
    REVIEW_MACHINE.require(action, user, assignment)
    check_version(assignment, version)
    REVIEW_MACHINE.apply(
        session, assignment, action, user.id, reason, {"reason": (reason or "").strip()}
    )
    flush_versioned(session)
    return assignment, assignment.need


def _scope(session: Session, need: Need, application_ids: list[int] | None) -> list[int]:
    """The requested applications (default: all) if each is a live application to `need`."""
    reviewable = repository.reviewable_application_ids(session, need.id)
    if application_ids is None:
        return reviewable
    unknown = sorted(set(application_ids) - set(reviewable))
    if unknown:
        raise BadRequest(
            f"以下申请不属于该需求或已不在评审范围：{'、'.join(map(str, unknown))}",
            "Applications not reviewable for this need",
            code="invalid_application",
        )
    return sorted(set(application_ids))


def _locked(session: Session, user: User, assignment_id: int) -> ReviewAssignment:
    """The assignment to change, read once and locked, if the caller can see it (else 404)."""
    return found(
        repository.get(session, assignment_id, auth.readable(user), for_update=True), _NOT_FOUND
    )


def _for_expert_change(
    session: Session, user: User, assignment_id: int, action: str
) -> tuple[ReviewAssignment, Need]:
    """The assignee's own assignment, still assigned, need still open, no conflict arisen."""
    assignment = _locked(session, user, assignment_id)
    if not auth.is_assignee(user, assignment):  # scoring, or the step `submit`
        zh, en, code = NOT_ASSIGNEE
        raise Forbidden(zh, en, code=code)
    if assignment.status != ReviewStatus.assigned:
        raise InvalidTransition(
            "评审意见已提交或任务已结束，不能再修改",
            "Assignment is read-only now",
            code="review_read_only",
        )
    need = assignment.need
    _require_open(need)
    conflicts.check_change(session, assignment, need, advice=True)
    return assignment, need


def _reload(session: Session, assignment_id: int) -> ReviewAssignment:
    """A new assignment, or new sheets on one, read back with the relations the answer shows."""
    session.expire_all()
    return found(
        repository.get(session, assignment_id, true()),
        ("评审任务不存在", "Review assignment not found"),
    )
