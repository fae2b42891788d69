"""Milestone rules: who proposes, agrees, delivers, accepts and pays; amounts stay exact and
within each winner's committed amount and the need's bounty."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import true
from sqlalchemy.orm import Session

from service.kit.clock import today
from service.kit.errors import BadRequest, Forbidden, InvalidTransition, NotFound, found
from service.kit.money import wan_to_yuan, yuan_to_wan
from service.kit.versioning import check_version, flush_versioned, refuse_nulls
from service.milestones import auth, notices, presenters, repository
from service.milestones.lifecycle import (
    EDITABLE_STATES,
    MILESTONE_MACHINE,
    PAYABLE_NEED_STATES,
    WORKING_NEED_STATES,
    Work,
)
from service.milestones.schemas import (
    MilestoneActionIn,
    MilestoneCreate,
    MilestoneRead,
    MilestoneUpdate,
)
from service.models import Application, Milestone, Need, User
from service.models.enums import NeedStatus
from service.needs import auth as needs_auth
from service.needs import flows
from service.needs import repository as needs_repository
from service.needs import service as needs
from service.notifications.service import together

START_REASON = "首个里程碑已确认，进入实施"

_NOT_FOUND = ("里程碑不存在或无权查看", "Milestone not found")


def get_readable(session: Session, user: User, milestone_id: int) -> Milestone:
    return found(repository.get(session, milestone_id, auth.readable(user)), _NOT_FOUND)


def need_for_party(session: Session, user: User, need_id: int) -> tuple[Need, list[Application]]:
    """The need and its winners, if `user` is a party to it: else 404 (can't see) or 403."""
    need = found(
        needs_repository.get(session, need_id, true()), ("需求不存在或无权查看", "Need not found")
    )
    winners = list(repository.winners(session, need.id))
    visible = needs_repository.get(session, need_id, needs_auth.readable(user)) is not None
    if auth.is_admin(user) and not visible:  # admins never see other people's drafts
        raise NotFound("需求不存在或无权查看", "Need not found")
    if not auth.is_party(user, need, winners):
        if not visible:
            raise NotFound("需求不存在或无权查看", "Need not found")
        raise Forbidden(
            "只有发榜企业、揭榜方和管理员可以查看里程碑与台账",
            "Only the posting enterprise, the winners and admins",
            code="not_a_party",
        )
    return need, winners


def list_for_need(session: Session, user: User, need_id: int) -> list[MilestoneRead]:
    """The milestones of a need the caller is a party to (each winner sees its own)."""
    need, _ = need_for_party(session, user, need_id)
    rows = repository.for_need(session, need.id)
    return [
        presenters.milestone(m, need, user)
        for m in rows
        if auth.sees_application(user, need, m.application)
    ]


def present(session: Session, user: User, m: Milestone) -> MilestoneRead:
    return presenters.milestone(m, needs.need_of(session, m.need_id), user)


def create(session: Session, user: User, need_id: int, data: MilestoneCreate) -> Milestone:
    need, winners = need_for_party(session, user, need_id)
    if not needs_auth.is_owner(user, need):
        raise Forbidden("只有发榜企业可以提出里程碑", "Only the owner proposes", code="not_owner")
    need = _lock_need(session, need.id)
    _need_working(need)
    app = next((a for a in winners if a.id == data.application_id), None)
    if app is None:
        raise BadRequest(
            "该申请不是本需求的揭榜成功方", "Not a winning application", code="not_a_winner"
        )
    _check_due(data.due_date)
    amount = wan_to_yuan(data.amount_wan)
    _check_budget(session, need, app, amount)
    milestone = Milestone(
        need_id=need.id,
        application_id=app.id,
        created_by_id=user.id,
        amount=amount,
        **data.model_dump(include={"name", "due_date", "acceptance_criteria"}),
    )
    session.add(milestone)
    MILESTONE_MACHINE.start(session, milestone, user.id)
    notices.proposed(session, need, milestone, app.org_id, edited=False)
    return _reload(session, milestone.id)


def update(session: Session, user: User, milestone_id: int, data: MilestoneUpdate) -> Milestone:
    milestone = _for_change(session, user, milestone_id)
    need = milestone.need
    if not needs_auth.is_owner(user, need):
        raise Forbidden("只有发榜企业可以修改里程碑", "Only the owner edits", code="not_owner")
    if milestone.status not in EDITABLE_STATES:
        raise InvalidTransition(
            "只有待确认的里程碑可以修改", "Only proposed milestones can be edited"
        )
    _need_working(need)
    check_version(milestone, data.version)
    changes = data.model_dump(mode="python", exclude_unset=True, exclude={"version"})
    refuse_nulls(changes, set())
    if "due_date" in changes:
        _check_due(changes["due_date"])
    if "amount_wan" in changes:
        amount = wan_to_yuan(changes.pop("amount_wan"))
        _check_budget(session, need, milestone.application, amount, exclude=milestone.id)
        changes["amount"] = amount
    for key, value in changes.items():
        setattr(milestone, key, value)
    flush_versioned(session)
    notices.proposed(session, need, milestone, milestone.application.org_id, edited=True)
    return _reload(session, milestone.id)


def transition(
    session: Session, user: User, milestone_id: int, action: str, data: MilestoneActionIn
) -> Milestone:
    """agree / decline / cancel / submit / accept / return / pay: the milestone, its winner
    and its need are read once, the milestone and the need locked."""
    milestone = _for_change(session, user, milestone_id)
    need = milestone.need
    MILESTONE_MACHINE.require(action, user, Work(need, milestone.application))
    check_version(milestone, data.version)
    MILESTONE_MACHINE.check(action, milestone.status)
    if action == "pay":
        if need.status not in PAYABLE_NEED_STATES:
            raise InvalidTransition(
                "需求当前状态不能登记支付", "Need not payable", code="need_not_in_progress"
            )
    else:
        _need_working(need)
    now = datetime.now(UTC)
    changes: dict[str, object] = {}
    reason = data.reason
    if action == "submit":
        note = (data.note or "").strip()
        if not note:
            raise BadRequest(
                "提交成果须填写交付说明", "A delivery note is required", code="note_required"
            )
        reason = note
        changes = {"delivery_note": note, "submitted_at": now}
    elif action in ("decline", "return"):
        changes = {"reason": (reason or "").strip()}
    elif action == "accept":
        changes = {"accepted_at": now}
    elif action == "pay":
        changes = {"paid_at": now}
    MILESTONE_MACHINE.apply(session, milestone, action, user.id, reason, changes)
    with together(session):  # the first agreement's notice and the need's start: one INSERT
        notices.transitioned(session, need, milestone, action)
        if action == "agree" and need.status == NeedStatus.awarded:
            flows.take(session, need, "start", user.id, START_REASON)
    flush_versioned(session)
    return milestone


def _check_budget(
    session: Session, need: Need, app: Application, amount: Decimal, exclude: int | None = None
) -> None:
    """A winner's milestones never exceed its committed amount, the need's never the bounty."""
    committed = app.committed_amount or Decimal(0)
    planned = repository.planned(session, need_id=need.id, application_id=app.id, exclude=exclude)
    if planned + amount > committed:
        raise BadRequest(
            f"超出承诺金额：该揭榜方承诺 {yuan_to_wan(committed)} 万元，已排入里程碑 "
            f"{yuan_to_wan(planned)} 万元，本里程碑最多 {yuan_to_wan(committed - planned)} 万元",
            "Milestones would exceed the winner's committed amount",
            code="amount_exceeds_committed",
        )
    total = repository.planned(session, need_id=need.id, exclude=exclude)
    if total + amount > need.bounty:
        raise BadRequest(
            f"超出悬赏金额：悬赏 {yuan_to_wan(need.bounty)} 万元，已排入里程碑 "
            f"{yuan_to_wan(total)} 万元",
            "Milestones would exceed the bounty",
            code="amount_exceeds_bounty",
        )


def _check_due(due: date) -> None:
    if due < today():
        raise BadRequest(
            "计划完成日期不能早于今天", "Due date is in the past", code="due_date_past"
        )


def _need_working(need: Need) -> None:
    if need.status not in WORKING_NEED_STATES:
        raise InvalidTransition(
            "需求不在揭榜成功或实施中状态，不能办理里程碑",
            "Need is not awarded or in progress",
            code="need_not_in_progress",
        )


def _lock_need(session: Session, need_id: int) -> Need:
    """Lock the need row: milestone writes of one need are serialised (budget checks hold)."""
    return needs.need_of(session, need_id, for_update=True)


def _for_change(session: Session, user: User, milestone_id: int) -> Milestone:
    """The milestone to change with its winner and need, read once, the milestone and the
    need locked, if the caller can see it at all (else 404, not a hint)."""
    return found(repository.for_change(session, milestone_id, auth.readable(user)), _NOT_FOUND)


def _reload(session: Session, milestone_id: int) -> Milestone:
    session.expire_all()
    return found(
        repository.get(session, milestone_id, true()), ("里程碑不存在", "Milestone not found")
    )
