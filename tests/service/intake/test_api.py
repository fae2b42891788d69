"""Intake through the API: templates, the dry run and its marked report, the import in
steps (drafts through the need/capability services), re-uploads, and every refusal."""

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from service.intake import service
from service.models import AuditEvent, Capability, Need, Organization, User
from service.models.enums import OrgKind, Role
from tests.factories import auth, create_need, create_org, create_user
from tests.service.intake.sheets import (
    CAPABILITIES,
    capability_row,
    csv_bytes,
    need_row,
    xlsx,
    zip_bomb,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _check(
    client: Any,
    user: User,
    content: bytes,
    kind: str = "needs",
    name: str = "需求.xlsx",
    **form: Any,
) -> Any:
    return client.post(
        f"/api/v1/intake/{kind}/check",
        files={"file": (name, content, XLSX)},
        data={k: str(v) for k, v in form.items()},
        headers=auth(user),
    )


def _import(client: Any, user: User, batch_id: int, only_valid: bool = False) -> Any:
    return client.post(
        f"/api/v1/intake/batches/{batch_id}/import",
        json={"only_valid": only_valid},
        headers=auth(user),
    )


def _needs(session: Session, org_id: int) -> list[Need]:
    session.expire_all()
    return list(session.scalars(select(Need).where(Need.org_id == org_id).order_by(Need.id)))


def test_template_has_headers_dropdowns_example_and_instructions(client, session: Session) -> None:
    user = create_user(session, Role.enterprise)
    r = client.get("/api/v1/intake/needs/template.xlsx", headers=auth(user))
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    workbook = load_workbook(io.BytesIO(r.content))
    assert workbook.sheetnames == ["技术需求", "选项", "填写说明"]
    data = workbook["技术需求"]
    headers = [c.value for c in data[1]]
    assert headers[:3] == ["外部编号*", "需求名称*", "主要问题*"] and "应用行业" in headers
    assert data["A2"].value.startswith("示例")
    ranges = {str(v.sqref).split(":")[0]: v.formula1 for v in data.data_validations.dataValidation}
    field, mode, visibility = (headers.index(h) for h in ("所属领域*", "合作方式*", "公开方式"))
    letters = [data.cell(row=2, column=i + 1).column_letter for i in (field, mode, visibility)]
    assert all(f"{letter}2" in ranges for letter in letters)
    options = workbook["选项"]
    assert "新型显示" in [c.value for c in options[letters[0]]]
    assert "联合攻关" in [c.value for c in options[letters[1]]]
    assert "仅技术经纪人可见" in [c.value for c in options[letters[2]]]
    assert "导入说明" in workbook["填写说明"]["A1"].value
    # The template itself uploads cleanly: its one row is the example, skipped.
    r = _check(client, user, r.content)
    assert r.status_code == 201, r.text
    assert r.json()["example_rows"] == 1 and r.json()["issues"] == []


@pytest.mark.parametrize(
    ("role", "kind", "status"),
    [
        (Role.admin, "needs", 200),
        (Role.admin, "capabilities", 200),
        (Role.enterprise, "needs", 200),
        (Role.enterprise, "capabilities", 403),
        (Role.researcher, "capabilities", 200),
        (Role.researcher, "needs", 403),
        (Role.broker, "needs", 403),
        (Role.broker, "capabilities", 403),
        (Role.expert, "needs", 403),
        (Role.expert, "capabilities", 403),
    ],
)
def test_template_roles(client, session: Session, role: Role, kind: str, status: int) -> None:
    user = create_user(session, role)
    r = client.get(f"/api/v1/intake/{kind}/template.xlsx", headers=auth(user))
    assert r.status_code == status
    if status == 403:
        assert r.json()["error"] == "wrong_role"


def test_anonymous_refused(client) -> None:
    assert client.get("/api/v1/intake/needs/template.xlsx").status_code == 401
    r = client.post("/api/v1/intake/needs/check", files={"file": ("a.xlsx", b"x", XLSX)})
    assert r.status_code == 401 and r.json()["error"] == "not_authenticated"


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        (Role.broker, "needs"),
        (Role.expert, "needs"),
        (Role.researcher, "needs"),
        (Role.broker, "capabilities"),
        (Role.expert, "capabilities"),
        (Role.enterprise, "capabilities"),
    ],
)
def test_check_refused_for_other_roles(client, session: Session, role: Role, kind: str) -> None:
    user = create_user(session, role)
    r = _check(client, user, xlsx([need_row()]), kind)
    assert r.status_code == 403 and r.json()["error"] == "wrong_role"


