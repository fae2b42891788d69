"""退订 from the e-mail: a signed link (service/kit/security.py) that pauses the subscriptions
it names for their owner, without a session; using it again changes nothing."""

from datetime import timedelta

from sqlalchemy.orm import Session

from service.config import get_settings
from service.kit.errors import BadRequest
from service.kit.security import LinkError, read_link, sign_link
from service.kit.versioning import flush_versioned
from service.models import User
from service.models.enums import SubscriptionStatus
from service.subscriptions import repository
from service.subscriptions.lifecycle import SUBSCRIPTION_MACHINE
from service.subscriptions.schemas import UnsubscribeResult

PURPOSE = "unsubscribe"
LIFETIME = timedelta(days=60)
PAGE = "/unsubscribe"  # the web app's page that calls the API with the token
API = "/api/v1/subscriptions/unsubscribe"  # RFC 8058 one-click (List-Unsubscribe-Post)


class LinkExpired(BadRequest):
    code = "link_expired"


class LinkInvalid(BadRequest):
    code = "link_invalid"


def token(user_id: int, sub_ids: list[int], lifetime: timedelta = LIFETIME) -> str:
    return sign_link(PURPOSE, user_id, {"sids": sorted(sub_ids)}, lifetime)


def page_url(signed: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}{PAGE}?token={signed}"


def api_url(signed: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}{API}?token={signed}"


def unsubscribe(session: Session, signed: str) -> UnsubscribeResult:
    try:
        user_id, claims = read_link(signed, PURPOSE)
    except LinkError as exc:
        if exc.expired:
            raise LinkExpired(
                "退订链接已过期，请登录后在「我的订阅」中暂停或删除订阅",
                "The link has expired",
            ) from exc
        raise LinkInvalid("退订链接无效或已被改动", "The link is not valid") from exc
    sids = claims.get("sids")
    user = session.get(User, user_id)
    if user is None or not isinstance(sids, list) or not all(isinstance(i, int) for i in sids):
        raise LinkInvalid("退订链接无效或已被改动", "The link is not valid")
    subs = repository.of_user(session, user.id, sids)
    for sub in subs:
        if sub.status == SubscriptionStatus.active:
            SUBSCRIPTION_MACHINE.require("unsubscribe", user, sub)
            SUBSCRIPTION_MACHINE.apply(session, sub, "unsubscribe", user.id, "通过邮件链接退订")
    flush_versioned(session)
    names = [s.name for s in subs if s.status != SubscriptionStatus.active]
    if not names:
        return UnsubscribeResult(message="这些订阅已不存在，无需退订", subscriptions=[])
    return UnsubscribeResult(
        message=f"已退订：{'、'.join(names)}。不会再收到相关通知和邮件，可随时在「我的订阅」中恢复。",
        subscriptions=names,
    )
