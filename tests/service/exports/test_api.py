"""Admin exports parse back (csv module, openpyxl) with the right rows; everyone else refused."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from service.models import Application, ApplicationMember, User
from service.models.enums import OrgKind, Role
from tests.factories import (
    auth,
    create_capability,
    create_match,
    create_need,
    create_org,
    create_user,
)


@pytest.fixture
def admin(session: Session) -> User:
    owner = create_user(session, Role.enterprise)
    lab = create_user(session, Role.researcher)
    broker = create_user(session, Role.broker, display_name="经纪人甲")
    need = create_need(
        session,
        owner,
        title='=HYPERLINK("http://x")需求',
        bounty=Decimal("1234567.89"),
        keywords=["封装", "阻隔"],
        indicators=[{"name": "良率", "comparator": ">=", "value": "99.5", "unit": "%"}],
    )
    create_need(session, owner, status="draft", title="别人的草稿")
    cap = create_capability(session, lab, title="原子层沉积阻隔膜", price_min=Decimal("800000"))
    create_capability(session, lab, status="draft", title="成果草稿")
    partner = create_org(session, OrgKind.institute, name="合作院所")
    app = Application(
        need_id=need.id,
        org_id=lab.org_id,
        created_by_id=lab.id,
        technical_plan="方案",
        work_plan="计划",
        assessable_goals="目标",
        requested_amount=Decimal("1000000.50"),
        timeline_months=18,
        team="团队",
        status="awarded",
        committed_amount=Decimal("1234567.89"),
        members=[
            ApplicationMember(org_id=lab.org_id, share=Decimal("70"), is_lead=True),
            ApplicationMember(org_id=partner.id, share=Decimal("30")),
        ],
    )
    session.add(app)
    create_match(
        session,
        need,
        cap,
        status="deal",
        broker_id=broker.id,
        contract_value=Decimal("123456.78"),
        need_interest=True,
        capability_interest=True,
        score=87.34,
    )
    session.flush()
    return create_user(session, Role.admin)


def _csv(client, admin: User, dataset: str) -> list[dict[str, str]]:
    r = client.get(f"/api/v1/exports/{dataset}.csv", headers=auth(admin))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert f"jiebang-{dataset}-" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the file as UTF-8
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def _xlsx(client, admin: User, dataset: str) -> list[dict[str, object]]:
    r = client.get(f"/api/v1/exports/{dataset}.xlsx", headers=auth(admin))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    headers = [str(h) for h in rows[0]]
    return [dict(zip(headers, row, strict=True)) for row in rows[1:]]


def test_needs_export(client, admin: User) -> None:
    rows = _csv(client, admin, "needs")
    assert [r["标题"] for r in rows] == ['\'=HYPERLINK("http://x")需求']  # no formula, no drafts
    row = rows[0]
    assert row["悬赏金额（万元）"] == "123.456789"
    assert row["关键词"] == "封装、阻隔" and row["技术指标"] == "良率 ≥ 99.5 %"
    assert row["状态"] == "张榜中" and row["所属领域"] and row["联系电话"] == "13900000000"
    sheet = _xlsx(client, admin, "needs")
    assert len(sheet) == 1
    assert sheet[0]["标题"] == '=HYPERLINK("http://x")需求'
    r = client.get("/api/v1/exports/needs.xlsx", headers=auth(admin))
    title = load_workbook(io.BytesIO(r.content)).worksheets[0]["B2"]
    assert title.data_type == "s"  # stored as text, not as a formula ("f")
    assert Decimal(str(sheet[0]["悬赏金额（万元）"])) == Decimal("123.456789")
    assert sheet[0]["状态"] == "张榜中"


def test_capabilities_export(client, admin: User) -> None:
    for rows in (_csv(client, admin, "capabilities"), _xlsx(client, admin, "capabilities")):
        assert [r["标题"] for r in rows] == ["原子层沉积阻隔膜"]
        assert Decimal(str(rows[0]["价格下限（万元）"])) == Decimal(80)
        assert rows[0]["成熟度"] == "已有样品"


def test_applications_export(client, admin: User) -> None:
    for rows in (_csv(client, admin, "applications"), _xlsx(client, admin, "applications")):
        assert len(rows) == 1
        row = rows[0]
        assert row["联合体成员及占比"].endswith("合作院所 30%")  # type: ignore[union-attr]
        assert Decimal(str(row["申请金额（万元）"])) == Decimal("100.00005")
        assert Decimal(str(row["承诺悬赏金额（万元）"])) == Decimal("123.456789")
        assert row["状态"] == "揭榜成功"


def test_matches_export(client, admin: User) -> None:
    for rows in (_csv(client, admin, "matches"), _xlsx(client, admin, "matches")):
        assert len(rows) == 1
        row = rows[0]
        assert (row["状态"], row["来源"], row["经纪人"]) == ("已签约", "引擎推荐", "经纪人甲")
        assert Decimal(str(row["合同金额（万元）"])) == Decimal("12.345678")
        assert row["需求方有意向"] == "是" and float(str(row["匹配度（0–100）"])) == 87.3


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_refusals(client, session: Session, admin: User, fmt: str) -> None:
    url = f"/api/v1/exports/needs.{fmt}"
    assert client.get(url).status_code == 401
    for role in (Role.broker, Role.enterprise, Role.researcher, Role.expert):
        r = client.get(url, headers=auth(create_user(session, role)))
        assert r.status_code == 403 and r.json()["error"] == "wrong_role", role
    for bad in ("/api/v1/exports/users.csv", "/api/v1/exports/needs.pdf", "/api/v1/exports/needs"):
        assert client.get(bad, headers=auth(admin)).status_code in (404, 422), bad
