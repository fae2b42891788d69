"""The open reads: only public postings, never more than the anonymous web view shows;
cursor pages stable under inserts; updated_since; the JSON Lines export; field statistics."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.audit.service import record_transition
from service.models import Need, Organization
from service.models.enums import Role
from tests.factories import create_application, create_capability, create_need, create_user
from tests.service.opendata.conftest import KeyMaker

OPEN = "/api/open/v1"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def key(make_key: KeyMaker) -> dict[str, str]:
    return make_key()


def _all(client: TestClient, path: str, key: dict[str, str], **params: Any) -> list[dict]:
    items, cursor = [], None
    while True:
        query = dict(params) | ({"cursor": cursor} if cursor else {})
        page = client.get(f"{OPEN}/{path}", params=query, headers=key).json()
        items += page["items"]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return items
        cursor = page["next_cursor"]


def _postings(session: Session) -> dict[str, Any]:
    """One posting of every state and visibility, the public ones named 公开…."""
    company = create_user(session, Role.enterprise)
    lab = create_user(session, Role.researcher)
    needs = {
        "公开张榜": create_need(session, company, title="公开张榜：电池包热失控预警"),
        "公开评审中": create_need(session, company, "under_review", title="公开评审中：储能变流器"),
        "公开已验收": create_need(session, company, "completed", title="公开已验收：激光焊接"),
    }
    for status in ("draft", "submitted", "rejected", "withdrawn", "terminated", "expired"):
        needs[status] = create_need(session, company, status, title=f"内部{status}需求")
    needs["anonymous"] = create_need(session, company, visibility="anonymous", title="匿名需求")
    needs["brokers_only"] = create_need(
        session, company, visibility="brokers_only", title="仅经纪人可见需求"
    )
    caps = {"公开成果": create_capability(session, lab, title="公开成果：固态电解质")}
    for status in ("draft", "submitted", "rejected", "archived"):
        caps[status] = create_capability(session, lab, status, title=f"内部{status}成果")
    return {"needs": needs, "caps": caps, "company": company, "lab": lab}


def test_only_public_needs_and_published_capabilities_appear(
    client: TestClient, session: Session, key: dict[str, str]
) -> None:
    made = _postings(session)
    needs = {n["title"] for n in _all(client, "needs", key, limit=2)}
    mine = {n.title for n in made["needs"].values()}
    assert needs & mine == {n.title for k, n in made["needs"].items() if k.startswith("公开")}
    caps = {c["title"] for c in _all(client, "capabilities", key, limit=2)}
    assert caps & {c.title for c in made["caps"].values()} == {"公开成果：固态电解质"}
    for name, need in made["needs"].items():
        response = client.get(f"{OPEN}/needs/{need.id}", headers=key)
        assert response.status_code == (200 if name.startswith("公开") else 404), name
    for name, cap in made["caps"].items():
        response = client.get(f"{OPEN}/capabilities/{cap.id}", headers=key)
        assert response.status_code == (200 if name.startswith("公开") else 404), name
    response = client.get(f"{OPEN}/needs/{made['needs']['draft'].id}", headers=key)
    assert response.json()["detail"] == "需求不存在或未公开"


def _public_view(client: TestClient, path: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/{path}")  # anonymous: the public web view
    assert response.status_code == 200
    return response.json()


def test_every_open_field_is_shown_by_the_public_web_view_with_the_same_value(
    client: TestClient, session: Session, key: dict[str, str]
) -> None:
    made = _postings(session)
    need = made["needs"]["公开张榜"]
    cap = made["caps"]["公开成果"]
    opened = [
        (client.get(f"{OPEN}/needs/{need.id}", headers=key).json(), f"needs/{need.id}"),
        (client.get(f"{OPEN}/capabilities/{cap.id}", headers=key).json(), f"capabilities/{cap.id}"),
    ]
    opened += [(n, f"needs/{n['id']}") for n in _all(client, "needs", key)]
    opened += [(c, f"capabilities/{c['id']}") for c in _all(client, "capabilities", key)]
    for item, path in opened:
        public = _public_view(client, path)
        for name, value in item.items():
            assert name in public, (path, name)
            assert public[name] == value, (path, name)
    export = _export(client, key)
    paths = {"need": "needs", "capability": "capabilities"}
    for line in export:
        if line["type"] in paths:
            public = _public_view(client, f"{paths[line['type']]}/{line['data']['id']}")
            assert all(public[k] == v for k, v in line["data"].items())
    text = json.dumps([i for i, _ in opened] + export, ensure_ascii=False)
    for secret in ("13900000000", "c@example.com", "联系人", "reject_reason", "version"):
        assert secret not in text


def _award(session: Session, need: Need, amount: str, member_org: Any = None) -> Any:
    """An awarded application to `need` (with a confirmed consortium member), as the award
    leaves it: its status, amount and `award` audit row."""
    winner = create_user(session, Role.researcher)
    members = [(member_org, "40")] if member_org is not None else None
    app = create_application(
        session,
        need,
        winner,
        "awarded",
        members=members,
        lead_share="60" if members else "100",
        committed_amount=Decimal(amount),
    )
    for member in app.members:
        member.status = "confirmed"
    record_transition(session, "application", app.id, "award", "shortlisted", "awarded", None)
    session.flush()
    return app


def test_results_are_the_public_award_results_with_a_change_time(
    client: TestClient, session: Session, key: dict[str, str]
) -> None:
    company = create_user(session, Role.enterprise)
    awarded = create_need(session, company, "awarded", title="授榜需求：钠离子电池正极")
    anonymous = create_need(session, company, "awarded", visibility="anonymous", title="匿名授榜")
    create_need(session, company, "published", title="未授榜需求")
    partner = create_user(session, Role.enterprise)
    won = _award(
        session, awarded, "800000.00", member_org=session.get(Organization, partner.org_id)
    )
    _award(session, anonymous, "500000.00")
    results = _all(client, "results", key, limit=1)
    assert anonymous.id not in {r["need_id"] for r in results}
    ours = [r for r in results if r["need_id"] == awarded.id]
    assert len(ours) == 1
    result = ours[0]
    assert result["need_title"] == "授榜需求：钠离子电池正极"
    assert result["winner"]["id"] == won.org_id and result["amount_wan"] == "80"
    assert [m["id"] for m in result["members"]] == [partner.org_id]
    # Field by field what the public 揭榜结果公示 shows, plus when it last changed.
    public = client.get("/api/v1/needs/results", params={"page_size": 100}).json()["items"]
    shown = {(p["need_id"], p["winner"]["id"]): p for p in public}
    for item in results:
        line = shown[(item["need_id"], item["winner"]["id"])]
        assert {k: v for k, v in item.items() if k != "updated_at"} == line
    # The need moves on (实施中): its result changes, and an incremental sync sees it.
    mark = datetime.now(UTC) - timedelta(seconds=1)
    awarded.status = "in_progress"
    session.flush()
    changed = _all(client, "results", key, updated_since=mark.isoformat())
    assert [(r["need_id"], r["status"]) for r in changed if r["need_id"] == awarded.id] == [
        (awarded.id, "in_progress")
    ]


def _need_at(session: Session, owner: Any, title: str, at: datetime) -> Need:
    return create_need(session, owner, title=title, updated_at=at, created_at=at)


def test_cursor_pages_are_stable_when_postings_are_inserted_and_changed_between_pages(
    client: TestClient, session: Session, key: dict[str, str]
) -> None:
    company = create_user(session, Role.enterprise)
    # Two share a timestamp: the id breaks the tie.
    stamps = [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    old = [_need_at(session, company, f"存量需求{n}", at) for n, at in enumerate(stamps)]
    since = {"updated_since": T0.isoformat(), "limit": 2}
    first = client.get(f"{OPEN}/needs", params=since, headers=key).json()
    assert [n["id"] for n in first["items"]] == [old[0].id, old[1].id] and first["has_more"]
    # Between the pages: a new need, and one already read is changed.
    fresh = create_need(session, company, title="新发布需求：氢燃料电池双极板")
    old[0].title = "存量需求0（已修改）"
    session.flush()
    seen = [n["id"] for n in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"{OPEN}/needs", params=since | {"cursor": cursor}, headers=key).json()
        seen += [n["id"] for n in page["items"]]
        cursor = page["next_cursor"]
    ours = [i for i in seen if i in {n.id for n in old} | {fresh.id}]
    # Every need once in order, the changed one again at the end (after its update).
    assert ours[:4] == [n.id for n in old]
    assert sorted(ours[4:]) == sorted([old[0].id, fresh.id])


def test_updated_since_returns_only_what_changed(
    client: TestClient, session: Session, key: dict[str, str]
) -> None:
    company, lab = create_user(session, Role.enterprise), create_user(session, Role.researcher)
    before = _need_at(session, company, "旧需求", T0)
    after = _need_at(session, company, "新需求", T0 + timedelta(days=2))
    create_capability(session, lab, title="旧成果", updated_at=T0)
    create_capability(session, lab, title="新成果", updated_at=T0 + timedelta(days=2))
    # With a time zone of +08:00: 2026-11-02 16:00 in Beijing is 08:00 UTC.
    since = {"updated_since": "2026-11-02T16:00:00+08:00"}
    ids = {n["id"] for n in _all(client, "needs", key, **since)}
    assert after.id in ids and before.id not in ids
    titles = {c["title"] for c in _all(client, "capabilities", key, **since)}
    assert "新成果" in titles and "旧成果" not in titles
    response = client.get(
        f"{OPEN}/needs", params={"updated_since": "2026-11-02T16:00:00"}, headers=key
    )
    assert response.status_code == 400 and response.json()["error"] == "naive_datetime"
    response = client.get(f"{OPEN}/needs", params={"updated_since": "昨天"}, headers=key)
    assert response.status_code == 422 and response.json()["error"] == "validation_error"


def test_bad_cursors_and_limits_are_refused_in_the_one_shape(
    client: TestClient, key: dict[str, str]
) -> None:
    for cursor in ("abc", "W10", "WyJ4IiwgMV0", "x" * 201):
        response = client.get(f"{OPEN}/needs", params={"cursor": cursor}, headers=key)
        assert response.status_code in (400, 422), cursor
        assert response.json()["error"] in ("invalid_cursor", "validation_error")
    response = client.get(f"{OPEN}/capabilities", params={"cursor": "abc"}, headers=key)
    assert response.json() == {
        "error": "invalid_cursor",
        "detail": "游标无效：请使用上一页返回的 next_cursor 原样传回",
        "detail_en": "Invalid cursor",
    }
    for limit in (0, 201, "十"):
        response = client.get(f"{OPEN}/needs", params={"limit": limit}, headers=key)
        assert response.status_code == 422


def _export(client: TestClient, key: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    with client.stream("GET", f"{OPEN}/export.jsonl", params=params, headers=key) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        return [json.loads(line) for line in response.iter_lines() if line]


def test_the_jsonl_export_streams_the_public_data(
    client: TestClient, session: Session, key: dict[str, str]
) -> None:
    made = _postings(session)
    lines = _export(client, key)
    assert lines[0]["type"] == "meta" and lines[0]["data"]["kinds"] == [
        "needs",
        "capabilities",
        "results",
    ]
    titles = {line["data"].get("title") for line in lines[1:]}
    assert {"公开张榜：电池包热失控预警", "公开成果：固态电解质"} <= titles
    assert not any(t and (t.startswith("内部") or t == "匿名需求") for t in titles)
    assert {line["type"] for line in lines[1:]} <= {"need", "capability", "result"}
    needs_only = _export(client, key, kind="needs", updated_since="2099-01-01T00:00:00Z")
    assert [line["type"] for line in needs_only] == ["meta"]
    both = _export(client, key, kind=["needs", "capabilities"])
    assert {line["type"] for line in both[1:]} == {"need", "capability"}
    assert made["needs"]["公开张榜"].id in {
        line["data"]["id"] for line in both if line["type"] == "need"
    }
    response = client.get(f"{OPEN}/export.jsonl", params={"kind": "users"}, headers=key)
    assert response.status_code == 422


def test_field_statistics_count_only_public_postings(
    client: TestClient, session: Session, key: dict[str, str]
) -> None:
    before = {
        s["field"]: s for s in client.get(f"{OPEN}/fields/stats", headers=key).json()["items"]
    }
    company, lab = create_user(session, Role.enterprise), create_user(session, Role.researcher)
    create_need(session, company, field_code="battery_storage", bounty=Decimal("1500000.00"))
    create_need(session, company, "awarded", field_code="battery_storage")
    create_need(session, company, "draft", field_code="battery_storage")
    create_need(session, company, visibility="anonymous", field_code="battery_storage")
    create_capability(session, lab, field_code="battery_storage")
    create_capability(session, lab, "draft", field_code="battery_storage")
    stats = client.get(f"{OPEN}/fields/stats", headers=key).json()
    after = {s["field"]: s for s in stats["items"]}
    old, new = before["battery_storage"], after["battery_storage"]
    assert new["field_name"] == "动力电池与储能"
    assert new["needs"] - old["needs"] == 2
    assert new["awarded"] - old["awarded"] == 1
    assert new["capabilities"] - old["capabilities"] == 1
    assert Decimal(new["needs_bounty_wan"]) - Decimal(old["needs_bounty_wan"]) == Decimal(250)


def test_postings_that_leave_the_open_data_are_listed_as_removed(
    client: TestClient, session: Session, key: dict[str, str]
) -> None:
    company, lab = create_user(session, Role.enterprise), create_user(session, Role.researcher)
    published = {"published_at": T0}
    withdrawn = create_need(session, company, "withdrawn", title="已撤回", **published)
    expired = create_need(session, company, "expired", title="已过期", **published)
    hidden = create_need(
        session, company, "withdrawn", visibility="anonymous", title="匿名撤回", **published
    )
    never = create_need(session, company, "withdrawn", title="从未张榜")  # no published_at
    still = create_need(session, company, title="仍在张榜", **published)
    archived = create_capability(session, lab, "archived", title="已归档", published_at=T0)
    live = create_capability(session, lab, title="仍发布", published_at=T0)
    mark = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    gone = _all(client, "removed", key, kind="needs", limit=1, updated_since=mark)
    ids = {g["id"] for g in gone}
    assert {withdrawn.id, expired.id} <= ids
    assert not ids & {hidden.id, never.id, still.id}
    assert set(gone[0]) == {"id", "updated_at"}
    caps = {g["id"] for g in _all(client, "removed", key, kind="capabilities")}
    assert archived.id in caps and live.id not in caps
    assert client.get(f"{OPEN}/removed", headers=key).status_code == 422  # kind is required
    # An incremental export names them too; a full one does not need to.
    lines = _export(client, key, updated_since=mark)
    removed = {(line["type"], line["data"]["id"]) for line in lines if "removed" in line["type"]}
    assert {("removed_need", withdrawn.id), ("removed_capability", archived.id)} <= removed
    assert not any("removed" in line["type"] for line in _export(client, key))
