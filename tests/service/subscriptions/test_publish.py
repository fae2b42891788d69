"""A posting published (approved by an admin) reaches the matching subscriptions in-app: once
per subscription and posting, once per user and posting, at most MAX_NOTICES_PER_DAY a day."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Notification, Organization, SubscriptionHit, User
from service.models.enums import OrgKind, Role
from service.subscriptions.service import MAX_NOTICES_PER_DAY
from tests.factories import auth, create_capability, create_need, create_org, create_user
from tests.service.notifications.test_mail import Inbox, smtp  # noqa: F401 (fixture)

URL = "/api/v1/subscriptions"
KIND = "subscription_match"


def _subscribe(client, user: User, **body) -> int:
    r = client.post(URL, json=body, headers=auth(user))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _approve(client, session: Session, kind: str, posting_id: int) -> None:
    admin = create_user(session, Role.admin)
    r = client.post(f"/api/v1/{kind}/{posting_id}/approve", headers=auth(admin))
    assert r.status_code == 200, r.text


def _notices(session: Session, user: User) -> list[tuple[str, str | None]]:
    rows = session.execute(
        select(Notification.title, Notification.link)
        .where(Notification.user_id == user.id, Notification.kind == KIND)
        .order_by(Notification.id)
    )
    return [(t, link) for t, link in rows]


def _need(session: Session, owner: User, **kw) -> int:
    values = {
        "title": "电驱总成热管理系统优化",
        "problem": "电机与电控在高负荷下温升过快。",
        "key_difficulty": "油冷回路与ＢＭＳ协同的热管理策略。",
        "field_code": "nev",
        "status": "submitted",
    }
    return create_need(session, owner, **{**values, **kw}).id


def test_a_published_need_reaches_matching_subscribers(client, session: Session, smtp) -> None:  # noqa: F811
    owner = create_user(session, Role.enterprise, email="owner@example.com")
    fan = create_user(session, Role.researcher, email="fan@example.com")
    wide = create_user(session, Role.researcher)  # keywords only, any field
    other_field = create_user(session, Role.researcher)
    missing_word = create_user(session, Role.researcher)
    broker = create_user(session, Role.broker)
    colleague = create_user(
        session, Role.enterprise, org=session.get(Organization, owner.org_id)
    )  # enterprises follow capabilities: never hears of needs
    _subscribe(client, fan, fields=["nev"], keywords=["热管理"])
    _subscribe(client, wide, keywords=["bms", "油冷"])  # case and width do not matter
    _subscribe(client, other_field, fields=["display"], keywords=["热管理"])
    _subscribe(client, missing_word, fields=["nev"], keywords=["热管理", "氢燃料"])
    _subscribe(client, broker, side="need", fields=["nev", "display"])
    _subscribe(client, colleague, keywords=["热管理"])
    need_id = _need(session, owner)
    _approve(client, session, "needs", need_id)

    expected = [
        (
            "您订阅的「新能源汽车 + 热管理」有新技术需求：电驱总成热管理系统优化",
            f"/needs/{need_id}",
        )
    ]
    assert _notices(session, fan) == expected
    assert _notices(session, wide) == [
        ("您订阅的「bms + 油冷」有新技术需求：电驱总成热管理系统优化", f"/needs/{need_id}")
    ]
    assert len(_notices(session, broker)) == 1
    for user in (other_field, missing_word, colleague, owner):
        assert _notices(session, user) == []
    # in-app only: the only e-mail is the owner's 审核通过 (subscribers get the digest)
    assert [m["To"].addresses[0].addr_spec for m in smtp.messages()] == ["owner@example.com"]


def test_brokers_only_and_own_organisation(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    researcher = create_user(session, Role.researcher)
    broker = create_user(session, Role.broker)
    own_broker = create_user(session, Role.broker, org=session.get(Organization, owner.org_id))
    for user in (researcher, broker, own_broker):
        _subscribe(client, user, keywords=["热管理"])
    _approve(client, session, "needs", _need(session, owner, visibility="brokers_only"))
    assert _notices(session, researcher) == [] and _notices(session, own_broker) == []
    assert len(_notices(session, broker)) == 1


def test_paused_subscriptions_and_other_postings_stay_silent(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    fan = create_user(session, Role.researcher)
    paused = _subscribe(client, fan, keywords=["热管理"])
    assert client.post(f"{URL}/{paused}/pause", headers=auth(fan)).status_code == 200
    _approve(client, session, "needs", _need(session, owner))
    _approve(client, session, "needs", _need(session, owner, title="无关需求", key_difficulty="无"))
    assert _notices(session, fan) == []


def test_a_published_capability_reaches_enterprises_and_brokers(client, session: Session) -> None:
    lab = create_org(session, OrgKind.university)
    researcher = create_user(session, Role.researcher, org=lab)
    enterprise = create_user(session, Role.enterprise)
    broker = create_user(session, Role.broker)
    need_follower = create_user(session, Role.researcher)
    _subscribe(client, enterprise, keywords=["原子层沉积"])
    _subscribe(client, broker, side="capability", fields=["new_materials"])
    _subscribe(client, broker, side="need", fields=["new_materials"])
    _subscribe(client, need_follower, fields=["new_materials"])
    cap = create_capability(
        session,
        researcher,
        status="submitted",
        title="原子层沉积阻隔膜",
        field_code="new_materials",
    )
    _approve(client, session, "capabilities", cap.id)
    title = f"您订阅的「原子层沉积」有新科技成果：{cap.title}"
    assert _notices(session, enterprise) == [(title, f"/capabilities/{cap.id}")]
    assert len(_notices(session, broker)) == 1  # the capability subscription only
    assert _notices(session, need_follower) == []


def test_once_per_user_and_posting_and_capped_per_day(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    fan = create_user(session, Role.researcher)
    _subscribe(client, fan, keywords=["热管理"])
    _subscribe(client, fan, fields=["nev"])
    first = _need(session, owner)
    _approve(client, session, "needs", first)
    hits = session.scalar(
        select(func.count(SubscriptionHit.id)).where(SubscriptionHit.user_id == fan.id)
    )
    assert hits == 2 and len(_notices(session, fan)) == 1  # two hits, one notification
    for n in range(MAX_NOTICES_PER_DAY + 2):
        _approve(client, session, "needs", _need(session, owner, title=f"热管理需求 {n}"))
    assert len(_notices(session, fan)) == MAX_NOTICES_PER_DAY  # the flood is capped
    notified = select(func.count(SubscriptionHit.id)).where(
        SubscriptionHit.user_id == fan.id, SubscriptionHit.notified.is_(True)
    )
    assert session.scalar(notified) == MAX_NOTICES_PER_DAY
    total = select(func.count(SubscriptionHit.id)).where(SubscriptionHit.user_id == fan.id)
    assert session.scalar(total) == 2 * (MAX_NOTICES_PER_DAY + 3)  # all wait for the digest
