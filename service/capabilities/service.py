"""Capability rules: researchers post and edit, admins review, owners or admins archive."""

from sqlalchemy.orm import Session

from service.capabilities import auth, notices, presenters, repository
from service.capabilities.lifecycle import CAPABILITY_MACHINE, EDITABLE_STATES
from service.capabilities.schemas import (
    CapabilityCreate,
    CapabilityFilter,
    CapabilityRead,
    CapabilityUpdate,
)
from service.engine.jobs import enqueue_embedding
from service.kit.actions import TransitionIn
from service.kit.errors import (
    BadRequest,
    Forbidden,
    InvalidTransition,
    NotAuthenticated,
    found,
)
from service.kit.pagination import Page, PageParams, page_of
from service.kit.versioning import check_version, flush_versioned
from service.models import Capability, User
from service.postings.service import edited_columns, new_posting, review_columns, save_columns
from service.subscriptions import service as subscriptions

MONEY = {"price_min_wan": "price_min", "price_max_wan": "price_max"}
NULLABLE = {"price_min_wan", "price_max_wan", "trl"}

_NOT_FOUND = ("科技成果不存在或无权查看", "Capability not found")


def get_readable(session: Session, user: User | None, cap_id: int) -> Capability:
    return found(repository.get(session, cap_id, auth.readable(user)), _NOT_FOUND)


def list_capabilities(
    session: Session, user: User | None, filters: CapabilityFilter, page: PageParams
) -> Page[CapabilityRead]:
    """The catalogue, or the caller's organisation's own capabilities with `mine`."""
    if filters.mine:
        if user is None or user.org_id is None:
            raise NotAuthenticated("请先登录", "Authentication required")
        filters = filters.model_copy(update={"org_id": user.org_id})
    rows, total = repository.list_page(session, auth.readable(user), filters, page)
    return page_of([presenters.capability(c, user) for c in rows], total, page)


def create(session: Session, user: User, data: CapabilityCreate) -> Capability:
    if user.org_id is None:
        raise Forbidden("账号未归属高校或院所，不能发布成果", "No organisation", code="no_org")
    return found(
        repository.get(session, add_draft(session, user, user.org_id, data)),
        ("科技成果不存在", "Capability not found"),
    )


def add_draft(
    session: Session,
    actor: User,
    org_id: int,
    data: CapabilityCreate,
    external_ref: str | None = None,
) -> int:
    """A new draft of `org_id`: from the web form (its own researchers) or an imported sheet
    row (service/intake, which decides who may import for whom)."""
    posting_id = new_posting(
        session,
        actor,
        Capability,
        CAPABILITY_MACHINE,
        data,
        MONEY,
        org_id=org_id,
        external_ref=external_ref,
    )
    return enqueue_embedding(session, "capability", posting_id)


def replace_draft(session: Session, cap: Capability, data: CapabilityCreate) -> None:
    """Overwrite an editable capability with a whole form (a re-imported row): the rules of
    `update` but the owner check, which service/intake makes for the organisation."""
    if cap.status not in EDITABLE_STATES:
        raise InvalidTransition("只有草稿或被驳回的成果可以修改", "Only drafts or rejected")
    save_columns(session, cap, edited_columns(session, data, MONEY, NULLABLE))
    enqueue_embedding(session, "capability", cap.id)


def update(session: Session, user: User, cap_id: int, data: CapabilityUpdate) -> Capability:
    cap = _for_change(session, user, cap_id)
    if not auth.is_owner(user, cap):
        raise Forbidden("只有成果所属机构可以修改", "Only the owner may edit", code="not_owner")
    if not auth.can_edit(user, cap):
        raise InvalidTransition("只有草稿或被驳回的成果可以修改", "Only drafts or rejected")
    check_version(cap, data.version)
    columns = edited_columns(session, data, MONEY, NULLABLE)
    low = columns.get("price_min", cap.price_min)
    high = columns.get("price_max", cap.price_max)
    if low is not None and high is not None and low > high:
        raise BadRequest("价格下限不能高于上限", "price_min > price_max", code="bad_price_range")
    save_columns(session, cap, columns)
    enqueue_embedding(session, "capability", cap.id)
    if "field_code" in columns:  # the field it shows is the new one
        session.expire(cap, ["field"])
        repository.get(session, cap.id)
    return cap


def transition(
    session: Session, user: User, cap_id: int, action: str, data: TransitionIn
) -> Capability:
    """A user's step (lifecycle.py says who may take which): the row is read once, locked."""
    cap = _for_change(session, user, cap_id)
    CAPABILITY_MACHINE.require(action, user, cap)
    check_version(cap, data.version)
    columns = review_columns(action, data.reason)
    CAPABILITY_MACHINE.apply(session, cap, action, user.id, data.reason, columns)
    flush_versioned(session)
    enqueue_embedding(session, "capability", cap.id)
    notices.reviewed(session, cap, action)
    if action == "approve":
        subscriptions.posting_published(session, cap)
    return cap


def history_allowed(user: User, cap: Capability) -> bool:
    return auth.sees_history(user, cap)


def _for_change(session: Session, user: User, cap_id: int) -> Capability:
    """The capability to change, read once and locked, if the caller can see it (else 404)."""
    return found(repository.get(session, cap_id, auth.readable(user), for_update=True), _NOT_FOUND)
