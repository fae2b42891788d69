"""Broker review to a deal: manual matches, visibility, conflicts of interest, versions,
money, notifications and history."""

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Match, Notification, Organization
from service.models.enums import Role
from tests.factories import auth, create_capability, create_match, create_need, create_user
from tests.service.match_market import Market, build_market


@pytest.fixture
def market(session: Session) -> Market:
    return build_market(session)


def _post(client, market: Market, role: str, match_id: int, action: str, **body: object):
    return client.post(
        f"/api/v1/matches/{match_id}/{action}", json=body, headers=market.headers(role)
    )


def test_candidate_to_deal(client, session: Session, market: Market) -> None:
    match = market.match(session)
    mid = match.id
    r = _post(client, market, "broker", mid, "approve", version=1)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["broker"] == {"id": market.users["broker"].id, "name": "经纪人甲"}
    assert body["version"] == 2
    assert body["actions"] == ["recommend"]
    r = _post(client, market, "broker", mid, "recommend")
    assert r.json()["status"] == "recommended"
    assert r.json()["actions"] == ["connect", "decline"]
    seen = client.get(f"/api/v1/matches/{mid}", headers=market.headers("need_owner")).json()
    assert seen["actions"] == ["interest"]
    r = _post(client, market, "broker", mid, "connect")
    assert r.status_code == 409 and r.json()["error"] == "interest_missing"
    for side in ("need_owner", "cap_owner"):
        r = client.post(f"/api/v1/matches/{mid}/interest", headers=market.headers(side))
        assert r.status_code == 200, r.text
    assert r.json()["need_interest"] and r.json()["capability_interest"]
    assert r.json()["actions"] == []  # the capability side has said yes; nothing left to do
    assert _post(client, market, "broker", mid, "connect").json()["status"] == "connected"
    assert _post(client, market, "admin", mid, "negotiate").json()["status"] == "negotiating"
    # 签约 waits for the end of the need's 揭榜 round: here the enterprise withdraws its call
    seen = client.get(f"/api/v1/matches/{mid}", headers=market.headers("broker")).json()
    assert "deal" not in seen["actions"] and seen["deal_waits"]
    r = _post(client, market, "broker", mid, "deal", contract_value_wan="1234.567891")
    assert r.status_code == 409 and r.json()["error"] == "jiebang_round_active", r.text
    w = client.post(
        f"/api/v1/needs/{market.need.id}/withdraw", headers=market.headers("need_owner")
    )
    assert w.status_code == 200, w.text
    r = _post(client, market, "broker", mid, "deal", contract_value_wan="1234.567891")
    assert r.status_code == 200, r.text
    assert r.json()["contract_value_wan"] == "1234.567891"
    session.expire_all()
    stored = session.get(Match, mid)
    assert stored is not None and stored.contract_value == Decimal("12345678.91")
    # attribution stays with the broker who approved, though an admin moved it too
    assert stored.broker_id == market.users["broker"].id
    history = client.get(f"/api/v1/matches/{mid}/history", headers=market.headers("broker"))
    steps = [(e["action"], e["actor_name"]) for e in history.json()]
    assert steps == [
        ("create", None),
        ("approve", "经纪人甲"),
        ("recommend", "经纪人甲"),
        ("need_interest", "需求方"),
        ("capability_interest", "成果方"),
        ("connect", "经纪人甲"),
        ("negotiate", "管理员"),
        ("deal", "经纪人甲"),
    ]
    side = client.get(f"/api/v1/matches/{mid}/history", headers=market.headers("need_owner"))
    assert [e["action"] for e in side.json()] == [
        "recommend",
        "need_interest",
        "capability_interest",
        "connect",
        "negotiate",
        "deal",
    ]


