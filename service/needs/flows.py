"""Every move of a need's status, whoever causes it: the need's own routes (service.py),
the award of an application (applications/), the first agreed milestone (milestones/) and
the deadlines (tick/). Each step runs its checks, the move (audited) and what follows in
other domains, looked up by action: the need's status changes only here.

The caller holds the need locked and checked who may act; the request's flush writes it.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from service.applications import consortium
from service.kit.errors import InvalidTransition
from service.milestones import repository as milestones
from service.milestones.lifecycle import DONE_STATES, MILESTONE_MACHINE
from service.milestones.notices import announce
from service.models import Need
from service.models.enums import NeedStatus
from service.needs import clarity, notices
from service.needs.lifecycle import NEED_MACHINE
from service.postings.service import review_columns
from service.subscriptions import service as subscriptions

Effect = Callable[[Session, Need, int | None, str | None], None]


def take(
    session: Session, need: Need, action: str, actor_id: int | None, reason: str | None = None
) -> None:
    """Move `need` along `action` with the step's checks before and its effects after."""
    NEED_MACHINE.check(action, need.status)
    check = _CHECKS.get(action)
    if check is not None:
        check(session, need)
    NEED_MACHINE.apply(session, need, action, actor_id, reason, review_columns(action, reason))
    effect = _EFFECTS.get(action)
    if effect is not None:
        effect(session, need, actor_id, reason)


def award(session: Session, need: Need, actor_id: int) -> None:
    """An application was awarded: the need is awarded, or (联合攻关, already awarded) its
    version moves so that concurrent awards of one need collide."""
    if need.status != NeedStatus.awarded:
        take(session, need, "award", actor_id)
    else:
        need.updated_at = datetime.now(UTC)


def _all_accepted(session: Session, need: Need) -> None:
    """验收 needs every live milestone accepted, and one at least for every winner."""
    rows = milestones.progress(session, need.id)
    open_ = [name for _, name, status in rows if name and status not in DONE_STATES]
    if open_:
        raise InvalidTransition(
            f"还有未验收的里程碑：{'、'.join(open_[:5])}",
            "All milestones must be accepted first",
            code="milestones_open",
        )
    missing = [org for org, name, _ in rows if name is None]
    if missing:
        raise InvalidTransition(
            f"揭榜方尚无已验收的里程碑：{'、'.join(missing)}",
            "Every winner needs an accepted milestone",
            code="milestones_open",
        )


def _reviewed(action: str) -> Effect:
    """The admins hear of a submitted need, the posting organisation of the bureau's review."""
    return lambda session, need, actor_id, reason: notices.reviewed(session, need, action)


def _submitted(session: Session, need: Need, actor_id: int | None, reason: str | None) -> None:
    """The 明确度 of the need as submitted is kept for the review; the admins hear of it."""
    clarity.stamp(session, need)
    notices.reviewed(session, need, "submit")


def _approved(session: Session, need: Need, actor_id: int | None, reason: str | None) -> None:
    """The posting organisation hears of the review; subscribers of matching searches too."""
    notices.reviewed(session, need, "approve")
    subscriptions.posting_published(session, need)


def _withdrawn(session: Session, need: Need, actor_id: int | None, reason: str | None) -> None:
    """A consortium still forming can never count now."""
    consortium.dissolve_unformed(session, need, consortium.WITHDRAWN_REASON, actor_id)


def _closed(session: Session, need: Need, actor_id: int | None, reason: str | None) -> None:
    """A consortium application still waiting for its members never formed."""
    consortium.dissolve_unformed(session, need)


def _terminated(session: Session, need: Need, actor_id: int | None, reason: str | None) -> None:
    """Termination voids the work not yet accepted; accepted work stays owed."""
    voidable = MILESTONE_MACHINE.transitions["void"].sources
    for m in milestones.in_states(session, need.id, voidable):
        MILESTONE_MACHINE.apply(session, m, "void", actor_id, reason)
    _terminated_told(session, need, actor_id, reason)


def _told(kind: str, what: str) -> Effect:
    """The posting enterprise and every winning organisation hear of the step."""

    def tell(session: Session, need: Need, actor_id: int | None, reason: str | None) -> None:
        body = f"理由：{reason.strip()}" if reason and kind == "need_terminated" else ""
        announce(session, need, kind, f"「{need.title}」{what}", body)

    return tell


_terminated_told = _told("need_terminated", "已终止")
_CHECKS: dict[str, Callable[[Session, Need], None]] = {"complete": _all_accepted}
_EFFECTS: dict[str, Effect] = {
    "submit": _submitted,
    "approve": _approved,
    "reject": _reviewed("reject"),
    "withdraw": _withdrawn,
    "close_applications": _closed,
    "start": _told("need_started", "进入实施阶段"),
    "complete": _told("need_completed", "已通过验收，项目完成"),
    "terminate": _terminated,
}
