"""Need rules: who may create, edit and move a need along its lifecycle."""

from sqlalchemy.orm import Session

from service.applications import repository as applications
from service.engine.jobs import enqueue_embedding
from service.kit.actions import TransitionIn
from service.kit.clock import today
from service.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidTransition,
    NotAuthenticated,
    found,
)
from service.kit.pagination import Page, PageParams, page_of
from service.kit.versioning import check_version, flush_versioned
from service.models import Need, User
from service.models.enums import ORG_STAFF_ROLES, Role
from service.needs import auth, flows, notices, presenters, repository
from service.needs.lifecycle import EDITABLE_STATES, NEED_MACHINE
from service.needs.schemas import NeedCreate, NeedFilter, NeedRead, NeedUpdate
from service.postings.service import edited_columns, new_posting, save_columns

_NOT_FOUND = ("需求不存在或无权查看", "Need not found")


def get_readable(session: Session, user: User | None, need_id: int) -> Need:
    return found(repository.get(session, need_id, auth.readable(user)), _NOT_FOUND)


def list_needs(
    session: Session, user: User | None, filters: NeedFilter, page: PageParams
) -> Page[NeedRead]:
    """The board, or the caller's organisation's own needs with `mine` (drafts included)."""
    org = None
    if filters.mine:
        if user is None or user.org_id is None:
            raise NotAuthenticated("请先登录", "Authentication required")
        org = auth.org_filter(user, user.org_id)
    elif filters.org_id is not None:
        org = auth.org_filter(user, filters.org_id)
    rows, total = repository.list_page(session, auth.readable(user), filters, page, org=org)
    won = won_by_caller(session, user, rows)
    items = [presenters.need(n, user, winner=n.id in won) for n in rows]
    return page_of(items, total, page)


def present(session: Session, user: User | None, need: Need) -> NeedRead:
    """One need as the caller may see it (a winner's staff see the contact)."""
    return presenters.need(need, user, winner=bool(won_by_caller(session, user, [need])))


def won_by_caller(session: Session, user: User | None, needs: list[Need]) -> set[int]:
    """The ids among `needs` that the caller's organisation won (lead or consortium member of
    an awarded application): its staff see those as a party, contact included."""
    if user is None or user.org_id is None or user.role not in ORG_STAFF_ROLES:
        return set()
    won = auth.applied_need_ids(user.org_id, won=True)
    return repository.won_among(session, won, [n.id for n in needs])


MONEY = {"bounty_wan": "bounty", "own_investment_wan": "own_investment"}


def create(session: Session, user: User, data: NeedCreate) -> Need:
    if user.org_id is None:
        raise Forbidden("账号未归属企业，不能发布需求", "No organisation", code="no_org")
    return need_of(session, add_draft(session, user, user.org_id, data))


def add_draft(
    session: Session, actor: User, org_id: int, data: NeedCreate, external_ref: str | None = None
) -> int:
    """A new draft of `org_id`: from the web form (its own staff) or an imported sheet row
    (service/intake, which decides who may import for whom)."""
    posting_id = new_posting(
        session, actor, Need, NEED_MACHINE, data, MONEY, org_id=org_id, external_ref=external_ref
    )
    return enqueue_embedding(session, "need", posting_id)


def replace_draft(session: Session, need: Need, data: NeedCreate) -> None:
    """Overwrite an editable need with a whole form (a re-imported row): the rules of `update`
    but the owner check, which service/intake makes for the organisation."""
    if need.status not in EDITABLE_STATES:
        raise InvalidTransition("只有草稿或被驳回的需求可以修改", "Only drafts or rejected needs")
    save_columns(session, need, edited_columns(session, data, MONEY, {"own_investment_wan"}))
    enqueue_embedding(session, "need", need.id)


def update(session: Session, user: User, need_id: int, data: NeedUpdate) -> Need:
    need = _for_change(session, user, need_id)
    if not auth.is_owner(user, need):
        raise Forbidden("只有发布企业可以修改需求", "Only the owner may edit", code="not_owner")
    if not auth.can_edit(user, need):
        raise InvalidTransition("只有草稿或被驳回的需求可以修改", "Only drafts or rejected needs")
    check_version(need, data.version)
    columns = edited_columns(session, data, MONEY, {"own_investment_wan"})
    save_columns(session, need, columns)
    enqueue_embedding(session, "need", need.id)
    if "field_code" in columns:  # the field it shows is the new one
        session.expire(need, ["field"])
        return need_of(session, need.id)
    return need


def transition(session: Session, user: User, need_id: int, action: str, data: TransitionIn) -> Need:
    """A user's step (lifecycle.py says who may take which): the need is read once, locked."""
    need = _for_change(session, user, need_id)
    if action == "terminate" and auth.is_owner(user, need):
        raise Forbidden(
            "终止须由管理员同意并操作，请先提交终止申请",
            "An admin terminates; request termination first",
            code="admin_required",
        )
    NEED_MACHINE.require(action, user, need)
    check_version(need, data.version)
    NEED_MACHINE.check(action, need.status)
    if action in ("submit", "approve") and need.deadline <= today():
        raise InvalidTransition(
            "揭榜截止日期已过，请先修改截止日期", "Deadline has passed", code="deadline_passed"
        )
    if (
        action == "withdraw"
        and user.role != Role.admin
        and applications.count_live(session, need.id)
    ):
        raise Conflict(
            "该需求已有揭榜申请，撤回须由管理员同意并操作",
            "Live applications exist: an admin must withdraw",
            code="has_applications",
        )
    flows.take(session, need, action, user.id, data.reason)
    flush_versioned(session)
    enqueue_embedding(session, "need", need.id)
    return need


def request_termination(session: Session, user: User, need_id: int, reason: str | None) -> Need:
    """The enterprise asks the bureau to terminate: every admin hears about it with the reason."""
    need = _for_change(session, user, need_id)
    if not auth.is_owner(user, need):
        raise Forbidden("只有发榜企业可以申请终止", "Only the owner requests", code="not_owner")
    NEED_MACHINE.check("terminate", need.status)
    reason = (reason or "").strip()
    if not reason:
        raise BadRequest("申请终止必须填写理由", "A reason is required", code="reason_required")
    notices.termination_requested(session, need, reason)
    return need


def history_allowed(user: User, need: Need) -> bool:
    return auth.sees_history(user, need)


def need_of(session: Session, need_id: int, *, for_update: bool = False) -> Need:
    """Any need by id (the caller checked who may see it), locked with `for_update`."""
    return found(
        repository.get(session, need_id, for_update=for_update), ("需求不存在", "Need not found")
    )


def _for_change(session: Session, user: User, need_id: int) -> Need:
    """The need to change, read once and locked, if the caller can see it at all (else 404,
    not a hint)."""
    return found(repository.get(session, need_id, auth.readable(user), for_update=True), _NOT_FOUND)