def test_reject_and_decline_need_reasons(client, session: Session, market: Market) -> None:
    match = market.match(session)
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        r = _post(client, market, "broker", match.id, "reject", **body)
        assert r.status_code == 400 and r.json()["error"] == "reason_required", body
    r = _post(client, market, "broker", match.id, "reject", reason="领域不符")
    assert r.status_code == 200 and r.json()["reject_reason"] == "领域不符"
    r = _post(client, market, "broker", match.id, "reject", reason="x" * 1001)
    assert r.status_code == 422
    other = create_capability(session, market.users["cap_owner"])
    declined = create_match(session, market.need, other, status="negotiating")
    r = _post(client, market, "broker", declined.id, "decline")
    assert r.status_code == 400 and r.json()["error"] == "reason_required"
    r = _post(client, market, "broker", declined.id, "decline", reason="预算不足")
    assert r.status_code == 200 and r.json()["status"] == "declined"
    # the sides see why, through the history and the notification
    history = client.get(
        f"/api/v1/matches/{declined.id}/history", headers=market.headers("cap_owner")
    ).json()
    assert history[-1]["reason"] == "预算不足"
    note = session.scalars(
        select(Notification).where(
            Notification.user_id == market.users["cap_owner"].id,
            Notification.kind == "match_declined",
        )
    ).one()
    assert "预算不足" in note.body


@pytest.mark.parametrize(
    ("value", "status", "code"),
    [
        (None, 422, "validation_error"),
        ("0", 422, "validation_error"),  # the schema says > 0 (PositiveWan)
        ("-1", 422, "validation_error"),
        ("abc", 422, "validation_error"),
        ("1.1234567", 422, "validation_error"),
        ("100001", 422, "validation_error"),
    ],
)
def test_deal_contract_value_refusals(
    client, session: Session, market: Market, value: str | None, status: int, code: str
) -> None:
    market.need.status = "awarded"  # the 揭榜 round is over: only the value is at stake
    match = market.match(session, status="negotiating")
    body = {} if value is None else {"contract_value_wan": value}
    r = _post(client, market, "broker", match.id, "deal", **body)
    assert r.status_code == status and r.json()["error"] == code, r.text
    session.expire_all()
    stored = session.get(Match, match.id)
    assert stored is not None and stored.status == "negotiating" and stored.contract_value is None


def test_stale_version(client, session: Session, market: Market) -> None:
    match = market.match(session)
    r = _post(client, market, "broker", match.id, "approve", version=2)
    assert r.status_code == 409 and r.json()["error"] == "stale_version"
    assert _post(client, market, "broker", match.id, "approve", version=1).status_code == 200
    # a second broker working from the page they loaded before is refused, not overwritten
    r = _post(client, market, "admin", match.id, "recommend", version=1)
    assert r.status_code == 409 and r.json()["error"] == "stale_version"
    url = f"/api/v1/matches/{match.id}"
    r = client.patch(url, json={"version": 1, "note": "旧版本"}, headers=market.headers("broker"))
    assert r.status_code == 409 and r.json()["error"] == "stale_version"
    r = client.patch(
        url, json={"version": 2, "note": "已电话沟通"}, headers=market.headers("broker")
    )
    assert r.status_code == 200 and r.json()["note"] == "已电话沟通"
    r = client.patch(url, json={"version": 3, "note": "x"}, headers=market.headers("need_owner"))
    assert r.status_code == 404  # an approved match is not theirs to see yet
    match2 = create_match(
        session, market.need, create_capability(session, market.users["cap_owner"]), "recommended"
    )
    r = client.post(
        f"/api/v1/matches/{match2.id}/interest",
        json={"version": 5},
        headers=market.headers("cap_owner"),
    )
    assert r.status_code == 409 and r.json()["error"] == "stale_version"


