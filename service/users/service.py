"""Accounts: sign-up (pending approval for curating roles), admin-created users, approval."""

from sqlalchemy.orm import Session

from service.kit.db import unique_or
from service.kit.errors import BadRequest, Conflict, found
from service.kit.pagination import Page, PageParams, page_of
from service.kit.security import hash_password
from service.models import User
from service.models.enums import OrgKind, Role
from service.orgs import service as orgs
from service.orgs.schemas import SELF_SERVICE_KINDS
from service.users import notices, repository
from service.users.lifecycle import ACCOUNT_MACHINE, APPROVAL_ROLES
from service.users.schemas import RegisterIn, UserCreate, UserFilter, UserRead

ROLE_FOR_KIND = {
    OrgKind.enterprise: Role.enterprise,
    OrgKind.university: Role.researcher,
    OrgKind.institute: Role.researcher,
    OrgKind.broker_agency: Role.broker,
}


def _taken() -> Conflict:
    return Conflict(
        "用户名已被占用（不区分大小写和全角半角）", "Username taken", code="username_taken"
    )


def _check_username(session: Session, username: str) -> None:
    if repository.by_username(session, username) is not None:
        raise _taken()


def _insert(
    session: Session,
    data: RegisterIn | UserCreate,
    role: Role,
    org_id: int | None,
    *,
    actor_id: int | None,
    action: str,
) -> User:
    _check_username(session, data.username)
    user = User(
        username=data.username,
        password_hash=hash_password(data.password),
        display_name=data.display_name,
        role=role,
        org_id=org_id,
        email=data.email,
        phone=data.phone,
    )
    with unique_or(session, _taken()):  # the unique index decides a race
        session.add(user)
        ACCOUNT_MACHINE.start(session, user, actor_id, action)
    return _reload(session, user.id)


def _reload(session: Session, user_id: int) -> User:
    return found(repository.by_id(session, user_id), ("用户不存在", "User not found"))


def register(session: Session, data: RegisterIn) -> User:
    """Self-service sign-up. A role that sees contacts or curates starts pending: the account
    sees what the public sees until an admin approves it."""
    if data.org.kind not in SELF_SERVICE_KINDS:
        raise BadRequest(
            "政府部门账号由平台管理员开通，不能自助注册",
            "Government accounts are created by an admin",
            code="kind_not_allowed",
        )
    _check_username(session, data.username)
    org = orgs.create(session, data.org)
    role = ROLE_FOR_KIND[data.org.kind]
    if role not in APPROVAL_ROLES:
        return _insert(session, data, role, org.id, actor_id=None, action="register_active")
    user = _insert(session, data, role, org.id, actor_id=None, action="register")
    notices.pending(session, user, org.name)
    return user


def create(session: Session, data: UserCreate, actor_id: int | None = None) -> User:
    """An admin opens an account of any role (active at once)."""
    if data.org_id is not None:
        orgs.get(session, data.org_id)
    elif data.role in (Role.enterprise, Role.researcher, Role.broker):
        raise BadRequest(
            "企业、科研和经纪人账号必须归属一个机构",
            "org_id required for this role",
            code="org_required",
        )
    return _insert(session, data, data.role, data.org_id, actor_id=actor_id, action="create")


def set_active(session: Session, user_id: int, active: bool) -> User:
    user = _reload(session, user_id)
    if user.is_active and not active:
        user.token_version += 1  # a disabled account's tokens die with it
    user.is_active = active
    session.flush()
    return user


def approve(session: Session, admin: User, user_id: int) -> User:
    user = _reload(session, user_id)
    ACCOUNT_MACHINE.apply(session, user, "approve", admin.id)
    session.flush()
    notices.approved(session, user)
    return user


def refuse(session: Session, admin: User, user_id: int, reason: str) -> User:
    user = _reload(session, user_id)
    ACCOUNT_MACHINE.apply(
        session, user, "refuse", admin.id, reason, changes={"token_version": user.token_version + 1}
    )
    session.flush()
    notices.refused(session, user, reason)
    return user


def list_users(session: Session, filters: UserFilter, page: PageParams) -> Page[UserRead]:
    rows, total = repository.list_page(session, filters, page)
    return page_of([UserRead.model_validate(u) for u in rows], total, page)


def get(session: Session, user_id: int) -> User:
    return _reload(session, user_id)
