"""The broker queue's score-band and keyword filters and its per-need groups, with the same
filters, and who may ask."""

import pytest
from sqlalchemy.orm import Session

from service.models.enums import AccountStatus, Role
from tests.factories import auth, create_capability, create_match, create_need, create_user
from tests.service.match_market import ROLES, Market, build_market


@pytest.fixture
def market(session: Session) -> Market:
    return build_market(session)


@pytest.fixture
def queue(session: Session, market: Market) -> dict:
    lab, owner = market.users["cap_owner"], market.users["need_owner"]
    robot = create_need(session, owner, title="焊接机器人视觉纠偏")
    caps = [create_capability(session, lab, title=f"成果{i}") for i in range(5)]
    caps.append(create_capability(session, lab, title="激光视觉焊缝跟踪"))
    return {
        "robot": robot,
        "high": create_match(session, market.need, caps[0], score=50.0),  # the edge: 高
        "mid": create_match(session, market.need, caps[1], score=49.9),
        "low": create_match(session, market.need, caps[2], score=19.99),
        "edge": create_match(session, robot, caps[3], score=20.0),  # the edge: 中
        "manual": create_match(
            session, robot, caps[4], status="approved", origin="broker", score=None, parts={}
        ),
        "seam": create_match(session, robot, caps[5], score=72.0),
    }


def _ids(client, market: Market, **params: object) -> list[int]:
    r = client.get("/api/v1/matches", params=params, headers=market.headers("broker"))
    assert r.status_code == 200, r.text
    return [m["id"] for m in r.json()["items"]]


def test_band_and_keyword_filters(client, market: Market, queue: dict) -> None:
    q = {k: v.id for k, v in queue.items() if k != "robot"}
    assert _ids(client, market, band="high") == [q["seam"], q["high"]]
    assert _ids(client, market, band="medium") == [q["mid"], q["edge"]]
    assert _ids(client, market, band="low") == [q["low"]]  # a manual match has no band
    # keyword: in the need's title or the capability's title, literally (no LIKE wildcards)
    assert _ids(client, market, q="焊接机器人") == [q["seam"], q["edge"], q["manual"]]
    assert _ids(client, market, q="焊缝跟踪") == [q["seam"]]
    assert _ids(client, market, q="%") == [] and _ids(client, market, q="_") == []
    # combined with the stage, the field and the need
    assert _ids(client, market, q="焊接", band="medium", status="candidate") == [q["edge"]]
    assert _ids(client, market, need_id=queue["robot"].id, band="high") == [q["seam"]]
    board = client.get(
        "/api/v1/matches/board", params={"band": "high"}, headers=market.headers("broker")
    ).json()
    assert board["total"] == 2
    for bad in ({"band": "top"}, {"q": ""}, {"q": "长" * 51}, {"q": "a\x00"}):
        r = client.get("/api/v1/matches", params=bad, headers=market.headers("broker"))
        assert r.status_code == 422, bad


def test_matches_grouped_by_need(client, market: Market, queue: dict) -> None:
    url = "/api/v1/matches/needs"
    r = client.get(url, headers=market.headers("broker"))
    assert r.status_code == 200, r.text
    body = r.json()
    robot = queue["robot"]
    assert body["total"] == 2
    groups = [(g["need_id"], g["count"], g["best_score"], g["band_label"]) for g in body["items"]]
    assert groups == [
        (robot.id, 3, 72.0, "高"),
        (market.need.id, 3, 50.0, "高"),
    ]
    assert body["items"][0]["need_title"] == "焊接机器人视觉纠偏"
    # the same filters as the queue (a need filter is ignored: the groups are the need picker)
    params = {"status": "candidate", "band": "medium", "need_id": robot.id}
    groups = client.get(url, params=params, headers=market.headers("broker")).json()["items"]
    assert [(g["need_id"], g["count"]) for g in groups] == [
        (market.need.id, 1),
        (robot.id, 1),
    ]
    paged = client.get(url, params={"page_size": 1, "page": 2}, headers=market.headers("admin"))
    assert [g["need_id"] for g in paged.json()["items"]] == [market.need.id]
    assert paged.json()["total"] == 2


@pytest.mark.parametrize("role", ROLES)
def test_who_may_ask_for_groups_and_filters(
    client, session: Session, market: Market, queue: dict, role: str
) -> None:
    """Brokers and admins see every group; the two sides only what was recommended to them
    (nothing here: every match is a candidate or broker-approved); experts are refused, the
    public must sign in."""
    for url in ("/api/v1/matches/needs", "/api/v1/matches"):
        r = client.get(url, params={"band": "high", "q": "焊接"}, headers=market.headers(role))
        if role == "public":
            assert r.status_code == 401
        elif role == "expert":
            assert r.status_code == 403 and r.json()["error"] == "wrong_role"
        else:
            assert r.status_code == 200, r.text
            expected = 1 if role in ("broker", "admin") else 0
            assert r.json()["total"] == expected, (role, url)


def test_a_pending_broker_is_refused(client, session: Session, market: Market) -> None:
    pending = create_user(session, Role.broker, status=AccountStatus.pending)
    r = client.get("/api/v1/matches/needs", headers=auth(pending))
    assert r.status_code == 403 and r.json()["error"] == "account_pending"
