"""API keys (managed in the web app) and what the open data API answers."""

from datetime import date, datetime
from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from service.capabilities.schemas import PublicCapability
from service.kit.errors import BadRequest
from service.kit.inputs import LINE_PATTERN, Line
from service.models.enums import (
    ApiKeyStatus,
)
from service.needs.schemas import AwardResult, PublicNeed
from service.postings.schemas import OrgBrief

T = TypeVar("T")

DEFAULT_RATE_LIMIT = 60
MAX_RATE_LIMIT = 600


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line = Field(min_length=1, max_length=50, description="用途说明，如 省科技厅数据同步")
    rate_limit_per_minute: int = Field(
        default=DEFAULT_RATE_LIMIT, ge=1, le=MAX_RATE_LIMIT, description="每分钟最多请求次数"
    )


class ApiKeyRead(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="密钥开头几位，用于辨认；完整密钥只在创建时显示一次")
    org: OrgBrief
    created_by_name: str
    rate_limit_per_minute: int
    status: ApiKeyStatus
    status_label: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    requests_today: int = Field(description="今日（北京时间）已应答的请求数")
    throttled_today: int = Field(description="今日因超出频率限制被拒绝的请求数")
    requests_30_days: int = Field(description="近 30 天已应答的请求数")
    actions: list[str] = Field(description="当前用户可执行的操作")


class ApiKeyCreated(ApiKeyRead):
    secret: str = Field(description="完整密钥：只显示这一次，平台只保存其摘要")


class UsageDay(BaseModel):
    day: date
    requests: int
    throttled: int


class ApiKeyUsageRead(BaseModel):
    key: ApiKeyRead
    days: list[UsageDay] = Field(description="近 30 天每日用量（北京时间），旧日期在前")


class CursorPage(BaseModel, Generic[T]):
    """One page of an incremental read, in (updated_at, id) order."""

    items: list[T]
    next_cursor: str | None = Field(
        description="下一页的游标（原样传回 cursor 参数）；没有更多时为 null"
    )
    has_more: bool


_ORG_EXAMPLE: dict[str, JsonValue] = {
    "id": 3,
    "name": "宁波海天精工股份有限公司",
    "kind": "enterprise",
}


def aware(value: datetime | None) -> datetime | None:
    """`updated_since` must name its time zone (a naive time is ambiguous by 8 hours)."""
    if value is not None and value.tzinfo is None:
        raise BadRequest(
            "updated_since 须带时区，如 2026-12-01T00:00:00+08:00 或 2026-11-30T16:00:00Z",
            "updated_since needs a time zone",
            code="naive_datetime",
        )
    return value


UPDATED_SINCE = "只返回此时刻及以后更新的条目（ISO 8601，须带时区，如 2026-12-01T00:00:00+08:00）"


class OpenSync(BaseModel):
    """What every incremental list of the open API takes: a cursor, a start time, a size."""

    cursor: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="上一页返回的 next_cursor；首次请求不传",
    )
    updated_since: datetime | None = Field(default=None, description=UPDATED_SINCE)
    limit: int = Field(default=50, ge=1, le=200, description="每页条数（≤200）")

    def since(self) -> datetime | None:
        return aware(self.updated_since)


class OpenList(OpenSync):
    field: str | None = Field(
        default=None,
        max_length=40,
        pattern=LINE_PATTERN,
        description="领域代码，如 battery_storage",
    )


class RemovedKind(StrEnum):
    needs = "needs"
    capabilities = "capabilities"


class OpenRemovedList(OpenSync):
    kind: RemovedKind = Field(description="needs 或 capabilities")


