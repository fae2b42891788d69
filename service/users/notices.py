"""Who hears about an account: the admins when a self-registered account waits for approval,
the account's holder when it is approved or refused, or an admin resets its password."""

from sqlalchemy.orm import Session

from service.models import User
from service.models.enums import Role
from service.notifications.service import notify, notify_admins


def pending(session: Session, user: User, org_name: str) -> None:
    notify_admins(
        session,
        "account_pending",
        f"{Role(user.role).label}账号「{user.display_name}」（{org_name}）待审核",
        "自助注册的账号在审核通过前只能浏览公开信息。请在用户管理中审核。",
        link="/admin/users?status=pending",
        obj=("user", user.id),
    )


def approved(session: Session, user: User) -> None:
    notify(
        session,
        [user.id],
        "account_approved",
        f"您的{Role(user.role).label}账号已通过审核",
        "现在可以使用全部功能。",
        link="/",
        obj=("user", user.id),
    )


def refused(session: Session, user: User, reason: str) -> None:
    notify(
        session,
        [user.id],
        "account_refused",
        f"您的{Role(user.role).label}账号未通过审核",
        f"理由：{reason}",
        obj=("user", user.id),
    )


def password_reset(session: Session, user: User) -> None:
    notify(
        session,
        [user.id],
        "password_reset",
        "管理员已重置您的密码",
        "请用管理员告知的临时密码登录，登录后须立即设置新密码。",
        obj=("user", user.id),
    )