def test_dry_run_then_import_creates_drafts_through_the_service(client, session: Session) -> None:
    user = create_user(session, Role.enterprise)
    rows = [need_row("XQ-001"), need_row("XQ-002", 需求名称="高精度定位平台研制")]
    r = _check(client, user, xlsx(rows))
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["status"] == "checked" and report["status_label"] == "已检查，未导入"
    assert (report["total_rows"], report["valid_rows"], report["will_create"]) == (2, 2, 2)
    assert _needs(session, user.org_id) == []  # a dry run stores no posting
    r = _import(client, user, report["id"])
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["status"], done["processed"], done["created"]) == ("imported", 2, 0 + 2)
    needs = _needs(session, user.org_id)
    assert [n.external_ref for n in needs] == ["XQ-001", "XQ-002"]
    first = needs[0]
    assert first.status == "draft" and first.created_by_id == user.id
    assert str(first.bounty) == "3005000.00" and first.field_code == "display"
    assert first.indicators[0] == {
        "name": "水汽透过率",
        "comparator": "<=",
        "value": "0.000001",
        "unit": "g/m2/d",
    }
    assert first.call_type == "jiebang_guashuai" and first.contact_phone == "13800000000"
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "need", AuditEvent.object_id == first.id)
    ).all()
    assert [(e.action, e.to_state, e.actor_id) for e in events] == [("create", "draft", user.id)]
    # Seen by its owner like a draft from the web form, and importing again is a no-op.
    r = client.get(f"/api/v1/needs/{first.id}", headers=auth(user))
    assert r.status_code == 200 and r.json()["actions"][:2] == ["edit", "submit"]
    assert _import(client, user, report["id"]).json()["created"] == 2


def test_errors_reported_per_row_and_column_and_marked_in_xlsx(client, session: Session) -> None:
    user = create_user(session, Role.enterprise)
    rows = [
        need_row("XQ-001"),
        need_row("XQ-002", 所属领域="量子玄学", 联系电话="打电话", 合作方式=""),
        need_row("XQ-001", 悬赏金额="", **{"悬赏金额（万元）": "=100*3"}),
        need_row("XQ-004", 需求名称="短", 揭榜截止日期="2020-01-01", 技术指标="良率很高"),
    ]
    report = _check(client, user, xlsx(rows)).json()
    assert (report["valid_rows"], report["error_rows"]) == (1, 3)
    found = {(i["row"], i["column"]): i["message"] for i in report["issues"]}
    assert "未知的所属领域「量子玄学」" in found[(3, "所属领域")]
    assert found[(3, "联系电话")] == "格式不正确（5–30 位数字）"
    assert found[(3, "合作方式")] == "「合作方式」必须填写"
    assert found[(4, "外部编号")] == "与第 2 行的外部编号重复"
    assert "公式" in found[(4, "悬赏金额（万元）")]
    assert "4–100" in found[(5, "需求名称")] or "不能少于 4" in found[(5, "需求名称")]
    assert "晚于今天" in found[(5, "揭榜截止日期")]
    assert "名称 ≥ 数值 单位" in found[(5, "技术指标")]
    r = client.get(f"/api/v1/intake/batches/{report['id']}/report.xlsx", headers=auth(user))
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(r.content))["技术需求"]
    headers = [c.value for c in sheet[1]]
    result = headers.index("检查结果") + 1
    phone = sheet.cell(row=3, column=headers.index("联系电话*") + 1)
    assert phone.fill.fgColor.rgb.endswith("FFC7CE") and "格式不正确" in phone.comment.text
    assert sheet.cell(row=2, column=result).value == "通过：将新建草稿"
    assert "联系电话：格式不正确" in sheet.cell(row=3, column=result).value
    bounty = sheet.cell(row=4, column=headers.index("悬赏金额（万元）*") + 1)
    assert bounty.value == "=100*3" and bounty.data_type == "s"  # shown, never a formula
    # Import all is refused while rows have errors; only the valid ones on request.
    r = _import(client, user, report["id"])
    assert r.status_code == 409 and r.json()["error"] == "rows_have_errors"
    assert "3 行未通过检查" in r.json()["detail"]
    r = _import(client, user, report["id"], only_valid=True)
    assert (r.json()["created"], r.json()["skipped"]) == (1, 3)
    assert [n.external_ref for n in _needs(session, user.org_id)] == ["XQ-001"]