def test_conflict_of_interest(client, session: Session, market: Market) -> None:
    """A broker working for either party may not review or add its match."""
    match = market.match(session)
    insiders = {
        "need side": create_user(
            session, Role.broker, org=session.get(Organization, market.need.org_id)
        ),
        "capability side": create_user(
            session, Role.broker, org=session.get(Organization, market.cap.org_id)
        ),
    }
    for label, insider in insiders.items():
        listed = client.get(f"/api/v1/matches/{match.id}", headers=auth(insider)).json()
        assert listed["actions"] == [], label
        for action in ("approve", "reject"):
            r = client.post(
                f"/api/v1/matches/{match.id}/{action}",
                json={"reason": "理由"},
                headers=auth(insider),
            )
            assert r.status_code == 403 and r.json()["error"] == "conflict_of_interest", label
        other = create_capability(session, market.users["cap_owner"])
        r = client.post(
            "/api/v1/matches",
            json={"need_id": market.need.id, "capability_id": other.id},
            headers=auth(insider),
        )
        assert r.status_code == 403 and r.json()["error"] == "conflict_of_interest", label
    session.expire_all()
    assert session.get(Match, match.id).status == "candidate"  # type: ignore[union-attr]


def test_manual_match(client, session: Session, market: Market) -> None:
    body = {"need_id": market.need.id, "capability_id": market.cap.id, "note": "展会上认识"}
    r = client.post("/api/v1/matches", json=body, headers=market.headers("broker"))
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["status"], made["origin"], made["note"]) == ("approved", "broker", "展会上认识")
    assert made["broker"]["id"] == market.users["broker"].id
    # a pair a broker chose has no engine score: null, not 0
    assert (made["score"], made["band"], made["parts"]) == (None, None, {})
    stored = session.get(Match, made["id"])
    assert stored is not None and stored.created_by_id == market.users["broker"].id
    assert stored.score is None and stored.features is None
    history = client.get(f"/api/v1/matches/{made['id']}/history", headers=market.headers("admin"))
    assert [(e["action"], e["to_state"]) for e in history.json()] == [("add", "approved")]
    r = client.post("/api/v1/matches", json=body, headers=market.headers("admin"))
    assert r.status_code == 409 and r.json()["error"] == "duplicate_match"
    # a pair the engine already proposed is a duplicate too
    cap2 = create_capability(session, market.users["cap_owner"])
    create_match(session, market.need, cap2)
    pair = {"need_id": market.need.id, "capability_id": cap2.id}
    r = client.post("/api/v1/matches", json=pair, headers=market.headers("broker"))
    assert r.status_code == 409 and r.json()["error"] == "duplicate_match"


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("need_owner", 403, "wrong_role"),
        ("cap_owner", 403, "wrong_role"),
        ("other_enterprise", 403, "wrong_role"),
        ("expert", 403, "wrong_role"),
        ("public", 401, "not_authenticated"),
    ],
)
def test_manual_match_roles(
    client, session: Session, market: Market, role: str, status: int, code: str
) -> None:
    body = {"need_id": market.need.id, "capability_id": market.cap.id}
    r = client.post("/api/v1/matches", json=body, headers=market.headers(role))
    assert r.status_code == status and r.json()["error"] == code
    assert session.scalars(select(Match)).all() == []


def test_manual_match_postings(client, session: Session, market: Market) -> None:
    owner, lab = market.users["need_owner"], market.users["cap_owner"]
    cases = [
        (create_need(session, owner, status="submitted").id, market.cap.id, 404),
        (create_need(session, owner, status="under_review").id, market.cap.id, 409),
        (market.need.id, create_capability(session, lab, status="draft").id, 404),
        (market.need.id, create_capability(session, lab, status="archived").id, 404),
        (999999, market.cap.id, 404),
    ]
    for need_id, cap_id, status in cases:
        body = {"need_id": need_id, "capability_id": cap_id}
        r = client.post("/api/v1/matches", json=body, headers=market.headers("broker"))
        assert r.status_code == status, (need_id, cap_id, r.text)
        if status == 409:
            assert r.json()["error"] == "posting_not_open"
    for bad in ({}, {"need_id": 0, "capability_id": 1}, {"need_id": 1, "capability_id": 1, "x": 1}):
        r = client.post("/api/v1/matches", json=bad, headers=market.headers("broker"))
        assert r.status_code == 422, bad
    # approve / recommend also need both postings still open
    match = market.match(session)
    before = client.get(f"/api/v1/matches/{match.id}", headers=market.headers("broker")).json()
    assert "approve" in before["actions"]
    market.need.status = "withdrawn"
    session.flush()
    r = _post(client, market, "broker", match.id, "approve")
    assert r.status_code == 409 and r.json()["error"] == "posting_not_open"
    # and the broker is not offered a button that can only fail
    after = client.get(f"/api/v1/matches/{match.id}", headers=market.headers("broker")).json()
    assert after["actions"] == ["reject"]


