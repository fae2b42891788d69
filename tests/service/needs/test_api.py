"""Creating, editing, listing needs; bad input is refused with a clear 4xx and stores nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.kit.clock import today
from service.models import Need
from service.models.enums import Role
from tests.factories import auth, create_need, create_user, need_payload


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Need)) or 0


def test_create_keeps_money_exact(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    r = client.post(
        "/api/v1/needs",
        json=need_payload(bounty_wan="85.5", own_investment_wan=123.456789),
        headers=auth(owner),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["bounty_wan"] == "85.5"
    assert body["own_investment_wan"] == "123.456789"
    assert body["status"] == "draft"
    assert body["version"] == 1
    need = session.get(Need, body["id"])
    assert need is not None
    assert need.bounty == Decimal("855000.00")
    assert need.own_investment == Decimal("1234567.89")


BAD_CREATE = [
    ("title_too_long", {"title": "长" * 101}, 422, "validation_error"),
    ("title_too_short", {"title": "短"}, 422, "validation_error"),
    ("problem_oversized", {"problem": "字" * 2001}, 422, "validation_error"),
    ("negative_bounty", {"bounty_wan": "-1"}, 422, "validation_error"),
    ("absurd_bounty", {"bounty_wan": "100000.01"}, 422, "validation_error"),
    ("too_many_decimals", {"bounty_wan": "1.0000001"}, 422, "validation_error"),
    ("nan_bounty", {"bounty_wan": "NaN"}, 422, "validation_error"),
    ("text_bounty", {"bounty_wan": "三百万"}, 422, "validation_error"),
    ("unknown_field", {"field": "alchemy"}, 400, "unknown_field"),
    ("bad_date", {"deadline": "2026-02-30"}, 422, "validation_error"),
    (
        "past_deadline",
        {"deadline": (today() - timedelta(days=1)).isoformat()},
        422,
        "validation_error",
    ),
    (
        "far_deadline",
        {"deadline": (today() + timedelta(days=4000)).isoformat()},
        422,
        "validation_error",
    ),
    ("six_keywords", {"keywords": ["a", "b", "c", "d", "e", "f"]}, 422, "validation_error"),
    ("no_keywords", {"keywords": []}, 422, "validation_error"),
    ("duplicate_keywords", {"keywords": ["激光", "激光"]}, 422, "validation_error"),
    (
        "bad_comparator",
        {"indicators": [{"name": "精度", "comparator": "≈", "value": "1", "unit": "μm"}]},
        422,
        "validation_error",
    ),
    (
        "bad_indicator_value",
        {"indicators": [{"name": "精度", "comparator": "<=", "value": "一", "unit": "μm"}]},
        422,
        "validation_error",
    ),
    ("bad_call_type", {"call_type": "lottery"}, 422, "validation_error"),
    ("bad_visibility", {"visibility": "secret"}, 422, "validation_error"),
    ("bad_phone", {"contact": {"name": "王", "phone": "call me"}}, 422, "validation_error"),
    (
        "bad_email",
        {"contact": {"name": "王", "phone": "13800000000", "email": "x@"}},
        422,
        "validation_error",
    ),
    ("months_zero", {"implementation_months": 0}, 422, "validation_error"),
    ("extra_key", {"status": "published"}, 422, "validation_error"),
]


@pytest.mark.parametrize(
    ("case", "change", "status", "code"), BAD_CREATE, ids=[c[0] for c in BAD_CREATE]
)
def test_bad_create_is_refused(
    client, session: Session, case: str, change: dict, status: int, code: str
) -> None:
    owner = create_user(session, Role.enterprise)
    before = _count(session)
    r = client.post("/api/v1/needs", json=need_payload(**change), headers=auth(owner))
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code
    assert body["detail"]
    if status == 422:
        assert body["fields"]
        assert all(f["message"] for f in body["fields"])
    assert _count(session) == before


def test_missing_fields_are_named_in_chinese(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    payload = need_payload()
    del payload["title"], payload["contact"]
    r = client.post("/api/v1/needs", json=payload, headers=auth(owner))
    assert r.status_code == 422
    assert {(f["field"], f["message"]) for f in r.json()["fields"]} == {
        ("title", "必填项缺失"),
        ("contact", "必填项缺失"),
    }


def test_malformed_json_is_400(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    r = client.post(
        "/api/v1/needs",
        content=b'{"title": ',
        headers={**auth(owner), "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["error"] == "malformed_json"


@pytest.mark.parametrize("role", [Role.researcher, Role.broker, Role.expert, Role.admin])
def test_only_enterprises_post_needs(client, session: Session, role: Role) -> None:
    r = client.post("/api/v1/needs", json=need_payload(), headers=auth(create_user(session, role)))
    assert r.status_code == 403
    assert r.json()["error"] == "wrong_role"
    assert client.post("/api/v1/needs", json=need_payload()).status_code == 401
    assert _count(session) == 0


def test_bad_token_is_401(client) -> None:
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token"


def test_edit_rules(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, status="draft")
    url = f"/api/v1/needs/{need.id}"
    r = client.patch(url, json={"version": 1, "bounty_wan": "88.8"}, headers=auth(owner))
    assert r.status_code == 200
    assert r.json()["bounty_wan"] == "88.8"
    assert r.json()["version"] == 2
    # a stale version is a lost update: refused
    r = client.patch(url, json={"version": 1, "title": "被覆盖的标题"}, headers=auth(owner))
    assert r.status_code == 409
    assert r.json()["error"] == "stale_version"
    r = client.patch(url, json={"version": 2, "title": None}, headers=auth(owner))
    assert r.status_code == 400
    assert r.json()["error"] == "null_not_allowed"
    r = client.patch(url, json={"version": 2, "field": "alchemy"}, headers=auth(owner))
    assert r.status_code == 400
    assert r.json()["error"] == "unknown_field"
    r = client.patch(url, json={"version": 2, "bounty_wan": "-5"}, headers=auth(owner))
    assert r.status_code == 422
    r = client.patch(url, json={"title": "没有版本号的修改"}, headers=auth(owner))
    assert r.status_code == 422
    colleague = create_user(session, Role.enterprise)
    colleague.org_id = owner.org_id
    other = create_user(session, Role.enterprise)
    assert (
        client.patch(
            url, json={"version": 2, "title": "别人改的标题"}, headers=auth(other)
        ).status_code
        == 404
    )
    assert (
        client.patch(
            url, json={"version": 2, "title": "同事改的标题"}, headers=auth(colleague)
        ).status_code
        == 200
    )
    session.expire_all()
    stored = session.get(Need, need.id)
    assert stored is not None
    assert stored.title == "同事改的标题"
    assert stored.version == 3
    assert stored.bounty == Decimal("888000.00")


@pytest.mark.parametrize("status", ["submitted", "published", "withdrawn"])
def test_no_edits_outside_draft_or_rejected(client, session: Session, status: str) -> None:
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, status=status)
    r = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"version": 1, "title": "改动后的标题"},
        headers=auth(owner),
    )
    assert r.status_code == 409
    assert r.json()["error"] == "invalid_transition"


def test_admin_and_broker_cannot_edit(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, status="published")
    for role in (Role.admin, Role.broker):
        r = client.patch(
            f"/api/v1/needs/{need.id}",
            json={"version": 1, "title": "越权修改"},
            headers=auth(create_user(session, role)),
        )
        assert r.status_code == 403
        assert r.json()["error"] == "not_owner"


def test_list_filters_and_sorting(client, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    cheap = create_need(
        session,
        owner,
        title="激光焊接气孔问题",
        bounty=Decimal("200000"),
        field_code="intelligent_manufacturing",
        deadline=today() + timedelta(days=10),
    )
    rich = create_need(
        session,
        owner,
        title="碳化硅衬底缺陷检测",
        bounty=Decimal("5000000"),
        field_code="semiconductor",
        call_type="jiebang_guashuai",
        deadline=today() + timedelta(days=90),
    )
    create_need(session, owner, title="草稿不应出现", status="draft")

    def ids(**params: object) -> list[int]:
        r = client.get("/api/v1/needs", params=params)
        assert r.status_code == 200, r.text
        return [n["id"] for n in r.json()["items"]]

    assert ids(sort="-bounty") == [rich.id, cheap.id]
    assert ids(sort="bounty") == [cheap.id, rich.id]
    assert ids(sort="deadline") == [cheap.id, rich.id]
    assert ids(field="semiconductor") == [rich.id]
    assert ids(call_type="jiebang_guashuai") == [rich.id]
    assert ids(bounty_min_wan="100") == [rich.id]
    assert ids(bounty_max_wan="20") == [cheap.id]
    assert ids(deadline_to=(today() + timedelta(days=30)).isoformat()) == [cheap.id]
    assert ids(q="碳化硅") == [rich.id]
    assert ids(q="100%_") == []
    assert ids(status="draft") == []
    r = client.get("/api/v1/needs", params={"page": 2, "page_size": 1, "sort": "-bounty"}).json()
    assert (r["total"], r["page"], [n["id"] for n in r["items"]]) == (2, 2, [cheap.id])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "random"}, "sort"),
        ({"page_size": 1000}, "page_size"),
        ({"page": 0}, "page"),
        ({"bounty_min_wan": "-1"}, "bounty_min_wan"),
        ({"deadline_from": "tomorrow"}, "deadline_from"),
        ({"status": "lost"}, "status"),
        # the board shares the search's conditions, and their range checks
        ({"bounty_min_wan": "500", "bounty_max_wan": "100"}, "bounty_max_wan"),
        ({"deadline_from": "2027-03-01", "deadline_to": "2027-02-01"}, "deadline_to"),
    ],
)
def test_bad_list_parameters(client, params: dict, field: str) -> None:
    r = client.get("/api/v1/needs", params=params)
    assert r.status_code == 422
    assert r.json()["fields"][0]["field"] == field


def test_detail_has_etag_and_unknown_id_is_404(client, session: Session) -> None:
    need = create_need(session, create_user(session, Role.enterprise))
    r = client.get(f"/api/v1/needs/{need.id}")
    assert r.headers["etag"] == 'W/"1"'
    assert client.get("/api/v1/needs/999999").status_code == 404
    assert client.get("/api/v1/needs/abc").status_code == 422
