"""退订 with one click: the e-mail's signed link works without a session, is idempotent, and a
tampered, foreign or expired link is a clear zh-CN 400."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.kit.security import create_access_token
from service.models import AuditEvent, Subscription, User
from service.models.enums import Role
from service.subscriptions import unsubscribe
from tests.factories import auth, create_user

URL = "/api/v1/subscriptions"
UNSUBSCRIBE = f"{URL}/unsubscribe"


def _subscribe(client, user: User, keywords: list[str]) -> int:
    r = client.post(URL, json={"keywords": keywords}, headers=auth(user))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _status(session: Session, sub_id: int) -> str:
    session.expire_all()
    return session.get(Subscription, sub_id).status  # type: ignore[union-attr]


def test_one_click_without_login_and_idempotent(client, session: Session) -> None:
    fan = create_user(session, Role.researcher)
    first = _subscribe(client, fan, ["热管理"])
    second = _subscribe(client, fan, ["电池"])
    kept = _subscribe(client, fan, ["氢能"])
    token = unsubscribe.token(fan.id, [first, second])
    r = client.post(UNSUBSCRIBE, params={"token": token})  # no Authorization header
    assert r.status_code == 200, r.text
    assert r.json()["subscriptions"] == ["热管理", "电池"]
    assert r.json()["message"].startswith("已退订：热管理、电池。")
    assert (_status(session, first), _status(session, second)) == ("paused", "paused")
    assert _status(session, kept) == "active"
    again = client.post(UNSUBSCRIBE, params={"token": token})
    assert again.status_code == 200 and again.json()["subscriptions"] == ["热管理", "电池"]
    audit = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "subscription", AuditEvent.action == "unsubscribe"
        )
    ).all()
    assert sorted(e.object_id for e in audit) == [first, second]  # once each, by the owner
    assert {(e.actor_id, e.reason) for e in audit} == {(fan.id, "通过邮件链接退订")}
    # a deleted subscription: nothing to do, still a friendly answer
    assert client.delete(f"{URL}/{first}", headers=auth(fan)).status_code == 204
    alone = client.post(UNSUBSCRIBE, params={"token": unsubscribe.token(fan.id, [first])})
    assert alone.status_code == 200 and alone.json()["message"] == "这些订阅已不存在，无需退订"


def test_tampered_foreign_and_expired_links(client, session: Session) -> None:
    fan = create_user(session, Role.researcher)
    other = create_user(session, Role.researcher)
    sub = _subscribe(client, fan, ["热管理"])
    token = unsubscribe.token(fan.id, [sub])
    head, payload, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    for bad in (f"{head}.{payload}.{flipped}", create_access_token(fan.id)[0]):
        r = client.post(UNSUBSCRIBE, params={"token": bad})
        assert r.status_code == 400, r.text
        assert r.json() == {
            "error": "link_invalid",
            "detail": "退订链接无效或已被改动",
            "detail_en": "The link is not valid",
        }
    expired = unsubscribe.token(fan.id, [sub], lifetime=timedelta(seconds=-1))
    r = client.post(UNSUBSCRIBE, params={"token": expired})
    assert r.status_code == 400 and r.json()["error"] == "link_expired"
    assert r.json()["detail"] == "退订链接已过期，请登录后在「我的订阅」中暂停或删除订阅"
    # someone else's link names only their own subscriptions: fan's stays on
    r = client.post(UNSUBSCRIBE, params={"token": unsubscribe.token(other.id, [sub])})
    assert r.status_code == 200 and r.json()["subscriptions"] == []
    assert _status(session, sub) == "active"
    for garbage in ("", "not-a-token", "a.b"):
        r = client.post(UNSUBSCRIBE, params={"token": garbage})
        assert r.status_code == 422 and r.json()["error"] == "validation_error"
    assert client.post(UNSUBSCRIBE).status_code == 422