def test_who_sees_what(client, session: Session, market: Market) -> None:
    owner, lab = market.users["need_owner"], market.users["cap_owner"]
    caps = [create_capability(session, lab, title=f"成果{i}") for i in range(8)]
    by_status = {
        status: create_match(session, market.need, caps[i], status=status, score=0.1 * (i + 1))
        for i, status in enumerate(
            ("candidate", "approved", "rejected", "recommended", "connected", "negotiating", "deal")
        )
    }
    side_ids = {by_status[s].id for s in ("recommended", "connected", "negotiating", "deal")}
    for role in ("broker", "admin"):
        r = client.get("/api/v1/matches", headers=market.headers(role))
        assert r.json()["total"] == 7, role
    for role in ("need_owner", "cap_owner"):
        r = client.get("/api/v1/matches", headers=market.headers(role))
        assert {m["id"] for m in r.json()["items"]} == side_ids, role
        for status in ("candidate", "approved", "rejected"):
            url = f"/api/v1/matches/{by_status[status].id}"
            assert client.get(url, headers=market.headers(role)).status_code == 404
    for role in ("other_enterprise", "other_researcher"):
        assert client.get("/api/v1/matches", headers=market.headers(role)).json()["total"] == 0
        url = f"/api/v1/matches/{by_status['deal'].id}"
        assert client.get(url, headers=market.headers(role)).status_code == 404
    r = client.get("/api/v1/matches", headers=market.headers("expert"))
    assert r.status_code == 403 and r.json()["error"] == "wrong_role"
    assert client.get("/api/v1/matches").status_code == 401
    assert client.get("/api/v1/matches/board").status_code == 401
    # the sides see neither the broker's note nor a reject reason; contacts per posting rules
    seen = client.get(f"/api/v1/matches/{by_status['deal'].id}", headers=auth(lab)).json()
    assert seen["note"] is None and seen["reject_reason"] is None
    assert seen["need"]["contact"] is None and seen["capability"]["contact"] is not None
    seen = client.get(f"/api/v1/matches/{by_status['deal'].id}", headers=auth(owner)).json()
    assert seen["need"]["contact"] is not None and seen["capability"]["contact"] is None
    seen = client.get(f"/api/v1/matches/{by_status['deal'].id}", headers=market.headers("broker"))
    assert seen.json()["need"]["contact"] and seen.json()["capability"]["contact"]


def test_anonymous_need_hides_enterprise(client, session: Session, market: Market) -> None:
    market.need.visibility = "anonymous"
    session.flush()
    match = market.match(session, status="recommended")
    url = f"/api/v1/matches/{match.id}"
    assert client.get(url, headers=market.headers("cap_owner")).json()["need"]["org"] is None
    assert client.get(url, headers=market.headers("need_owner")).json()["need"]["org"]
    assert client.get(url, headers=market.headers("broker")).json()["need"]["org"]


