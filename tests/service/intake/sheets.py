"""Real upload files for the intake tests: xlsx made by openpyxl, CSV in the encodings Excel
writes, and the hostile ones (a zip bomb, a file that only claims to be xlsx)."""

import csv
import io
import zipfile
from datetime import timedelta
from typing import Any

from openpyxl import Workbook

from service.intake.columns import CAPABILITIES, NEEDS, Sheet
from service.kit.clock import today


def need_row(ref: str = "XQ-001", **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "外部编号": ref,
        "需求名称": "OLED 面板边缘发黄问题攻关",
        "主要问题": "高温高湿老化后，面板边缘出现发黄和暗斑，客户退货率上升。",
        "技术关键": "薄膜封装层水氧阻隔不足，边缘侧向渗透难以抑制。",
        "预期目标": "85℃/85%RH 老化 1000 小时后无可见发黄。",
        "所属领域": "新型显示",
        "应用行业": "平板显示面板制造",
        "关键词": "薄膜封装；水氧阻隔",
        "技术指标": "水汽透过率 ≤ 0.000001 g/m2/d；良率>=99.5%",
        "榜单类型": "揭榜挂帅",
        "合作方式": "技术开发",
        "悬赏金额（万元）": 300.5,
        "拟投入自有资金（万元）": "",
        "揭榜截止日期": today() + timedelta(days=60),
        "实施周期（月）": 18,
        "公开方式": "公开",
        "联系人": "王工",
        "联系电话": 13800000000,
        "联系邮箱": "wang@example.com",
    }
    row.update(overrides)
    return row


def capability_row(ref: str = "CG-001", **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "外部编号": ref,
        "成果名称": "原子层沉积超薄阻隔膜技术",
        "成果简介": "采用低温原子层沉积制备氧化铝/氧化锆叠层阻隔膜，水汽透过率达到1e-6量级。",
        "所属领域": "新材料",
        "关键词": "原子层沉积、阻隔膜",
        "技术指标": "",
        "成熟度": "通过小试",
        "技术就绪度（TRL）": 5,
        "知识产权类型": "专利",
        "专利号": "ZL202110000001.1",
        "技术水平": "国际先进",
        "交易方式": "独占许可；合作开发",
        "价格下限（万元）": 80,
        "价格上限（万元）": 200,
        "团队": "材料学院薄膜团队",
        "联系人": "李老师",
        "联系电话": "13700000000",
        "联系邮箱": "",
    }
    row.update(overrides)
    return row


def xlsx(
    rows: list[dict[str, Any]], sheet: Sheet = NEEDS, headers: list[str] | None = None
) -> bytes:
    workbook = Workbook()
    data = workbook.active
    assert data is not None
    data.title = sheet.title
    headers = headers or sheet.headers
    data.append(headers)
    for row in rows:
        data.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[dict[str, Any]], encoding: str, sheet: Sheet = NEEDS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(sheet.headers)
    for row in rows:
        writer.writerow(["" if row.get(h) is None else str(row.get(h)) for h in sheet.headers])
    return buffer.getvalue().encode(encoding)


def zip_bomb() -> bytes:
    """A valid zip (so it looks like an xlsx) holding 50 MB of zeros in ~50 KB (ratio ~1000)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(50):
                member.write(chunk)
    return buffer.getvalue()


__all__ = ["CAPABILITIES", "NEEDS", "capability_row", "csv_bytes", "need_row", "xlsx", "zip_bomb"]
