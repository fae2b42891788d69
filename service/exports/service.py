"""Open data export for the bureau: needs, capabilities, applications and matches as tables
with Chinese column headers. Built in memory (the marketplace is thousands of rows, not
millions); money in 万元, exact."""

from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from service.capabilities import auth as capability_auth
from service.exports import formats, repository
from service.kit.money import WAN
from service.models import User
from service.models.enums import (
    ApplicationStatus,
    CallType,
    CapabilityStatus,
    CooperationMode,
    IpType,
    MatchOrigin,
    MatchStatus,
    Maturity,
    NeedStatus,
    TechLevel,
    TransactionMode,
    Visibility,
)
from service.needs import auth as need_auth
from service.users import repository as users

_COMPARATORS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}


class Dataset(StrEnum):
    needs = "needs"
    capabilities = "capabilities"
    applications = "applications"
    matches = "matches"


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


SHEET_TITLES = {
    Dataset.needs: "技术需求",
    Dataset.capabilities: "科技成果",
    Dataset.applications: "揭榜申请",
    Dataset.matches: "匹配",
}
MEDIA_TYPES = {
    Format.csv: "text/csv; charset=utf-8",
    Format.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

Table = tuple[list[str], list[list[Any]]]


def wan(yuan: Decimal | None) -> Decimal | None:
    """元 → 万元 as an exact Decimal (a number in the spreadsheet)."""
    return None if yuan is None else (Decimal(yuan) / WAN).normalize()


def _indicators(items: Sequence[dict[str, Any]]) -> str:
    return "；".join(
        f"{i.get('name', '')} {_COMPARATORS.get(i.get('comparator', ''), '')} "
        f"{i.get('value', '')}{(' ' + i['unit']) if i.get('unit') else ''}"
        for i in items
    )


def _needs(session: Session, user: User) -> Table:
    headers = [
        "编号", "标题", "发布企业", "所属领域", "应用行业", "关键词", "技术指标", "揭榜类型",
        "合作方式", "悬赏金额（万元）", "拟投入自有资金（万元）", "揭榜截止日期",
        "实施周期（月）", "可见范围", "状态", "联系人", "联系电话", "联系邮箱", "张榜时间",
        "创建时间",
    ]  # fmt: skip
    rows = [
        [
            n.id,
            n.title,
            n.org.name,
            n.field.name,
            n.industry,
            "、".join(n.keywords),
            _indicators(n.indicators),
            CallType(n.call_type).label,
            CooperationMode(n.cooperation_mode).label,
            wan(n.bounty),
            wan(n.own_investment),
            n.deadline,
            n.implementation_months,
            Visibility(n.visibility).label,
            NeedStatus(n.status).label,
            n.contact_name,
            n.contact_phone,
            n.contact_email,
            n.published_at,
            n.created_at,
        ]  # fmt: skip
        for n in repository.needs(session, need_auth.readable(user))
    ]
    return headers, rows


def _capabilities(session: Session, user: User) -> Table:
    headers = [
        "编号", "标题", "所属机构", "所属领域", "关键词", "技术指标", "成熟度", "技术就绪度",
        "知识产权类型", "专利号", "技术水平", "交易方式", "价格下限（万元）", "价格上限（万元）",
        "状态", "联系人", "联系电话", "联系邮箱", "发布时间", "创建时间",
    ]  # fmt: skip
    rows = [
        [
            c.id,
            c.title,
            c.org.name,
            c.field.name,
            "、".join(c.keywords),
            _indicators(c.indicators),
            Maturity(c.maturity).label,
            c.trl,
            IpType(c.ip_type).label,
            "、".join(c.patent_numbers),
            TechLevel(c.tech_level).label,
            "、".join(TransactionMode(m).label for m in c.transaction_modes),
            wan(c.price_min),
            wan(c.price_max),
            CapabilityStatus(c.status).label,
            c.contact_name,
            c.contact_phone,
            c.contact_email,
            c.published_at,
            c.created_at,
        ]  # fmt: skip
        for c in repository.capabilities(session, capability_auth.readable(user))
    ]
    return headers, rows


def _applications(session: Session, user: User) -> Table:
    headers = [
        "编号", "需求编号", "需求标题", "牵头单位", "联合体成员及占比", "关联成果编号",
        "申请金额（万元）", "承诺悬赏金额（万元）", "实施周期（月）", "状态", "未入选理由",
        "提交时间",
    ]  # fmt: skip
    apps = repository.applications(session)
    titles = repository.need_titles(session, {a.need_id for a in apps})
    rows = [
        [
            a.id,
            a.need_id,
            titles.get(a.need_id, ""),
            a.org.name,
            "；".join(f"{m.org.name} {m.share.normalize():f}%" for m in a.members),
            a.capability_id,
            wan(a.requested_amount),
            wan(a.committed_amount),
            a.timeline_months,
            ApplicationStatus(a.status).label,
            a.reject_reason,
            a.created_at,
        ]  # fmt: skip
        for a in apps
    ]
    return headers, rows


def _matches(session: Session, user: User) -> Table:
    headers = [
        "编号", "需求编号", "需求标题", "需求企业", "成果编号", "成果标题", "成果机构", "来源",
        "状态", "匹配度（0–100）", "经纪人", "需求方有意向", "成果方有意向", "合同金额（万元）",
        "否决理由", "创建时间", "更新时间",
    ]  # fmt: skip
    matches = repository.matches(session)
    names = users.display_names(session, [m.broker_id for m in matches])
    rows = [
        [
            m.id,
            m.need_id,
            m.need.title,
            m.need.org.name,
            m.capability_id,
            m.capability.title,
            m.capability.org.name,
            MatchOrigin(m.origin).label,
            MatchStatus(m.status).label,
            None if m.score is None else round(m.score, 1),
            names.get(m.broker_id, "") if m.broker_id else "",
            m.need_interest,
            m.capability_interest,
            wan(m.contract_value),
            m.reject_reason,
            m.created_at,
            m.updated_at,
        ]  # fmt: skip
        for m in matches
    ]
    return headers, rows


_BUILDERS: dict[Dataset, Callable[[Session, User], Table]] = {
    Dataset.needs: _needs,
    Dataset.capabilities: _capabilities,
    Dataset.applications: _applications,
    Dataset.matches: _matches,
}


def export(session: Session, user: User, dataset: Dataset, fmt: Format) -> bytes:
    """The dataset as a file; the caller (an admin) sees what `readable` gives an admin."""
    headers, rows = _BUILDERS[dataset](session, user)
    if fmt == Format.csv:
        return formats.to_csv(headers, rows)
    return formats.to_xlsx(SHEET_TITLES[dataset], headers, rows)
