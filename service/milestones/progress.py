"""The need after its award: start (实施), completion (验收) and termination."""

from sqlalchemy.orm import Session

from service.kit.errors import BadRequest, Forbidden, InvalidTransition, NotFound
from service.kit.versioning import flush_versioned
from service.milestones import repository
from service.milestones.lifecycle import DONE_STATES, LIVE_STATES, MILESTONE_MACHINE
from service.milestones.notices import announce
from service.milestones.service import need_for_party
from service.models import Application, Need, User
from service.needs import auth as needs_auth
from service.needs import repository as needs_repository
from service.needs.lifecycle import NEED_MACHINE
from service.notifications.service import notify_admins

_MESSAGES = {
    "start": ("need_started", "进入实施阶段"),
    "complete": ("need_completed", "已通过验收，项目完成"),
    "terminate": ("need_terminated", "已终止"),
}


def transition(
    session: Session, user: User, need_id: int, action: str, reason: str | None = None
) -> Need:
    """start / complete / terminate, by the roles of needs/auth.py, from the machine's states."""
    need, _ = need_for_party(session, user, need_id)
    if action == "terminate" and needs_auth.is_owner(user, need):
        raise Forbidden(
            "终止须由管理员同意并操作，请先提交终止申请",
            "An admin terminates; request termination first",
            code="admin_required",
        )
    if not needs_auth.may(user, need, action):
        raise Forbidden("你无权对该需求执行此操作", "Not allowed for your role", code="not_allowed")
    need = _lock(session, need.id)
    NEED_MACHINE.check(action, need.status)
    winners = list(repository.winners(session, need.id))
    if action == "complete":
        _check_all_accepted(session, need, winners)
    NEED_MACHINE.apply(session, need, action, user.id, reason)
    if action == "terminate":
        for m in repository.for_need(session, need.id):
            if "void" in MILESTONE_MACHINE.allowed_actions(m.status):
                MILESTONE_MACHINE.apply(session, m, "void", user.id, reason)
    flush_versioned(session)
    kind, what = _MESSAGES[action]
    body = f"理由：{reason.strip()}" if action == "terminate" and reason else ""
    announce(session, need, winners, kind, f"「{need.title}」{what}", body)
    return need


def request_termination(session: Session, user: User, need_id: int, reason: str | None) -> Need:
    """The enterprise asks the bureau to terminate: every admin hears about it with the reason."""
    need, _ = need_for_party(session, user, need_id)
    if not needs_auth.is_owner(user, need):
        raise Forbidden("只有发榜企业可以申请终止", "Only the owner requests", code="not_owner")
    NEED_MACHINE.check("terminate", need.status)
    reason = (reason or "").strip()
    if not reason:
        raise BadRequest("申请终止必须填写理由", "A reason is required", code="reason_required")
    notify_admins(
        session,
        "termination_requested",
        f"发榜企业申请终止「{need.title}」",
        f"理由：{reason}",
        link=f"/needs/{need.id}",
        obj=("need", need.id),
    )
    return need


def _check_all_accepted(session: Session, need: Need, winners: list[Application]) -> None:
    milestones = [m for m in repository.for_need(session, need.id) if m.status in LIVE_STATES]
    open_ = [m.name for m in milestones if m.status not in DONE_STATES]
    if open_:
        raise InvalidTransition(
            f"还有未验收的里程碑：{'、'.join(open_[:5])}",
            "All milestones must be accepted first",
            code="milestones_open",
        )
    done = {m.application_id for m in milestones}
    missing = [a.org.name for a in winners if a.id not in done]
    if missing:
        raise InvalidTransition(
            f"揭榜方尚无已验收的里程碑：{'、'.join(missing)}",
            "Every winner needs an accepted milestone",
            code="milestones_open",
        )


def _lock(session: Session, need_id: int) -> Need:
    need = needs_repository.get_for_update(session, need_id)
    if need is None:
        raise NotFound("需求不存在", "Need not found")
    return need
