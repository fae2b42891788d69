"""揭榜结果公示: the awards of public needs — winner, amount, date — the same for every role and
for visitors; anonymous, brokers-only, unawarded and terminated needs never appear."""

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from service.applications import service as applications
from service.kit.clock import today
from service.models import ApplicationMember
from service.models.enums import OrgKind, Role
from tests.factories import auth, create_application, create_need, create_org, create_user

URL = "/api/v1/needs/results"
ROLES = ("visitor", Role.enterprise, Role.researcher, Role.broker, Role.expert, Role.admin)


def _award(session: Session, owner, title: str, amount: str, **need):  # noqa: ANN001, ANN202
    """A need of `owner` awarded to a new university's application for `amount` 万元."""
    need_row = create_need(session, owner, title=title, **need)
    lab = create_user(session, Role.researcher, org=create_org(session, OrgKind.university))
    app = create_application(session, need_row, lab)
    applications.award(session, owner, app.id, Decimal(amount))
    return need_row, app


@pytest.fixture
def board(session: Session) -> dict:
    owner = create_user(session, Role.enterprise)
    # A consortium: the lead, a confirmed member, a member who declined.
    shown = create_need(
        session, owner, title="柔性OLED薄膜封装水汽阻隔性能提升", bounty=Decimal("1800000.00")
    )
    lead = create_user(
        session, Role.researcher, org=create_org(session, OrgKind.university, name="苏南理工大学")
    )
    partner = create_org(session, OrgKind.institute, name="纳微材料研究院")
    declined = create_org(session, OrgKind.enterprise, name="华彩高分子材料有限公司")
    app = create_application(
        session, shown, lead, members=[(partner, "30"), (declined, "0")], lead_share="70"
    )
    session.query(ApplicationMember).filter_by(application_id=app.id, org_id=declined.id).update(
        {"status": "declined"}
    )
    session.expire_all()
    applications.award(session, owner, app.id, Decimal("160"))
    started, _ = _award(session, owner, "面板厂洁净室AMR多车调度与路径优化", "90")
    started.status = "in_progress"
    hidden = [
        _award(session, owner, "超薄晶圆激光隐形切割崩边控制", "50", visibility="anonymous")[0],
        _award(session, owner, "钠离子电池高首效硬碳负极材料", "40", visibility="brokers_only")[0],
    ]
    stopped, _ = _award(session, owner, "扇出型晶圆级封装重构晶圆翘曲控制", "70")
    stopped.status = "terminated"
    open_need = create_need(session, owner, title="车载显示盖板低反射抗眩光镀膜")
    create_application(session, open_need, create_user(session, Role.researcher))
    session.flush()
    return {
        "owner": owner,
        "shown": shown,
        "started": started,
        "hidden": [*hidden, stopped, open_need],
    }


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_every_role_reads_the_same_public_results(
    client, session: Session, board: dict, role
) -> None:
    headers = {} if role == "visitor" else auth(create_user(session, role))
    r = client.get(URL, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["need_id"] for i in body["items"]] == [board["started"].id, board["shown"].id]
    assert body["total"] == 2
    first = body["items"][1]
    assert first["need_title"] == "柔性OLED薄膜封装水汽阻隔性能提升"
    assert first["winner"]["name"] == "苏南理工大学"
    assert [m["name"] for m in first["members"]] == ["纳微材料研究院"]  # not the one who declined
    assert first["amount_wan"] == "160" and first["bounty_wan"] == "180"
    assert first["awarded_on"] == today().isoformat()
    assert first["status_label"] == "揭榜成功"
    assert body["items"][0]["status_label"] == "实施中"


def test_private_needs_never_appear(client, board: dict) -> None:
    body = client.get(URL, params={"page_size": 100}).json()
    listed = {i["need_id"] for i in body["items"]}
    assert listed.isdisjoint(n.id for n in board["hidden"])
    assert "contact" not in str(body) and "13900000000" not in str(body)


def test_pages_and_bad_paging(client, board: dict) -> None:
    one = client.get(URL, params={"page_size": 1, "page": 2}).json()
    assert one["total"] == 2 and [i["need_id"] for i in one["items"]] == [board["shown"].id]
    for bad in ({"page_size": 0}, {"page_size": 101}, {"page": "abc"}):
        r = client.get(URL, params=bad)
        assert r.status_code == 422, bad
        assert "detail" in r.json()
