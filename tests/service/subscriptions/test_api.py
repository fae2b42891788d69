"""Subscriptions over HTTP: who may follow what, the lifecycle, and every refusal."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AuditEvent
from service.models.enums import Role
from service.subscriptions.service import MAX_SUBSCRIPTIONS
from tests.factories import auth, create_user

URL = "/api/v1/subscriptions"
NEV = {"fields": ["nev"], "keywords": ["热管理"]}


def test_each_role_follows_its_side(client, session: Session) -> None:
    researcher = create_user(session, Role.researcher)
    r = client.post(URL, json={**NEV, "frequency": "daily"}, headers=auth(researcher))
    assert r.status_code == 201, r.text
    sub = r.json()
    assert (sub["name"], sub["side"], sub["side_label"]) == (
        "新能源汽车 + 热管理",
        "need",
        "技术需求",
    )
    assert (sub["frequency_label"], sub["status_label"], sub["kind_label"]) == (
        "每日",
        "订阅中",
        "领域与关键词",
    )
    assert sub["field_names"] == ["新能源汽车"] and sub["actions"] == ["pause"]

    enterprise = create_user(session, Role.enterprise)
    r = client.post(URL, json={"keywords": ["激光雷达", "ＬＩＤＡＲ"]}, headers=auth(enterprise))
    assert r.status_code == 201, r.text
    assert (r.json()["side"], r.json()["frequency"]) == ("capability", "weekly")

    broker = create_user(session, Role.broker)
    for side in ("need", "capability"):
        r = client.post(URL, json={**NEV, "side": side}, headers=auth(broker))
        assert r.status_code == 201 and r.json()["side"] == side

    r = client.post(URL, json={"kind": "recommended"}, headers=auth(researcher))
    assert r.status_code == 201, r.text
    assert (r.json()["name"], r.json()["kind_label"]) == ("为我推荐", "为我推荐")

    listed = client.get(URL, headers=auth(researcher)).json()
    assert [s["name"] for s in listed["items"]] == ["为我推荐", "新能源汽车 + 热管理"]
    assert client.get(URL, headers=auth(broker)).json()["total"] == 2


def test_refusals_by_role_and_side(client, session: Session) -> None:
    assert client.post(URL, json=NEV).status_code == 401
    assert client.get(URL).status_code == 401
    for role in (Role.expert, Role.admin):
        user = create_user(session, role)
        r = client.post(URL, json=NEV, headers=auth(user))
        assert r.status_code == 403, role
        assert r.json()["detail"] == "只有科研人员、企业用户和技术经纪人可以订阅"
        assert client.get(URL, headers=auth(user)).status_code == 403
    researcher = create_user(session, Role.researcher)
    r = client.post(URL, json={**NEV, "side": "capability"}, headers=auth(researcher))
    assert r.status_code == 400 and r.json()["detail"] == "科研人员不能订阅科技成果"
    enterprise = create_user(session, Role.enterprise)
    r = client.post(URL, json={**NEV, "side": "need"}, headers=auth(enterprise))
    assert r.status_code == 400 and r.json()["error"] == "side_not_allowed"
    for user in (enterprise, create_user(session, Role.broker)):
        r = client.post(URL, json={"kind": "recommended", "side": "need"}, headers=auth(user))
        assert r.status_code == 400 and "只对科研人员开放" in r.json()["detail"]


def test_bad_input_is_a_422_in_chinese(client, session: Session) -> None:
    user = create_user(session, Role.researcher)
    cases = [
        ({}, "请至少选择一个领域或填写一个关键词"),
        ({"fields": [], "keywords": []}, "请至少选择一个领域或填写一个关键词"),
        ({"keywords": ["a", "b", "c", "d", "e", "f"]}, "最多 5 项"),
        ({"keywords": ["热管理\n"]}, None),
        ({"keywords": ["热\x00管理"]}, "不能包含换行、制表符等控制字符"),
        ({"keywords": ["很" * 21]}, "长度不能超过 20 个字符"),
        ({"keywords": [" "]}, "长度不能少于 1 个字符"),
        ({**NEV, "frequency": "hourly"}, None),
        ({**NEV, "side": "both"}, None),
        ({**NEV, "colour": "red"}, None),
        ({"kind": "recommended", "keywords": ["热管理"]}, "「为我推荐」订阅不需要领域和关键词"),
    ]
    for body, message in cases:
        r = client.post(URL, json=body, headers=auth(user))
        if body == {"keywords": ["热管理\n"]}:  # stripped first: a fine keyword
            assert r.status_code == 201, r.text
            continue
        assert r.status_code == 422, (body, r.text)
        answer = r.json()
        assert answer["error"] == "validation_error" and answer["detail"], body
        if message:
            assert message in answer["detail"], (body, answer)
    r = client.post(URL, json={"fields": ["no_such_field"]}, headers=auth(user))
    assert r.status_code == 400 and r.json()["detail"] == "未知的领域：no_such_field"
    r = client.patch(f"{URL}/1", json={"frequency": "daily"}, headers=auth(user))
    assert r.status_code == 422  # version required


def test_pause_resume_frequency_delete_audited(client, session: Session) -> None:
    user = create_user(session, Role.researcher)
    sub = client.post(URL, json=NEV, headers=auth(user)).json()
    url = f"{URL}/{sub['id']}"
    r = client.post(f"{url}/pause", headers=auth(user))
    assert r.status_code == 200 and r.json()["status"] == "paused"
    assert r.json()["actions"] == ["resume"]
    r = client.post(f"{url}/pause", headers=auth(user))
    assert r.status_code == 409 and "已暂停" in r.json()["detail"]
    version = client.post(f"{url}/resume", headers=auth(user)).json()["version"]
    r = client.patch(url, json={"version": version, "frequency": "daily"}, headers=auth(user))
    assert r.status_code == 200 and r.json()["frequency"] == "daily"
    r = client.patch(url, json={"version": version, "frequency": "weekly"}, headers=auth(user))
    assert r.status_code == 409 and r.json()["error"] == "stale_version"
    assert client.delete(url, headers=auth(user)).status_code == 204
    assert client.get(url, headers=auth(user)).status_code == 404
    assert client.delete(url, headers=auth(user)).status_code == 404
    assert client.get(URL, headers=auth(user)).json()["total"] == 0
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "subscription", AuditEvent.object_id == sub["id"])
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "pause", "resume", "delete"]


def test_another_users_subscription_is_a_404(client, session: Session) -> None:
    owner = create_user(session, Role.broker)
    sub = client.post(URL, json=NEV, headers=auth(owner)).json()
    url = f"{URL}/{sub['id']}"
    for other in (create_user(session, Role.broker), create_user(session, Role.researcher)):
        assert client.get(url, headers=auth(other)).status_code == 404
        assert client.post(f"{url}/pause", headers=auth(other)).status_code == 404
        body = {"version": 1, "frequency": "daily"}
        assert client.patch(url, json=body, headers=auth(other)).status_code == 404
        r = client.delete(url, headers=auth(other))
        assert r.status_code == 404 and r.json()["detail"] == "订阅不存在"
    for role in (Role.admin, Role.expert):
        assert client.get(url, headers=auth(create_user(session, role))).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get(url, headers=auth(owner)).json()["status"] == "active"


def test_at_most_so_many_subscriptions(client, session: Session) -> None:
    user = create_user(session, Role.enterprise)
    for n in range(MAX_SUBSCRIPTIONS):
        assert (
            client.post(URL, json={"keywords": [f"词{n}"]}, headers=auth(user)).status_code == 201
        )
    r = client.post(URL, json={"keywords": ["再来一个"]}, headers=auth(user))
    assert r.status_code == 409 and r.json()["error"] == "too_many_subscriptions"
    first = client.get(URL, headers=auth(user)).json()["items"][0]["id"]
    assert client.delete(f"{URL}/{first}", headers=auth(user)).status_code == 204
    assert client.post(URL, json={"keywords": ["再来一个"]}, headers=auth(user)).status_code == 201
