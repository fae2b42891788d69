"""Near-duplicate warnings (visibility), the admin's 重复 mark and unlink (audited), refusals."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.duplicates import THRESHOLD
from service.engine.vectors import embed_postings, get_embedder
from service.models import AuditEvent, DuplicateLink, Need, User
from service.models.enums import Role
from tests.factories import auth, create_capability, create_need, create_org, create_user

COATING = {
    "title": "锂电池极片涂布面密度波动大",
    "problem": "我司动力电池正极极片挤压涂布后面密度横向波动在±3%左右，造成电芯容量一致性差，"
    "分容后一致性不合格比例偏高。",
    "key_difficulty": "涂布头模唇间隙靠人工调整，浆料粘度随放置时间变化，"
    "现有在线测厚设备只能事后报警。",
    "expected_goal": "希望实现面密度闭环控制，横向波动控制在±1%以内，幅宽1200mm，"
    "涂布速度不低于60m/min。",
    "field_code": "battery_storage",
}
COATING_REWORDED = {
    "title": "正极涂布面密度一致性提升",
    "problem": "挤压涂布工序正极片面密度横向偏差约±3%，导致同批电芯容量离散，分容筛选报废多。",
    "key_difficulty": "模唇开口需要老师傅手动拧螺栓调节；浆料放久了粘度会漂；测厚仪只报警不反馈。",
    "expected_goal": "寻求面密度自动闭环调节方案：1200mm幅宽下横向偏差≤±1%，线速度≥60米/分钟。",
    "field_code": "battery_storage",
}
COATING_FASTER = {
    **COATING,
    "expected_goal": "希望实现面密度闭环控制，横向波动控制在±0.5%以内，幅宽1600mm，"
    "涂布速度不低于100m/min。",
}
CALENDERING = {
    "title": "锂电池极片辊压后反弹与断带",
    "problem": "正极极片辊压后厚度反弹明显，放置24小时反弹约4%，且高压实密度下频繁断带。",
    "key_difficulty": "压实密度提高到3.6g/cm³以上时箔材延伸率不够，辊压速度提不上去。",
    "expected_goal": "压实密度3.6g/cm³下不断带，24小时厚度反弹小于1.5%。",
    "field_code": "battery_storage",
}


def _embed(session: Session, kind: str, *ids: int) -> None:
    embed_postings(session, kind, ids, get_embedder())  # type: ignore[arg-type]


@pytest.fixture
def board(session: Session) -> dict[str, Any]:
    """Org A's draft and its own published paraphrase; org B's public, brokers-only and draft
    paraphrases, a same-problem-other-figures need and a same-topic need."""
    owner = create_user(session, Role.enterprise)
    other = create_user(session, Role.enterprise)
    draft = create_need(session, owner, "draft", **COATING)
    own = create_need(session, owner, "published", **COATING_REWORDED)
    public = create_need(session, other, "published", **COATING_REWORDED)
    hidden = create_need(session, other, "published", visibility="brokers_only", **COATING_REWORDED)
    other_draft = create_need(session, other, "draft", **COATING_REWORDED)
    figures = create_need(session, other, "published", **COATING_FASTER)
    topic = create_need(session, other, "published", **CALENDERING)
    needs = [draft, own, public, hidden, other_draft, figures, topic]
    _embed(session, "need", *(n.id for n in needs if n is not draft))  # the draft: not yet
    return {
        "owner": owner,
        "other": other,
        **{
            n: v
            for n, v in zip(
                ["draft", "own", "public", "hidden", "other_draft", "figures", "topic"],
                needs,
                strict=True,
            )
        },
    }


def _ids(answer: dict[str, Any]) -> set[int]:
    return {c["id"] for c in answer["candidates"]}


def test_the_poster_is_warned_of_visible_duplicates_only(
    client: TestClient, board: dict[str, Any]
) -> None:
    r = client.get(f"/api/v1/duplicates/needs/{board['draft'].id}", headers=auth(board["owner"]))
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["threshold"] == THRESHOLD
    assert _ids(answer) == {board["own"].id, board["public"].id}
    # another organisation's brokers-only and draft needs are never named, nor its figures
    # variant or its other problem
    by_id = {c["id"]: c for c in answer["candidates"]}
    assert by_id[board["own"].id]["same_org"] is True
    assert by_id[board["public"].id]["same_org"] is False
    assert by_id[board["public"].id]["path"] == f"/needs/{board['public'].id}"
    assert all(c["similarity"] >= THRESHOLD for c in answer["candidates"])
    assert "brokers_only" not in r.text and board["hidden"].title not in {
        c["title"] for c in answer["candidates"] if c["id"] not in by_id
    }


def test_after_submit_the_same_warning_is_given(
    client: TestClient, session: Session, board: dict[str, Any]
) -> None:
    owner, draft = board["owner"], board["draft"]
    r = client.post(f"/api/v1/needs/{draft.id}/submit", json={}, headers=auth(owner))
    assert r.status_code == 200, r.text
    r = client.get(f"/api/v1/duplicates/needs/{draft.id}", headers=auth(owner))
    assert _ids(r.json()) == {board["own"].id, board["public"].id}


def test_brokers_and_admins_see_what_they_may_read(
    client: TestClient, session: Session, board: dict[str, Any]
) -> None:
    broker = create_user(session, Role.broker)
    admin = create_user(session, Role.admin)
    public = board["public"]
    expected = {board["own"].id, board["hidden"].id}
    for user in (broker, admin):
        r = client.get(f"/api/v1/duplicates/needs/{public.id}", headers=auth(user))
        assert r.status_code == 200, r.text
        ids = _ids(r.json())
        assert expected <= ids  # the brokers-only one too
        assert board["other_draft"].id not in ids and board["figures"].id not in ids
        assert board["topic"].id not in ids


@pytest.mark.parametrize("role", [Role.researcher, Role.expert, Role.enterprise])
def test_others_may_not_ask_for_a_needs_duplicates(
    client: TestClient, session: Session, board: dict[str, Any], role: Role
) -> None:
    user = create_user(session, role)  # an enterprise of another organisation
    r = client.get(f"/api/v1/duplicates/needs/{board['public'].id}", headers=auth(user))
    assert r.status_code == 403
    assert r.json()["error"] == "forbidden"


def test_check_refuses_strangers_unknown_and_unreadable_postings(
    client: TestClient, session: Session, board: dict[str, Any]
) -> None:
    assert client.get(f"/api/v1/duplicates/needs/{board['public'].id}").status_code == 401
    owner = board["owner"]
    r = client.get(f"/api/v1/duplicates/needs/{board['other_draft'].id}", headers=auth(owner))
    assert r.status_code == 404  # another organisation's draft: not even its existence
    assert client.get("/api/v1/duplicates/needs/999999", headers=auth(owner)).status_code == 404
    assert client.get("/api/v1/duplicates/needs/0", headers=auth(owner)).status_code == 404
    assert client.get("/api/v1/duplicates/needs/abc", headers=auth(owner)).status_code == 422


def _audit(session: Session, link_id: int) -> list[AuditEvent]:
    statement = select(AuditEvent).where(
        AuditEvent.object_type == "duplicate", AuditEvent.object_id == link_id
    )
    return list(session.scalars(statement.order_by(AuditEvent.id)))


def _mark(
    client: TestClient, user: User, a: Need, b: Need, reason: str = "同一需求重复发布"
) -> Any:
    body = {"kind": "need", "posting_id": a.id, "duplicate_of_id": b.id, "reason": reason}
    return client.post("/api/v1/duplicates", json=body, headers=auth(user))


def test_an_admin_marks_links_and_unlinks_a_pair_with_audit(
    client: TestClient, session: Session, board: dict[str, Any]
) -> None:
    admin = create_user(session, Role.admin)
    public, own = board["public"], board["own"]
    r = _mark(client, admin, public, own)
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["status"] == "linked" and link["status_label"] == "已标记重复"
    assert link["similarity"] >= THRESHOLD
    assert link["posting_title"] == public.title and link["actions"] == ["unlink"]
    [created] = _audit(session, link["id"])
    assert (created.action, created.to_state, created.actor_id) == ("create", "linked", admin.id)
    assert created.reason == "同一需求重复发布"
    # both postings stay as they were
    session.refresh(public)
    assert public.status == "published"

    r = client.get(f"/api/v1/duplicates/needs/{own.id}", headers=auth(admin))
    answer = r.json()
    assert [x["id"] for x in answer["links"]] == [link["id"]]
    assert {c["id"]: c["linked"] for c in answer["candidates"]}[public.id] is True

    assert _mark(client, admin, own, public).status_code == 409  # either way round
    url = f"/api/v1/duplicates/links/{link['id']}/unlink"
    assert client.post(url, json={}, headers=auth(admin)).status_code == 400  # reason
    r = client.post(url, json={"reason": "经核实为两条不同产线"}, headers=auth(admin))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "unlinked" and r.json()["actions"] == []
    assert [e.action for e in _audit(session, link["id"])] == ["create", "unlink"]
    assert client.post(url, json={"reason": "再次"}, headers=auth(admin)).status_code == 409
    # history kept: the unlinked row stays, and the pair may be marked again
    assert _mark(client, admin, public, own).status_code == 201
    rows = session.scalars(select(DuplicateLink).where(DuplicateLink.posting_id == public.id))
    assert sorted(x.status for x in rows) == ["linked", "unlinked"]


@pytest.mark.parametrize("role", [Role.enterprise, Role.researcher, Role.broker, Role.expert])
def test_only_admins_mark_or_unlink(
    client: TestClient, session: Session, board: dict[str, Any], role: Role
) -> None:
    user = board["owner"] if role == Role.enterprise else create_user(session, role)
    r = _mark(client, user, board["draft"], board["own"])
    assert r.status_code == 403
    admin = create_user(session, Role.admin)
    link = _mark(client, admin, board["public"], board["own"]).json()
    url = f"/api/v1/duplicates/links/{link['id']}/unlink"
    r = client.post(url, json={"reason": "不是重复"}, headers=auth(user))
    assert r.status_code == 403
    assert client.post(url, json={"reason": "不是重复"}).status_code == 401


def test_marking_refuses_bad_input(
    client: TestClient, session: Session, board: dict[str, Any]
) -> None:
    admin = create_user(session, Role.admin)
    public, own = board["public"], board["own"]
    assert _mark(client, admin, public, public).status_code == 400
    assert _mark(client, admin, public, own, reason="").status_code == 422
    r = _mark(client, admin, public, board["other_draft"])  # admins do not see drafts
    assert r.status_code == 404
    body = {"kind": "need", "posting_id": public.id, "duplicate_of_id": own.id}
    r = client.post("/api/v1/duplicates", json=body, headers=auth(admin))
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    missing = "/api/v1/duplicates/links/999999/unlink"
    assert client.post(missing, json={"reason": "x"}, headers=auth(admin)).status_code == 404


def test_a_researcher_is_warned_of_another_labs_capability(
    client: TestClient, session: Session
) -> None:
    university = create_org(session, name="江南理工大学")
    lab_a = create_user(session, Role.researcher, org=university)
    lab_b = create_user(session, Role.researcher)  # another university's lab
    text = (
        "课题组采用溶液法在绒面晶硅底电池上共形制备宽带隙钙钛矿顶电池，通过界面钝化和能带调控，"
        "1cm²叠层电池认证效率达到31.2%，在85℃湿热条件下1000小时效率保持率超过90%。"
    )
    reworded = (
        "本成果在织构化硅电池表面共形沉积宽带隙钙钛矿吸收层，结合界面钝化与能级匹配，实现面积"
        "1平方厘米叠层器件第三方认证效率31.2%；双85老化1000h后效率保持90%以上。"
    )
    mine = create_capability(
        session, lab_a, "draft", title="钙钛矿/晶硅叠层太阳电池", description=text
    )
    theirs = create_capability(
        session, lab_b, "published", title="高效晶硅-钙钛矿两端叠层电池技术", description=reworded
    )
    hidden = create_capability(
        session, lab_b, "draft", title="高效晶硅-钙钛矿两端叠层电池技术", description=reworded
    )
    _embed(session, "capability", theirs.id, hidden.id)
    r = client.get(f"/api/v1/duplicates/capabilities/{mine.id}", headers=auth(lab_a))
    assert r.status_code == 200, r.text
    assert _ids(r.json()) == {theirs.id}
    assert r.json()["candidates"][0]["path"] == f"/capabilities/{theirs.id}"
    enterprise = create_user(session, Role.enterprise)
    r = client.get(f"/api/v1/duplicates/capabilities/{theirs.id}", headers=auth(enterprise))
    assert r.status_code == 403
