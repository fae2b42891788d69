from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.engine.schemas import Scored
from service.kit.actions import TransitionIn
from service.kit.inputs import Id, Line, Text, Version
from service.kit.money import PositiveWan
from service.models.enums import MatchOrigin, MatchStatus, Maturity, NeedStatus, ScoreBand
from service.postings.schemas import Contact, OrgBrief


class MatchCreate(BaseModel):
    """A broker's manual match of a published need with a published capability."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    need_id: Id
    capability_id: Id
    note: Text = Field(
        default="", max_length=2000, description="经纪人备注（仅经纪人和管理员可见）"
    )


class MatchRequestIn(BaseModel):
    """请经纪人对接: a side asks a broker to take up a recommended pair."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    need_id: Id
    capability_id: Id


class MatchRequestRead(BaseModel):
    """The request as the asking side sees it (the queue itself is the brokers')."""

    match_id: int
    status: MatchStatus
    status_label: str
    message: str = Field(description="给请求方的说明")


class MatchNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: Version
    note: Text = Field(max_length=2000)


class DealIn(TransitionIn):
    """签约: the contract value in 万元 is required and kept exact."""

    contract_value_wan: PositiveWan = Field(description="合同金额，单位万元（必填，大于 0）")


class MatchFilter(BaseModel):
    """The review queue's and the board's conditions, combined with AND."""

    status: MatchStatus | None = None
    field: Line | None = Field(default=None, max_length=40, description="需求所属领域代码")
    min_score: float | None = Field(
        default=None, ge=0, le=100, description="最低匹配度（0–100）；手工匹配没有引擎评分，不参与"
    )
    need_id: Id | None = None
    capability_id: Id | None = None
    broker_id: Id | None = Field(default=None, description="业绩归属经纪人")
    origin: MatchOrigin | None = None
    band: ScoreBand | None = Field(
        default=None, description="匹配度档：high ≥50，medium 20–50，low <20（人工匹配不属任何档）"
    )
    q: Line | None = Field(
        default=None, min_length=1, max_length=50, description="需求或成果标题包含的关键词"
    )
    requested: bool | None = Field(
        default=None, description="true：只看需求方或成果方请经纪人对接的匹配"
    )


MatchSort = Literal["-score", "score", "-created_at", "created_at", "-updated_at"]


class UserBrief(BaseModel):
    id: int
    name: str


class NeedBrief(BaseModel):
    id: int
    title: str
    field: str
    field_name: str
    status: NeedStatus
    status_label: str
    bounty_wan: str
    org: OrgBrief | None = Field(description="匿名需求对成果方隐藏企业")
    contact: Contact | None = Field(description="按需求的可见规则：发布企业、经纪人、管理员")


class CapabilityBrief(BaseModel):
    id: int
    title: str
    field: str
    field_name: str
    maturity: Maturity
    maturity_label: str
    org: OrgBrief
    contact: Contact | None = Field(description="按成果的可见规则：成果方、经纪人、管理员")


class Requester(BaseModel):
    """Who asked a broker to take the pair up (请经纪人对接)."""

    id: int
    name: str
    side: Literal["need", "capability"]
    side_label: str = Field(description="需求方 | 成果方")
    org_name: str


class MatchRead(Scored):
    id: int
    need: NeedBrief
    capability: CapabilityBrief
    origin: MatchOrigin
    origin_label: str
    status: MatchStatus
    status_label: str
    reasons: list[str]
    explanation: dict[str, Any]
    broker: UserBrief | None = Field(description="审核通过（或添加）该匹配的经纪人：业绩归属")
    reject_reason: str | None = Field(description="否决理由（仅经纪人和管理员可见）")
    note: str | None = Field(description="经纪人备注（仅经纪人和管理员可见）")
    need_interest: bool
    capability_interest: bool
    contract_value_wan: str | None
    requested_by: Requester | None = Field(
        description="请经纪人对接的请求人（仅经纪人和管理员可见）"
    )
    deal_waits: bool = Field(
        description="需求仍在揭榜中（张榜中或评审中）：签约须待揭榜结束（确定揭榜方、撤回或到期）"
    )
    version: int
    created_at: datetime
    updated_at: datetime
    actions: list[str] = Field(description="当前用户可执行的操作")


class DealRead(BaseModel):
    """A broker deal on a need (经纪人撮合签约), as the need's page shows it."""

    match_id: int
    capability_id: int
    capability_title: str
    org: OrgBrief
    contract_value_wan: str
    signed_at: datetime | None


class BoardRead(BaseModel):
    """看板: matches per stage, every stage present (0 where none)."""

    total: int
    stages: list["StageCount"]


class StageCount(BaseModel):
    status: MatchStatus
    status_label: str
    count: int


class BrokerRecord(BaseModel):
    """A broker's record: the matches attributed to them (approved or added by them) and how
    far those went; `rejected` counts candidates they turned down."""

    broker: UserBrief
    approved: int = Field(description="审核通过或添加的匹配数（业绩归属）")
    rejected: int = Field(description="否决的候选数")
    recommended: int = Field(description="其中已推荐给双方的")
    connected: int = Field(description="其中已安排对接的")
    deals: int = Field(description="其中已签约的")
    contract_value_wan: str = Field(description="签约合同总额（万元，精确）")


class NeedGroup(BaseModel):
    """One need's share of the queue: how many matches and the best 匹配度 among them."""

    need_id: int
    need_title: str
    count: int
    best_score: float | None = Field(description="其中最高匹配度（0–100；仅人工匹配时为空）")
    band: ScoreBand | None
    band_label: str | None
