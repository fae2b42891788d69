"""揭榜 rules: who may apply, edit, withdraw, and how the enterprise shortlists and awards."""

from decimal import Decimal

from sqlalchemy.orm import Session

from service.applications import auth, consortium, notices, presenters, repository
from service.applications.lifecycle import (
    APPLICATION_MACHINE,
    EDITABLE_STATES,
    Case,
    open_for_applications,
)
from service.applications.schemas import (
    ApplicationCreate,
    ApplicationFilter,
    ApplicationRead,
    ApplicationUpdate,
)
from service.capabilities import service as capabilities
from service.kit.actions import TransitionIn
from service.kit.db import unique_or, utcnow
from service.kit.errors import BadRequest, Conflict, Forbidden, InvalidTransition, found
from service.kit.money import wan_to_yuan
from service.kit.pagination import Page, PageParams, page_of
from service.kit.versioning import check_version, flush_versioned, refuse_nulls
from service.models import Application, ApplicationMember, User
from service.models.enums import ApplicationStatus, CooperationMode, MemberStatus, NeedStatus, Role
from service.needs import flows
from service.needs import service as needs

APPLICANT_ROLES = (Role.researcher, Role.enterprise)

_NOT_FOUND = ("揭榜申请不存在或无权查看", "Application not found")

# The form's fields an application stores as given (the others are converted or are rows).
_COPIED = set(ApplicationCreate.model_fields) - {"requested_amount_wan", "lead_share", "members"}


def get_readable(session: Session, user: User, app_id: int) -> Application:
    return found(repository.get(session, app_id, auth.readable(user)), _NOT_FOUND)


def list_applications(
    session: Session, user: User, filters: ApplicationFilter, page: PageParams
) -> Page[ApplicationRead]:
    """The page of applications the caller may read; their needs in one query, not one each."""
    rows, total = repository.list_page(session, auth.readable(user), filters, page)
    needs = repository.needs_of(session, rows)
    return page_of([presenters.application(a, needs[a.need_id], user) for a in rows], total, page)


def present(session: Session, user: User, app: Application) -> ApplicationRead:
    """One application as the caller sees it (its need came with it: repository.get)."""
    return presenters.application(app, app.need, user)


def create(session: Session, user: User, need_id: int, data: ApplicationCreate) -> Application:
    if user.role not in APPLICANT_ROLES or user.org_id is None:
        raise Forbidden(
            "仅高校、院所或企业用户可以揭榜",
            "Only researchers or enterprises apply",
            code="wrong_role",
        )
    need = needs.get_readable(session, user, need_id)
    if need.org_id == user.org_id:
        raise Forbidden("不能揭自己机构发布的榜", "Cannot apply to your own need", code="own_need")
    open_for_applications(need)
    duplicate = Conflict(
        "本机构已有一份有效的揭榜申请，可修改或撤回后重新提交",
        "Your organisation already has a live application",
        code="duplicate_application",
    )
    if repository.live_for_org(session, need.id, user.org_id) is not None:
        raise duplicate
    consortium.check_members(session, need, user.org_id, data.lead_share, data.members)
    if data.capability_id is not None:
        cap = capabilities.get_readable(session, user, data.capability_id)
        if cap.org_id not in {user.org_id, *(m.org_id for m in data.members)}:
            raise BadRequest(
                "只能关联本机构或联合体成员的科技成果",
                "Linked capability must belong to the applicants",
                code="foreign_capability",
            )
    app = Application(
        need_id=need.id,
        org_id=user.org_id,
        created_by_id=user.id,
        requested_amount=wan_to_yuan(data.requested_amount_wan),
        **data.model_dump(include=_COPIED),
        members=[
            ApplicationMember(
                org_id=user.org_id,
                share=data.lead_share,
                is_lead=True,
                status=MemberStatus.confirmed,
                decided_at=utcnow(),
                decided_by_id=user.id,
            )
        ]
        + [
            ApplicationMember(org_id=m.org_id, share=m.share, status=MemberStatus.invited)
            for m in data.members
        ],
    )
    with unique_or(session, duplicate):  # uq_applications_live decides a race
        session.add(app)
        consortium.start(session, user, app)
    app = get_readable(session, user, app.id)  # with its lead, members and need loaded
    consortium.announce(session, app, need)
    return app


