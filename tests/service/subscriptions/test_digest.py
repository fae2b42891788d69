"""The e-mail digest, sent to a real SMTP server (aiosmtpd): once per user and period,
listing the new matching postings with links and a signed 退订 link."""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.kit.clock import today
from service.models import SubscriptionDigest, SubscriptionHit, User
from service.models.enums import Role
from service.subscriptions.digests import period_of, send_digests
from tests.factories import auth, create_need, create_user
from tests.service.notifications.test_mail import Inbox, smtp  # noqa: F401 (fixture)

URL = "/api/v1/subscriptions"


def _subscribe(client, user: User, **body) -> int:
    r = client.post(URL, json=body, headers=auth(user))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _publish(client, session: Session, owner: User, title: str, **kw) -> int:
    need = create_need(session, owner, status="submitted", title=title, field_code="nev", **kw)
    admin = create_user(session, Role.admin)
    r = client.post(f"/api/v1/needs/{need.id}/approve", headers=auth(admin))
    assert r.status_code == 200, r.text
    return need.id


def test_daily_digest_once_per_day(client, session: Session, smtp: Inbox) -> None:  # noqa: F811
    owner = create_user(session, Role.enterprise)
    fan = create_user(session, Role.researcher, email="fan@example.cn", display_name="李研究")
    quiet = create_user(session, Role.researcher)  # no e-mail address: no digest
    sub = _subscribe(client, fan, fields=["nev"], keywords=["热管理"], frequency="daily")
    _subscribe(client, fan, keywords=["电池"], frequency="weekly")
    _subscribe(client, quiet, keywords=["热管理"], frequency="daily")
    first = _publish(client, session, owner, "电驱热管理优化")
    second = _publish(client, session, owner, "电池包热管理与液冷板设计")
    withdrawn = _publish(client, session, owner, "热管理需求（已撤回）")
    session.execute(
        SubscriptionHit.__table__.update()
        .where(SubscriptionHit.posting_id == withdrawn)
        .values(posting_id=10**9)  # as if the need were gone from the board
    )
    session.commit()
    smtp.envelopes.clear()
    day = today()

    assert send_digests(session, day) == 0  # today's matches wait for tomorrow's digest
    assert send_digests(session, day + timedelta(days=1)) == 1
    session.commit()
    (message,) = smtp.messages()
    assert smtp.envelopes[0].rcpt_tos == ["fan@example.cn"]
    assert message["Subject"] == f"【揭榜】订阅每日摘要（{day.isoformat()}）：2 条新发布"
    body = message.get_content()
    assert body.startswith("李研究，您好：")
    assert "■ 新能源汽车 + 热管理（技术需求，2 条）" in body
    assert f"· 电驱热管理优化\n    https://jiebang.example/needs/{first}" in body
    assert f"https://jiebang.example/needs/{second}" in body
    assert "已撤回" not in body
    assert "退订此订阅：https://jiebang.example/unsubscribe?token=" in body
    assert "https://jiebang.example/my/subscriptions" in body
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith(
        "<https://jiebang.example/api/v1/subscriptions/unsubscribe?token="
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # re-runs (the same day, the next tick, another worker) send nothing more
    assert send_digests(session, day + timedelta(days=1)) == 0
    session.commit()
    assert len(smtp.messages()) == 1
    digests = select(func.count(SubscriptionDigest.id)).where(SubscriptionDigest.user_id == fan.id)
    assert session.scalar(digests) == 1
    # the weekly subscription's match goes out with the next week's digest
    assert sub
    _, _, end = period_of("weekly", day + timedelta(days=7))
    monday = end.date()
    assert send_digests(session, monday) == 1
    session.commit()
    weekly = smtp.messages()[-1]
    assert (
        "订阅每周摘要" in weekly["Subject"] and "电池包热管理与液冷板设计" in weekly.get_content()
    )
    assert "电驱热管理优化" not in weekly.get_content()
    assert send_digests(session, monday) == 0


def test_a_digest_claimed_by_another_worker_is_not_sent_again(
    client,
    session: Session,
    smtp: Inbox,  # noqa: F811
) -> None:
    owner = create_user(session, Role.enterprise)
    fan = create_user(session, Role.researcher, email="fan2@example.cn")
    _subscribe(client, fan, keywords=["热管理"], frequency="daily")
    _publish(client, session, owner, "热管理需求")
    session.commit()
    smtp.envelopes.clear()
    tomorrow = today() + timedelta(days=1)
    period, _, _ = period_of("daily", tomorrow)
    # the other worker's claim, committed first
    session.add(SubscriptionDigest(user_id=fan.id, frequency="daily", period=period, items=1))
    session.commit()
    assert send_digests(session, tomorrow) == 0
    session.commit()
    assert smtp.messages() == []


def test_paused_subscription_is_left_out(client, session: Session, smtp: Inbox) -> None:  # noqa: F811
    owner = create_user(session, Role.enterprise)
    fan = create_user(session, Role.researcher, email="fan3@example.cn")
    sub = _subscribe(client, fan, keywords=["热管理"], frequency="daily")
    _publish(client, session, owner, "热管理需求")
    assert client.post(f"{URL}/{sub}/pause", headers=auth(fan)).status_code == 200
    session.commit()
    smtp.envelopes.clear()
    assert send_digests(session, today() + timedelta(days=1)) == 0
    session.commit()
    assert smtp.messages() == []


def test_periods() -> None:
    from datetime import date

    wednesday = date(2026, 12, 2)
    assert period_of("daily", wednesday)[:2] == ("2026-12-01", date(2026, 12, 1))
    key, first, end = period_of("weekly", wednesday)
    assert (key, first) == ("2026-W48", date(2026, 11, 23))
    assert end.isoformat() == "2026-11-30T00:00:00+08:00"
    assert period_of("weekly", date(2026, 11, 30))[0] == "2026-W48"