def test_queue_filters_sort_and_board(client, session: Session, market: Market) -> None:
    lab, owner = market.users["cap_owner"], market.users["need_owner"]
    robot = create_need(session, owner, field_code="intelligent_manufacturing")
    caps = [create_capability(session, lab) for _ in range(4)]
    caps.append(create_capability(session, lab))
    low = create_match(session, market.need, caps[0], score=35.0)
    high = create_match(session, market.need, caps[1], score=91.0)
    mid = create_match(session, robot, caps[2], score=60.0)
    done = create_match(session, robot, caps[3], status="deal", broker_id=market.users["broker"].id)
    manual = create_match(
        session, market.need, caps[4], status="approved", origin="broker", score=None, parts={}
    )
    headers = market.headers("broker")

    def ids(**params: object) -> list[int]:
        r = client.get("/api/v1/matches", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [m["id"] for m in r.json()["items"]]

    assert ids(status="candidate") == [high.id, mid.id, low.id]
    assert ids(status="candidate", sort="score") == [low.id, mid.id, high.id]
    assert ids(status="candidate", sort="created_at") == [low.id, high.id, mid.id]
    assert ids(field="intelligent_manufacturing") == [done.id, mid.id]
    assert ids(min_score=50, status="candidate") == [high.id, mid.id]
    # no engine score: last in either order, never above a threshold
    assert ids(need_id=market.need.id) == [high.id, low.id, manual.id]
    assert ids(need_id=market.need.id, sort="score") == [low.id, high.id, manual.id]
    assert manual.id not in ids(min_score=0)
    banded = client.get(f"/api/v1/matches/{high.id}", headers=headers).json()
    assert (banded["score"], banded["band"], banded["band_label"]) == (91.0, "high", "高")
    assert ids(need_id=robot.id) == [done.id, mid.id]
    assert ids(capability_id=caps[0].id) == [low.id]
    assert ids(broker_id=market.users["broker"].id) == [done.id]
    assert ids(status="candidate", page_size=1, page=2) == [mid.id]
    bad_params = ({"status": "nope"}, {"sort": "title"}, {"min_score": -1}, {"min_score": 101})
    for bad in (*bad_params, {"need_id": 0}):
        assert client.get("/api/v1/matches", params=bad, headers=headers).status_code == 422
    board = client.get("/api/v1/matches/board", headers=headers).json()
    counts = {s["status"]: s["count"] for s in board["stages"]}
    assert board["total"] == 5 and counts["candidate"] == 3 and counts["deal"] == 1
    assert list(counts) == [
        "candidate",
        "approved",
        "rejected",
        "recommended",
        "connected",
        "negotiating",
        "deal",
        "declined",
    ]
    board = client.get("/api/v1/matches/board", params={"field": "display"}, headers=headers).json()
    assert board["total"] == 3
    side = client.get("/api/v1/matches/board", headers=market.headers("need_owner")).json()
    assert side["total"] == 1  # only the deal has reached them


def test_notifications(client, session: Session, market: Market) -> None:
    colleague = create_user(
        session, Role.enterprise, org=session.get(Organization, market.need.org_id)
    )
    match = market.match(session, status="approved")
    assert _post(client, market, "broker", match.id, "recommend").status_code == 200

    def kinds(user_id: int) -> list[tuple[str, str | None]]:
        rows = session.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
        return [(n.kind, n.link) for n in rows]

    link = f"/matches/{match.id}"
    for user in (market.users["need_owner"], colleague, market.users["cap_owner"]):
        assert kinds(user.id) == [("match_recommended", link)]
    assert kinds(market.users["other_enterprise"].id) == []
    for side in ("need_owner", "cap_owner"):
        client.post(f"/api/v1/matches/{match.id}/interest", headers=market.headers(side))
    broker_notes = session.scalars(
        select(Notification)
        .where(Notification.user_id == market.users["broker"].id)
        .order_by(Notification.id)
    ).all()
    assert [n.kind for n in broker_notes] == ["match_interest", "match_interest"]
    assert "双方" in broker_notes[-1].title
    _post(client, market, "broker", match.id, "connect")
    _post(client, market, "broker", match.id, "negotiate")
    market.need.status = "awarded"  # a deal waits for the end of the 揭榜 round
    session.flush()
    _post(client, market, "broker", match.id, "deal", contract_value_wan="50")
    assert [k for k, _ in kinds(market.users["cap_owner"].id)] == [
        "match_recommended",
        "match_connected",
        "match_negotiating",
        "match_deal",
    ]
    rejected = create_match(
        session, market.need, create_capability(session, market.users["cap_owner"])
    )
    _post(client, market, "broker", rejected.id, "reject", reason="不相关")
    assert len(kinds(market.users["cap_owner"].id)) == 4  # candidate reviews stay internal
