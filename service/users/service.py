"""Accounts: sign-up, admin-created users, login."""

from sqlalchemy.orm import Session

from service.kit.db import unique_or
from service.kit.errors import BadRequest, Conflict, NotAuthenticated, NotFound
from service.kit.security import hash_password, verify_password
from service.models import User
from service.models.enums import OrgKind, Role
from service.orgs import service as orgs
from service.orgs.schemas import SELF_SERVICE_KINDS
from service.users import repository
from service.users.schemas import RegisterIn, UserCreate

ROLE_FOR_KIND = {
    OrgKind.enterprise: Role.enterprise,
    OrgKind.university: Role.researcher,
    OrgKind.institute: Role.researcher,
    OrgKind.broker_agency: Role.broker,
}


def _taken() -> Conflict:
    return Conflict("用户名已被占用", "Username taken", code="username_taken")


def _insert(
    session: Session, data: RegisterIn | UserCreate, role: Role, org_id: int | None
) -> User:
    if repository.by_username(session, data.username) is not None:
        raise _taken()
    user = User(
        username=data.username,
        password_hash=hash_password(data.password),
        display_name=data.display_name,
        role=role,
        org_id=org_id,
        email=data.email,
        phone=data.phone,
    )
    with unique_or(session, _taken()):
        session.add(user)
        session.flush()
    return _reload(session, user.id)


def _reload(session: Session, user_id: int) -> User:
    user = repository.by_id(session, user_id)
    if user is None:
        raise NotFound("用户不存在", "User not found")
    return user


def register(session: Session, data: RegisterIn) -> User:
    if data.org.kind not in SELF_SERVICE_KINDS:
        raise BadRequest(
            "政府部门账号由平台管理员开通，不能自助注册",
            "Government accounts are created by an admin",
            code="kind_not_allowed",
        )
    if repository.by_username(session, data.username) is not None:
        raise _taken()
    org = orgs.create(session, data.org)
    return _insert(session, data, ROLE_FOR_KIND[data.org.kind], org.id)


def create(session: Session, data: UserCreate) -> User:
    if data.org_id is not None:
        orgs.get(session, data.org_id)
    elif data.role in (Role.enterprise, Role.researcher, Role.broker):
        raise BadRequest(
            "企业、科研和经纪人账号必须归属一个机构",
            "org_id required for this role",
            code="org_required",
        )
    return _insert(session, data, data.role, data.org_id)


def set_active(session: Session, user_id: int, active: bool) -> User:
    user = _reload(session, user_id)
    user.is_active = active
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    user = repository.by_username(session, username)
    if user is None or not verify_password(user.password_hash, password):
        raise NotAuthenticated(
            "用户名或密码错误", "Wrong username or password", code="invalid_credentials"
        )
    if not user.is_active:
        raise NotAuthenticated(
            "账号已停用，请联系管理员", "Account disabled", code="account_disabled"
        )
    return user


def get(session: Session, user_id: int) -> User:
    return _reload(session, user_id)