def update(session: Session, user: User, app_id: int, data: ApplicationUpdate) -> Application:
    app = _for_change(session, user, app_id)
    if not auth.is_applicant(user, app):
        raise Forbidden("只有申请单位可以修改申请", "Only the applicant may edit", code="not_owner")
    if app.status not in EDITABLE_STATES:
        raise InvalidTransition("申请已进入评审，不能再修改", "Application no longer editable")
    open_for_applications(app.need)
    check_version(app, data.version)
    changes = data.model_dump(mode="python", exclude_unset=True, exclude={"version"})
    refuse_nulls(changes, set())
    if "requested_amount_wan" in changes:
        changes["requested_amount"] = wan_to_yuan(changes.pop("requested_amount_wan"))
    for key, value in changes.items():
        setattr(app, key, value)
    flush_versioned(session)
    return app


def transition(
    session: Session, user: User, app_id: int, action: str, data: TransitionIn
) -> Application:
    """shortlist / reject / withdraw (award has its own rules below): the application and its
    need are read once, the application locked."""
    app = _for_change(session, user, app_id)
    need = app.need
    APPLICATION_MACHINE.require(action, user, Case(app, need))
    check_version(app, data.version)
    forming = app.status == ApplicationStatus.forming
    rejected = {"reject_reason": (data.reason or "").strip()} if action == "reject" else None
    APPLICATION_MACHINE.apply(session, app, action, user.id, data.reason, rejected)
    flush_versioned(session)
    if forming:  # the enterprise never saw it; the invited members stop waiting
        notices.withdrawn_while_forming(session, app, need)
    else:
        notices.transitioned(session, app, need, action)
    return app


def decide_membership(
    session: Session,
    user: User,
    app_id: int,
    action: str,
    reason: str | None = None,
    version: int | None = None,
) -> Application:
    """A member organisation confirms (`confirm`) or declines (`decline`) the consortium."""
    app = _for_change(session, user, app_id)
    check_version(app, version)
    consortium.decide(session, user, app, app.need, action, reason)
    flush_versioned(session)
    return app


def award(
    session: Session,
    user: User,
    app_id: int,
    amount_wan: Decimal | None,
    version: int | None = None,
) -> Application:
    """Award the application and commit bounty to it.

    The need row is locked (and its version bumped) so two simultaneous awards of a
    single-winner need cannot both succeed; 联合攻关 needs may award several applications
    while the committed total stays within the bounty.
    """
    app = _for_change(session, user, app_id, lock_need=True)
    need = app.need
    APPLICATION_MACHINE.require("award", user, Case(app, need))
    check_version(app, version)
    joint = need.cooperation_mode == CooperationMode.joint_research
    if need.status == NeedStatus.awarded and not joint:
        raise Conflict("该需求已确定揭榜方", "Already awarded", code="already_awarded")
    if need.status not in (NeedStatus.published, NeedStatus.under_review, NeedStatus.awarded):
        raise InvalidTransition("该需求当前不能确定揭榜方", "Need cannot be awarded now")
    # Only an awarded need has awarded applications (the first award moves it there).
    awarded = need.status == NeedStatus.awarded
    remaining = need.bounty - (repository.committed_total(session, need.id) if awarded else 0)
    amount = wan_to_yuan(amount_wan) if amount_wan is not None else remaining
    if amount <= 0 or amount > remaining:
        raise BadRequest(
            f"授予金额须大于 0 且不超过悬赏余额 {remaining / 10000:f} 万元",
            "Amount must be within the remaining bounty",
            code="amount_exceeds_bounty",
        )
    APPLICATION_MACHINE.apply(session, app, "award", user.id, changes={"committed_amount": amount})
    flows.award(session, need, user.id)
    flush_versioned(session)
    notices.awarded(session, app, need)
    return app


def _for_change(
    session: Session, user: User, app_id: int, *, lock_need: bool = False
) -> Application:
    """The application to change with its need, read once and locked (the need too with
    `lock_need`), if the caller can see it at all (else 404, not a hint)."""
    return found(
        repository.get(session, app_id, auth.readable(user), for_update=True, lock_need=lock_need),
        _NOT_FOUND,
    )
