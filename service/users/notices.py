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
    title = f"您的{Role(user.role).label}账号已通过审核"
    _to_holder(session, user, "account_approved", title, "现在可以使用全部功能。", link="/")


def refused(session: Session, user: User, reason: str) -> None:
    title = f"您的{Role(user.role).label}账号未通过审核"
    _to_holder(session, user, "account_refused", title, f"理由：{reason}")


def password_reset(session: Session, user: User) -> None:
    body = "请用管理员告知的临时密码登录，登录后须立即设置新密码。"
    _to_holder(session, user, "password_reset", "管理员已重置您的密码", body)


def _to_holder(
    session: Session, user: User, kind: str, title: str, body: str, link: str | None = None
) -> None:
    """The account's holder, about the account."""
    notify(session, [user.id], kind, title, body, link=link, obj=("user", user.id))