def test_reupload_updates_the_draft_and_refuses_a_submitted_one(client, session: Session) -> None:
    user = create_user(session, Role.enterprise)
    batch = _check(client, user, xlsx([need_row("XQ-001"), need_row("XQ-002")])).json()
    _import(client, user, batch["id"])
    first, second = _needs(session, user.org_id)
    second.status = "submitted"
    session.flush()
    again = [need_row("XQ-001", 需求名称="改过的需求名称", 应用行业=""), need_row("XQ-002")]
    report = _check(client, user, xlsx(again)).json()
    assert report["will_update"] == 1 and report["error_rows"] == 1
    [issue] = report["issues"]
    assert issue["column"] == "外部编号"
    assert issue["message"] == (
        "外部编号「XQ-002」对应的需求当前为「待审核」，只有草稿或已驳回的需求可以通过导入更新"
    )
    r = _import(client, user, report["id"], only_valid=True)
    assert (r.json()["updated"], r.json()["created"]) == (1, 0)
    needs = _needs(session, user.org_id)
    assert len(needs) == 2 and needs[0].title == "改过的需求名称" and needs[0].industry == ""
    assert needs[0].id == first.id and needs[0].version == first.version


def test_state_changed_since_the_check_fails_that_row_only(client, session: Session) -> None:
    user = create_user(session, Role.enterprise)
    existing = create_need(session, user, status="draft", external_ref="XQ-001")
    report = _check(client, user, xlsx([need_row("XQ-001"), need_row("XQ-002")])).json()
    assert report["will_update"] == 1
    existing.status = "published"
    session.flush()
    done = _import(client, user, report["id"]).json()
    assert (done["status"], done["created"], done["updated"]) == ("imported", 1, 0)
    assert done["failures"] == [
        {
            "row": 2,
            "column": None,
            "message": "外部编号「XQ-001」对应的需求当前为「张榜中」，"
            "只有草稿或已驳回的需求可以通过导入更新",
        }
    ]


def test_import_in_steps_with_progress(client, session: Session, monkeypatch) -> None:
    monkeypatch.setattr(service, "STEP", 2)
    user = create_user(session, Role.enterprise)
    report = _check(client, user, xlsx([need_row(f"XQ-{i}") for i in range(5)])).json()
    seen = []
    while True:
        step = _import(client, user, report["id"]).json()
        seen.append((step["status"], step["processed"]))
        if step["status"] == "imported":
            break
    assert seen == [("importing", 2), ("importing", 4), ("imported", 5)]
    r = client.get(f"/api/v1/intake/batches/{report['id']}", headers=auth(user))
    assert r.json()["created"] == 5 and r.json()["only_valid"] is False
    r = _import(client, user, report["id"], only_valid=True)
    assert r.status_code == 200  # finished: a retry changes nothing


def test_mode_cannot_change_mid_import(client, session: Session, monkeypatch) -> None:
    monkeypatch.setattr(service, "STEP", 1)
    user = create_user(session, Role.enterprise)
    report = _check(client, user, xlsx([need_row("XQ-1"), need_row("XQ-2")])).json()
    assert _import(client, user, report["id"]).json()["status"] == "importing"
    r = _import(client, user, report["id"], only_valid=True)
    assert r.status_code == 409 and r.json()["error"] == "mode_mismatch"


def test_admin_imports_on_behalf_of_an_organisation(client, session: Session) -> None:
    admin = create_user(session, Role.admin)
    lab = create_org(session, OrgKind.university)
    company = create_org(session, OrgKind.enterprise)
    content = xlsx([capability_row()], CAPABILITIES)
    r = _check(client, admin, content, "capabilities")
    assert r.status_code == 400 and r.json()["error"] == "org_required"
    r = _check(client, admin, content, "capabilities", org_id=company.id)
    assert r.status_code == 400 and r.json()["error"] == "wrong_org_kind"
    r = _check(client, admin, content, "capabilities", org_id=2**31 - 1)
    assert r.status_code == 404
    r = _check(client, admin, content, "capabilities", org_id=lab.id)
    assert r.status_code == 201 and r.json()["org"]["id"] == lab.id
    done = _import(client, admin, r.json()["id"]).json()
    assert done["created"] == 1
    cap = session.scalars(select(Capability).where(Capability.org_id == lab.id)).one()
    assert cap.status == "draft" and cap.created_by_id == admin.id
    assert cap.transaction_modes == ["exclusive_license", "joint_development"]
    assert str(cap.price_max) == "2000000.00" and cap.trl == 5
    researcher = create_user(session, Role.researcher, org=lab)
    r = client.get(f"/api/v1/capabilities/{cap.id}", headers=auth(researcher))
    assert r.status_code == 200 and "submit" in r.json()["actions"]  # the lab's own draft


