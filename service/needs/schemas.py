from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from service.kit.clock import today
from service.kit.inputs import Day, Id, Line, Text, Version
from service.kit.money import PositiveWan, Wan
from service.models.enums import CallType, CooperationMode, NeedStatus, Visibility
from service.postings.schemas import (
    LONG_TEXT,
    TITLE,
    Contact,
    Indicators,
    Keywords,
    OrgBrief,
    WanAmount,
)

T = TypeVar("T", date, Decimal)
MAX_DEADLINE_DAYS = 3 * 366


def _future_deadline(value: date | None) -> date | None:
    if value is None:
        return value
    if value <= today():
        raise ValueError("揭榜截止日期必须晚于今天")
    if value > today() + timedelta(days=MAX_DEADLINE_DAYS):
        raise ValueError("揭榜截止日期不能超过三年")
    return value


class NeedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: TITLE
    problem: LONG_TEXT = Field(description="主要问题")
    key_difficulty: LONG_TEXT = Field(description="技术关键")
    expected_goal: LONG_TEXT = Field(description="预期目标")
    field: Line = Field(max_length=40, description="所属领域代码，见 /api/v1/fields")
    industry: Line = Field(default="", max_length=100, description="应用行业")
    keywords: Keywords
    indicators: Indicators = []
    call_type: CallType = CallType.regular
    cooperation_mode: CooperationMode = CooperationMode.tech_development
    bounty_wan: PositiveWan = Field(description="悬赏金额（万元）")
    own_investment_wan: WanAmount | None = Field(default=None, description="拟投入自有资金（万元）")
    deadline: Day = Field(description="揭榜截止日期 YYYY-MM-DD")
    implementation_months: int = Field(ge=1, le=120, description="实施周期（月）")
    visibility: Visibility = Visibility.public
    contact: Contact

    _deadline = field_validator("deadline")(_future_deadline)


class NeedUpdate(BaseModel):
    """Partial edit of a draft or rejected need; `version` guards against lost updates."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: Version = Field(description="读取时的版本号")
    title: TITLE | None = None
    problem: LONG_TEXT | None = None
    key_difficulty: LONG_TEXT | None = None
    expected_goal: LONG_TEXT | None = None
    field: Line | None = Field(default=None, max_length=40)
    industry: Line | None = Field(default=None, max_length=100)
    keywords: Keywords | None = None
    indicators: Indicators | None = None
    call_type: CallType | None = None
    cooperation_mode: CooperationMode | None = None
    bounty_wan: PositiveWan | None = None
    own_investment_wan: WanAmount | None = None
    deadline: Day | None = None
    implementation_months: int | None = Field(default=None, ge=1, le=120)
    visibility: Visibility | None = None
    contact: Contact | None = None

    _deadline = field_validator("deadline")(_future_deadline)


NeedSort = Literal[
    "-published_at",
    "-created_at",
    "created_at",
    "-updated_at",
    "-bounty",
    "bounty",
    "deadline",
    "-deadline",
]


def _not_below(low: str, message: str) -> Callable[[T | None, ValidationInfo], T | None]:
    """A range's upper end must not be below its lower end `low` (checked when both are given)."""

    def check(value: T | None, info: ValidationInfo) -> T | None:
        start = info.data.get(low)
        if value is not None and start is not None and start > value:
            raise ValueError(message)
        return value

    return check


class NeedConditions(BaseModel):
    """What the board and the search narrow needs by: every condition optional, with AND."""

    field: Line | None = Field(default=None, max_length=40, description="所属领域代码")
    call_type: CallType | None = None
    org_id: Id | None = None
    bounty_min_wan: Wan | None = Field(default=None, description="万元")
    bounty_max_wan: Wan | None = Field(default=None, description="万元")
    deadline_from: Day | None = None
    deadline_to: Day | None = None

    _bounty_range = field_validator("bounty_max_wan")(
        _not_below("bounty_min_wan", "悬赏上限不能低于下限")
    )
    _deadline_range = field_validator("deadline_to")(
        _not_below("deadline_from", "截止日期区间的结束不能早于开始")
    )


class NeedFilter(NeedConditions):
    """The board's query."""

    status: NeedStatus | None = None
    mine: bool = Field(default=False, description="只看本机构发布的需求（含草稿）")
    q: Line | None = Field(default=None, max_length=100, description="关键词（子串匹配）")
    sort: NeedSort = "-published_at"