class OpenNeed(PublicNeed):
    """A public need: the fields the anonymous web view shows, without its per-viewer parts."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    "title": "五轴联动数控机床主轴热变形补偿",
                    "problem": "主轴连续运转 4 小时后轴向热伸长达 35 μm，精加工件尺寸超差。",
                    "key_difficulty": "温度场测点少，热误差模型随工况漂移。",
                    "expected_goal": "连续运转 8 小时热误差控制在 8 μm 以内。",
                    "field": "intelligent_manufacturing",
                    "field_name": "智能制造",
                    "industry": "高端装备",
                    "keywords": ["热误差补偿", "数控机床"],
                    "indicators": [
                        {"name": "热误差", "comparator": "<=", "value": "8", "unit": "μm"}
                    ],
                    "call_type": "jiebang_guashuai",
                    "call_type_label": "揭榜挂帅",
                    "cooperation_mode": "tech_development",
                    "cooperation_mode_label": "技术开发",
                    "bounty_wan": "120",
                    "own_investment_wan": "60",
                    "deadline": "2027-03-31",
                    "implementation_months": 12,
                    "org": _ORG_EXAMPLE,
                    "status": "published",
                    "status_label": "张榜中",
                    "published_at": "2026-11-20T02:15:00Z",
                    "updated_at": "2026-11-20T02:15:00Z",
                }
            ]
        }
    )

    org: OrgBrief


class OpenCapability(PublicCapability):
    """A published capability: the fields the anonymous web view shows, without contacts."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 17,
                    "title": "基于数字孪生的机床热误差实时补偿技术",
                    "description": "多测点温度场重构与在线补偿，已在三家机床厂中试。",
                    "field": "intelligent_manufacturing",
                    "field_name": "智能制造",
                    "keywords": ["数字孪生", "热误差补偿"],
                    "indicators": [
                        {"name": "补偿后误差", "comparator": "<=", "value": "5", "unit": "μm"}
                    ],
                    "maturity": "pilot_small",
                    "maturity_label": "通过小试",
                    "trl": 6,
                    "ip_type": "patent",
                    "ip_type_label": "专利",
                    "patent_numbers": ["ZL202110123456.7"],
                    "tech_level": "domestic_leading",
                    "tech_level_label": "国内领先",
                    "transaction_modes": ["ordinary_license"],
                    "transaction_mode_labels": ["普通许可"],
                    "price_min_wan": "50",
                    "price_max_wan": "80",
                    "team": "浙江大学机械工程学院精密制造团队",
                    "org": {"id": 5, "name": "浙江大学", "kind": "university"},
                    "status": "published",
                    "status_label": "已发布",
                    "published_at": "2026-10-08T06:00:00Z",
                    "updated_at": "2026-10-08T06:00:00Z",
                }
            ]
        }
    )


class OpenResult(AwardResult):
    """揭榜结果: one awarded application of a public need, exactly as the public 揭榜结果公示
    shows it (needs/presenters.award_result), and when it last changed. (need_id, winner.id)
    identifies it: an organisation holds at most one live application to a need."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "need_id": 42,
                    "need_title": "五轴联动数控机床主轴热变形补偿",
                    "field_name": "智能制造",
                    "call_type": "jiebang_guashuai",
                    "call_type_label": "揭榜挂帅",
                    "status": "in_progress",
                    "status_label": "实施中",
                    "bounty_wan": "120",
                    "winner": {"id": 5, "name": "浙江大学", "kind": "university"},
                    "members": [
                        {"id": 9, "name": "杭州精工传感技术有限公司", "kind": "enterprise"}
                    ],
                    "amount_wan": "110",
                    "awarded_on": "2027-04-15",
                    "updated_at": "2027-04-20T01:00:00Z",
                }
            ]
        }
    )

    updated_at: datetime = Field(description="该结果最近一次变化的时间（授榜或需求状态变化）")


class RemovedPosting(BaseModel):
    """A posting that was in the open data and is no longer (withdrawn, terminated, expired,
    archived): a synchronising client deletes its copy."""

    id: int
    updated_at: datetime


class OpenFieldStat(BaseModel):
    field: str
    field_name: str
    needs: int = Field(description="公开需求数（揭榜中及以后）")
    needs_bounty_wan: str = Field(description="公开需求悬赏合计（万元）")
    capabilities: int = Field(description="已发布成果数")
    awarded: int = Field(description="已授榜的公开需求数")


class OpenFieldStats(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "field": "battery_storage",
                            "field_name": "动力电池与储能",
                            "needs": 12,
                            "needs_bounty_wan": "1860",
                            "capabilities": 9,
                            "awarded": 3,
                        }
                    ],
                    "generated_at": "2026-12-02T08:00:00Z",
                }
            ]
        }
    )

    items: list[OpenFieldStat]
    generated_at: datetime