def test_staff_import_only_for_their_own_organisation(client, session: Session) -> None:
    user = create_user(session, Role.enterprise)
    other = create_org(session, OrgKind.enterprise)
    r = _check(client, user, xlsx([need_row()]), org_id=other.id)
    assert r.status_code == 403 and r.json()["error"] == "not_own_org"
    r = _check(client, user, xlsx([need_row()]), org_id=user.org_id)
    assert r.status_code == 201


def test_batches_are_the_uploaders_own(client, session: Session) -> None:
    user = create_user(session, Role.enterprise)
    batch = _check(client, user, xlsx([need_row()])).json()
    colleague = create_user(session, Role.enterprise, org=session.get(Organization, user.org_id))
    for intruder in (
        colleague,
        create_user(session, Role.admin),
        create_user(session, Role.broker),
    ):
        base = f"/api/v1/intake/batches/{batch['id']}"
        assert client.get(base, headers=auth(intruder)).status_code == 404
        assert client.get(f"{base}/report.xlsx", headers=auth(intruder)).status_code == 404
        assert _import(client, intruder, batch["id"]).status_code == 404
    assert _needs(session, user.org_id) == []


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_csv_upload(client, session: Session, encoding: str) -> None:
    user = create_user(session, Role.researcher)
    content = csv_bytes([capability_row()], encoding, CAPABILITIES)
    r = _check(client, user, content, "capabilities", name="成果.csv")
    assert r.status_code == 201, r.text
    assert r.json()["valid_rows"] == 1


@pytest.mark.parametrize(
    ("content", "name", "status", "code"),
    [
        (zip_bomb(), "炸弹.xlsx", 400, "zip_bomb"),
        (b"%PDF-1.7 not a sheet", "需求.xlsx", 400, "not_xlsx"),
        (bytes(range(256)) * 64, "需求.csv", 400, "bad_encoding"),
        (b"", "empty.csv", 400, "empty_file"),
    ],
)
def test_malformed_files_refused_in_the_error_shape(
    client, session: Session, content: bytes, name: str, status: int, code: str
) -> None:
    user = create_user(session, Role.enterprise)
    r = _check(client, user, content, name=name)
    assert r.status_code == status
    body = r.json()
    assert body["error"] == code and body["detail"] and body["detail_en"]


def test_oversized_upload_is_413(client, session: Session, monkeypatch) -> None:
    from service.intake import endpoints, files

    monkeypatch.setattr(files, "MAX_BYTES", 1000)
    monkeypatch.setattr(endpoints, "MAX_BYTES", 1000)
    user = create_user(session, Role.enterprise)
    r = _check(client, user, b"a" * 5000, name="a.csv")
    assert r.status_code == 413 and r.json()["error"] == "file_too_large"


def _needs_counted(session: Session) -> int | None:
    """The rows SQLite's planner believes `needs` holds (`sqlite_stat1`), if it has a figure."""
    if not session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")):
        return None
    stat = session.scalar(
        text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'needs' AND idx = 'ix_needs_newest'")
    )
    return int(stat.split()[0]) if stat else None


def test_a_finished_import_gives_sqlite_its_statistics(client, session: Session) -> None:
    """Thousands of drafts at once: SQLite's planner is told (the list pages' index order,
    `service.kit.db.refresh_statistics`); not before the last step."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's planner statistics (PostgreSQL's autovacuum keeps its own)")
    user = create_user(session, Role.enterprise)
    create_need(session, user)
    assert _needs_counted(session) is None  # a fresh database: no statistics
    report = _check(client, user, xlsx([need_row(f"XQ-{n:03}") for n in range(3)])).json()
    assert _import(client, user, report["id"]).json()["status"] == "imported"
    total = session.scalar(select(func.count()).select_from(Need))
    assert _needs_counted(session) == total