class ClarityHint(BaseModel):
    rule: str = Field(description="规则编号（clarity_rules.toml 中的 id）")
    message: str = Field(description="中文提示")
    part: str = Field(description="提示针对的表单部分：title、problem、key_difficulty 等")
    part_label: str = Field(description="该部分的中文名")


class ClarityRead(BaseModel):
    """需求明确度: 0–100 with its band and the hints that took points away."""

    score: int = Field(ge=0, le=100)
    band: str = Field(description="clear 明确 / fair 基本明确 / vague 待完善")
    band_label: str
    hints: list[ClarityHint]


class PublicNeed(BaseModel):
    """What anyone may see of a published need (the open data API shows exactly this)."""

    id: int
    title: str
    problem: str
    key_difficulty: str
    expected_goal: str
    field: str
    field_name: str
    industry: str
    keywords: list[str]
    indicators: list[dict[str, str]]
    call_type: CallType
    call_type_label: str
    cooperation_mode: CooperationMode
    cooperation_mode_label: str
    bounty_wan: str = Field(description="悬赏金额（万元，十进制字符串）")
    own_investment_wan: str | None
    deadline: date
    implementation_months: int
    status: NeedStatus
    status_label: str
    published_at: datetime | None
    updated_at: datetime


class NeedRead(PublicNeed):
    """A need as the caller may see it: hidden parts are null, never silently wrong."""

    days_left: int
    visibility: Visibility | None = Field(description="公开方式（仅发布企业和管理员可见）")
    visibility_label: str | None
    org: OrgBrief | None = Field(description="匿名需求对公众隐藏企业")
    contact: Contact | None = Field(description="仅发布企业、技术经纪人和管理员可见")
    reject_reason: str | None
    created_at: datetime
    version: int
    is_owner: bool
    actions: list[str] = Field(description="当前用户可执行的操作")
    clarity: ClarityRead | None = Field(
        default=None, description="提交审核时的需求明确度（发布企业和管理员可见）"
    )


class DraftIndicator(BaseModel):
    """A 技术指标 row as typed so far (parts may still be empty)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: Line | None = Field(default=None, max_length=30)
    comparator: Line | None = Field(default=None, max_length=2)
    value: Line | None = Field(default=None, max_length=30)
    unit: Line | None = Field(default=None, max_length=20)


class NeedDraft(BaseModel):
    """The need form as typed so far, for 需求明确度: every part may be empty, the form's other
    fields (bounty, deadline, contact …) are accepted and ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: Line | None = Field(default=None, max_length=100)
    problem: Text | None = Field(default=None, max_length=2000)
    key_difficulty: Text | None = Field(default=None, max_length=2000)
    expected_goal: Text | None = Field(default=None, max_length=2000)
    field: Line | None = Field(default=None, max_length=40, description="所属领域代码")
    keywords: list[Annotated[Line, Field(max_length=20)]] | None = Field(default=None, max_length=5)
    indicators: list[DraftIndicator] | None = Field(default=None, max_length=10)


class MatchPreview(BaseModel):
    ready: bool = Field(description="匹配引擎是否可用；不可用时 count 为空")
    count: int | None = Field(description="高度匹配（高档）的已发布成果数量")
    message: str


class ClarityCheck(ClarityRead):
    preview: MatchPreview | None = Field(description="高度匹配成果数的预估；preview=false 时为空")


class InvitationIn(BaseModel):
    """邀请揭榜: the recommended capability whose organisation is invited."""

    model_config = ConfigDict(extra="forbid")

    capability_id: Id


class InvitationRead(BaseModel):
    id: int
    need_id: int
    capability_id: int
    org_name: str = Field(description="被邀请的成果方机构")
    created_at: datetime


class AwardResult(BaseModel):
    """One line of the 揭榜结果公示: who won a public need, for how much, and when."""

    need_id: int
    need_title: str
    field_name: str
    call_type: CallType
    call_type_label: str
    status: NeedStatus = Field(description="需求当前状态：揭榜成功、实施中或已验收")
    status_label: str
    bounty_wan: str = Field(description="悬赏金额（万元）")
    winner: OrgBrief = Field(description="揭榜单位（联合体为牵头单位）")
    members: list[OrgBrief] = Field(description="联合体其他成员单位（已确认）")
    amount_wan: str = Field(description="授予金额（万元）")
    awarded_on: date = Field(description="确定揭榜方的日期（北京时间）")
