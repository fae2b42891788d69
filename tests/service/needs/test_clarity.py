"""需求明确度 over the API: the live check (score, hints, the 高-band preview from the real
engine), who may call it, and the score kept on submit for the admin review queue."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from matching.clarity import RuleError
from matching.model import BAND_THRESHOLDS
from service.engine import keywords
from service.engine import store as store_module
from service.engine.service import recommend_capabilities
from service.engine.store import IndexStore, get_store
from service.engine.vectors import get_embedder
from service.models import Need
from service.models.enums import AccountStatus, OrgKind, Role
from service.needs.clarity import RULES, load_rules
from tests.factories import (
    auth,
    create_capability,
    create_need,
    create_org,
    create_user,
    need_payload,
)
from tests.service.engine_support import embed_all, eval_capability, eval_need, eval_rows
from tests.service.statements import statements

URL = "/api/v1/needs/clarity"
VAGUE = {
    "title": "提高良率",
    "problem": "良率低，希望提高。",
    "key_difficulty": "",
    "expected_goal": "优化工艺，提升产品质量",
    "field": "display",
    "keywords": ["良率"],
}


def _form(key: str) -> dict:
    """The need form filled with an eval need's text (and the form's other fields)."""
    row = eval_rows("needs.jsonl")[key]
    return need_payload(
        title=row["title"][:100],
        problem=row["problem"],
        key_difficulty=row["key_difficulty"],
        expected_goal=row["expected_goal"],
        field="display",
        keywords=row["keywords"][:5],
        indicators=row["indicators"],
    )


@pytest.fixture
def cold_store(client: TestClient) -> IndexStore:
    """A store that has not loaded yet (the engine still starting)."""
    store = IndexStore(get_embedder("hash"))
    client.app.dependency_overrides[get_store] = lambda: store  # type: ignore[attr-defined]
    return store


def test_shipped_rules_load_and_a_broken_file_stops_the_start(tmp_path: Path) -> None:
    assert {r.id for r in RULES} >= {
        "no_indicators",
        "vague_goal",
        "no_current_state",
        "part_too_short",
        "too_short",
        "field_mismatch",
        "rare_jargon",
    }
    bad = tmp_path / "rules.toml"
    bad.write_text('[[rules]]\nid = "x1"\nkind = "magic"\n', encoding="utf-8")
    with pytest.raises(RuleError, match="unknown kind"):
        load_rules(bad)
    bad.write_text("[[rules]\n", encoding="utf-8")
    with pytest.raises(RuleError, match="rules.toml"):
        load_rules(bad)


def test_live_check_counts_what_the_engine_recommends(client: TestClient, session: Session) -> None:
    # The preview's subject is the count, not the model: the hash embedder stands in.
    store = IndexStore(get_embedder("hash"))
    client.app.dependency_overrides[get_store] = lambda: store  # type: ignore[attr-defined]
    owner = create_user(session, Role.enterprise)
    lab = create_org(session, OrgKind.university)
    researcher = create_user(session, Role.researcher, org=lab)
    for key in eval_rows("capabilities.jsonl"):
        eval_capability(session, researcher, key)
    eval_capability(session, researcher, "C189", status="draft")  # never counted
    eval_capability(session, owner, "C189")  # the writer's own organisation: never counted
    saved = eval_need(session, owner, "N001", status="draft", field_code="display")
    embed_all(session, store.embedder)
    store.load(session)

    r = client.post(URL, json=_form("N001"), headers=auth(owner))
    assert r.status_code == 200, r.text
    body = r.json()
    assert 0 <= body["score"] <= 100
    assert body["band"] in ("clear", "fair", "vague") and body["band_label"]
    preview = body["preview"]
    assert preview["ready"] is True
    # the same text saved as a need: the engine's own recommendations in the 高 band
    recs = recommend_capabilities(session, saved, limit=200, store=store)
    high = [r for r in recs if r.score >= BAND_THRESHOLDS["high"]]
    assert preview["count"] == len(high) >= 1
    assert preview["message"] == f"目前平台上有 {preview['count']} 项成果与之高度匹配"

    vague = client.post(URL, json=VAGUE, headers=auth(owner)).json()
    assert vague["score"] < body["score"]
    rules = {h["rule"] for h in vague["hints"]}
    assert {"no_indicators", "vague_goal", "no_current_state", "part_too_short"} <= rules
    for hint in vague["hints"]:
        assert hint["message"] and hint["part_label"]
    parts = {h["part"] for h in vague["hints"] if h["rule"] == "part_too_short"}
    assert "key_difficulty" in parts


def test_admin_may_check_and_an_engine_not_ready_is_said_plainly(
    client: TestClient, session: Session, cold_store: IndexStore
) -> None:
    admin = create_user(session, Role.admin)
    r = client.post(URL, json=VAGUE, headers=auth(admin))
    assert r.status_code == 200, r.text
    preview = r.json()["preview"]
    assert preview == {
        "ready": False,
        "count": None,
        "message": "匹配引擎正在启动，暂时无法预估高度匹配的成果数量",
    }
    assert r.json()["hints"]
    assert not cold_store.loaded.is_set()  # the check never blocks on a load
    quick = client.post(URL, params={"preview": "false"}, json=VAGUE, headers=auth(admin))
    assert quick.status_code == 200
    assert quick.json()["preview"] is None
    assert quick.json()["score"] == r.json()["score"] and quick.json()["hints"] == r.json()["hints"]


def test_an_empty_form_is_scored_not_refused(
    client: TestClient, session: Session, cold_store: IndexStore
) -> None:
    owner = create_user(session, Role.enterprise)
    r = client.post(URL, json={}, headers=auth(owner))
    assert r.status_code == 200, r.text
    assert r.json()["score"] <= 30 and r.json()["band"] == "vague"
    half_typed = {**VAGUE, "indicators": [{"name": "良率", "comparator": ">=", "value": ""}]}
    assert client.post(URL, json=half_typed, headers=auth(owner)).status_code == 200


@pytest.mark.parametrize("role", [Role.researcher, Role.broker, Role.expert])
def test_other_roles_are_refused(
    client: TestClient, session: Session, cold_store: IndexStore, role: Role
) -> None:
    user = create_user(session, role)
    r = client.post(URL, json=VAGUE, headers=auth(user))
    assert r.status_code == 403
    assert r.json()["error"] == "wrong_role"
    assert "企业用户和管理员" in r.json()["detail"]


def test_visitor_and_pending_accounts_are_refused(
    client: TestClient, session: Session, cold_store: IndexStore
) -> None:
    assert client.post(URL, json=VAGUE).status_code == 401
    pending = create_user(session, Role.enterprise, status=AccountStatus.pending)
    r = client.post(URL, json=VAGUE, headers=auth(pending))
    assert r.status_code == 403 and r.json()["error"] == "account_pending"


@pytest.mark.parametrize(
    "bad",
    [
        {"problem": "字" * 2001},
        {"keywords": ["一", "二", "三", "四", "五", "六"]},
        {"indicators": [{"name": "指标"}] * 11},
        {"title": ["不是文本"]},
    ],
)
def test_bad_input_is_a_clear_422(
    client: TestClient, session: Session, cold_store: IndexStore, bad: dict
) -> None:
    owner = create_user(session, Role.enterprise)
    r = client.post(URL, json={**VAGUE, **bad}, headers=auth(owner))
    assert r.status_code == 422
    assert r.json()["error"] == "validation_error"


def test_submit_keeps_the_score_for_the_review_queue(client: TestClient, session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    admin = create_user(session, Role.admin)
    need = create_need(
        session,
        owner,
        status="draft",
        title="提高良率",
        problem="面板良率低，希望提高。",
        key_difficulty="工艺复杂，原因不明。",
        expected_goal="优化工艺，提升良率",
    )
    r = client.post(f"/api/v1/needs/{need.id}/submit", headers=auth(owner))
    assert r.status_code == 200, r.text
    session.refresh(need)
    assert need.clarity_score is not None and 0 <= need.clarity_score < 60
    assert {h["rule"] for h in need.clarity_hints or []} >= {"no_indicators", "vague_goal"}
    assert r.json()["clarity"]["score"] == need.clarity_score  # the owner sees it

    queue = client.get(
        "/api/v1/needs", params={"status": "submitted", "sort": "created_at"}, headers=auth(admin)
    )
    assert queue.status_code == 200
    (item,) = [i for i in queue.json()["items"] if i["id"] == need.id]
    assert item["clarity"]["score"] == need.clarity_score
    assert item["clarity"]["band"] == "vague" and item["clarity"]["band_label"] == "待完善"
    assert any(
        h["rule"] == "vague_goal" and h["part_label"] == "预期目标"
        for h in item["clarity"]["hints"]
    )

    # once published, the public and other roles never see it
    approve = client.post(f"/api/v1/needs/{need.id}/approve", headers=auth(admin))
    assert approve.status_code == 200, approve.text
    assert client.get(f"/api/v1/needs/{need.id}").json()["clarity"] is None
    for role in (Role.researcher, Role.broker, Role.enterprise):
        other = create_user(session, role)
        seen = client.get(f"/api/v1/needs/{need.id}", headers=auth(other)).json()
        assert seen["clarity"] is None
    assert client.get(f"/api/v1/needs/{need.id}", headers=auth(owner)).json()["clarity"]


def test_resubmitting_a_better_text_raises_the_stored_score(
    client: TestClient, session: Session
) -> None:
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, status="draft", expected_goal="优化工艺，提升良率")
    assert client.post(f"/api/v1/needs/{need.id}/submit", headers=auth(owner)).status_code == 200
    session.refresh(need)
    first = need.clarity_score
    need.status = "rejected"
    row = eval_rows("needs.jsonl")["N001"]
    for part in ("title", "problem", "key_difficulty", "expected_goal"):
        setattr(need, part, row[part][:100] if part == "title" else row[part])
    need.indicators = row["indicators"]
    session.flush()
    assert client.post(f"/api/v1/needs/{need.id}/submit", headers=auth(owner)).status_code == 200
    session.refresh(need)
    assert first is not None and need.clarity_score is not None
    assert need.clarity_score > first
    assert session.get(Need, need.id) is need


JARGON = "厂内QXB线的HWZ工位按ZKP规范抽检，FMQ工装夹紧力偏小。"


def _jargon_fires(client: TestClient, session: Session, owner_role: Role = Role.enterprise) -> bool:
    """Submit a fresh need whose 技术关键 uses four in-house abbreviations; did the stored
    score name them as never used by a published capability?"""
    owner = create_user(session, owner_role)
    need = create_need(
        session, owner, status="draft", key_difficulty="工艺复杂，原因不明。" + JARGON
    )
    r = client.post(f"/api/v1/needs/{need.id}/submit", headers=auth(owner))
    assert r.status_code == 200, r.text
    session.refresh(need)
    return "rare_jargon" in {h["rule"] for h in need.clarity_hints or []}


def test_submit_counts_jargon_among_published_capabilities_by_term(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stamp's document counts come from the keyword index per term (a term's head, then
    the published among its holders): never all published ids (1M at scale: 15–60 s per
    submit). Only published capabilities count; a term whose best holders are all
    unpublished still finds its published holder further down the list."""
    monkeypatch.setattr(keywords, "HEAD", 2)  # heads of 2: the long-list path at test size
    store = IndexStore(get_embedder("hash"))
    monkeypatch.setitem(store_module._STORES, "test", store)  # this process's loaded store
    lab = create_org(session, OrgKind.university)
    researcher = create_user(session, Role.researcher, org=lab)
    for n in range(20):
        create_capability(session, researcher, title=f"测试成果{n}")
    for status in ("draft", "draft", "submitted"):  # short texts: the heads' best holders
        create_capability(session, researcher, status=status, title="QXB HWZ ZKP FMQ")
    embed_all(session, store.embedder)
    store.load(session)

    with statements(session) as seen:
        assert _jargon_fires(client, session)  # only unpublished capabilities use them
    reads = [s for s in seen if re.search(r"FROM capabilities\b", s)]
    # bounded: an id list (IN on SQLite's json_each, = ANY on PostgreSQL) or a LIMIT
    bounded = (" IN (", "= ANY (", "LIMIT")
    assert reads and all(any(b in s for b in bounded) for s in reads), reads

    long_text = "，".join(["面板检测设备与工艺"] * 20)
    create_capability(
        session, researcher, title="产线检测方案", description=long_text + "，用于QXB线与HWZ工位。"
    )
    embed_all(session, store.embedder)
    heads = keywords.DatabaseKeywords("capability", session)
    df, head = heads.head_holders("qxb")
    assert df == 4 and len(head) == 2  # the published holder is not among the best two
    assert not _jargon_fires(client, session)  # two of four now used: under min_terms
