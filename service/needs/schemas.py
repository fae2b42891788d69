from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.kit.clock import today
from service.kit.inputs import Day, Line, Version
from service.kit.money import PositiveWan, yuan_to_wan
from service.models import Need, User
from service.models.enums import CallType, CooperationMode, NeedStatus, Visibility
from service.needs import auth
from service.postings.schemas import (
    LONG_TEXT,
    TITLE,
    Contact,
    Indicators,
    Keywords,
    OrgBrief,
    WanAmount,
)

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


class NeedRead(BaseModel):
    """A need as the caller may see it: hidden parts are null, never silently wrong."""

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
    bounty_wan: str
    own_investment_wan: str | None
    deadline: date
    days_left: int
    implementation_months: int
    visibility: Visibility
    visibility_label: str
    org: OrgBrief | None = Field(description="匿名需求对公众隐藏企业")
    contact: Contact | None = Field(description="仅发布企业、技术经纪人和管理员可见")
    status: NeedStatus
    status_label: str
    reject_reason: str | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    is_owner: bool
    actions: list[str] = Field(description="当前用户可执行的操作")

    @classmethod
    def build(cls, need: Need, user: User | None, *, winner: bool = False) -> "NeedRead":
        """Present `need` to `user` under the rules of needs/auth.py (`winner`: the caller's
        organisation won it, see service.won_by_caller)."""
        contact = (
            Contact(name=need.contact_name, phone=need.contact_phone, email=need.contact_email)
            if auth.is_privileged(user, need, winner=winner)
            else None
        )
        org = (
            OrgBrief(id=need.org.id, name=need.org.name, kind=need.org.kind)
            if auth.sees_org(user, need, winner=winner)
            else None
        )
        return cls(
            id=need.id,
            title=need.title,
            problem=need.problem,
            key_difficulty=need.key_difficulty,
            expected_goal=need.expected_goal,
            field=need.field_code,
            field_name=need.field.name,
            industry=need.industry,
            keywords=list(need.keywords),
            indicators=list(need.indicators),
            call_type=CallType(need.call_type),
            call_type_label=CallType(need.call_type).label,
            cooperation_mode=CooperationMode(need.cooperation_mode),
            cooperation_mode_label=CooperationMode(need.cooperation_mode).label,
            bounty_wan=yuan_to_wan(need.bounty) or "0",
            own_investment_wan=yuan_to_wan(need.own_investment),
            deadline=need.deadline,
            days_left=(need.deadline - today()).days,
            implementation_months=need.implementation_months,
            visibility=Visibility(need.visibility),
            visibility_label=Visibility(need.visibility).label,
            org=org,
            contact=contact,
            status=NeedStatus(need.status),
            status_label=NeedStatus(need.status).label,
            reject_reason=need.reject_reason if auth.sees_reject_reason(user, need) else None,
            published_at=need.published_at,
            created_at=need.created_at,
            updated_at=need.updated_at,
            version=need.version,
            is_owner=auth.is_owner(user, need),
            actions=auth.actions(user, need),
        )
