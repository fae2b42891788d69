from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from matching.model import band
from service.capabilities import auth as capability_auth
from service.engine.schemas import Scored
from service.kit.inputs import Id, Text, Version
from service.kit.money import PositiveWan, yuan_to_wan
from service.matches import auth
from service.models import Capability, Match, Need, User
from service.models.enums import MatchOrigin, MatchStatus, Maturity, NeedStatus, ScoreBand
from service.needs import auth as need_auth
from service.postings.schemas import Contact, OrgBrief, TransitionIn


class MatchCreate(BaseModel):
    """A broker's manual match of a published need with a published capability."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    need_id: Id
    capability_id: Id
    note: Text = Field(
        default="", max_length=2000, description="经纪人备注（仅经纪人和管理员可见）"
    )


class MatchNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: Version
    note: Text = Field(max_length=2000)


class DealIn(TransitionIn):
    """签约: the contract value in 万元 is required and kept exact."""

    contract_value_wan: PositiveWan = Field(description="合同金额，单位万元（必填，大于 0）")


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

    @classmethod
    def build(cls, need: Need, user: User | None) -> "NeedBrief":
        org = need.org
        return cls(
            id=need.id,
            title=need.title,
            field=need.field_code,
            field_name=need.field.name,
            status=NeedStatus(need.status),
            status_label=NeedStatus(need.status).label,
            bounty_wan=yuan_to_wan(need.bounty) or "0",
            org=OrgBrief(id=org.id, name=org.name, kind=org.kind)
            if need_auth.sees_org(user, need)
            else None,
            contact=Contact(
                name=need.contact_name, phone=need.contact_phone, email=need.contact_email
            )
            if need_auth.is_privileged(user, need)
            else None,
        )


class CapabilityBrief(BaseModel):
    id: int
    title: str
    field: str
    field_name: str
    maturity: Maturity
    maturity_label: str
    org: OrgBrief
    contact: Contact | None = Field(description="按成果的可见规则：成果方、经纪人、管理员")

    @classmethod
    def build(cls, cap: Capability, user: User | None) -> "CapabilityBrief":
        return cls(
            id=cap.id,
            title=cap.title,
            field=cap.field_code,
            field_name=cap.field.name,
            maturity=Maturity(cap.maturity),
            maturity_label=Maturity(cap.maturity).label,
            org=OrgBrief(id=cap.org.id, name=cap.org.name, kind=cap.org.kind),
            contact=Contact(name=cap.contact_name, phone=cap.contact_phone, email=cap.contact_email)
            if capability_auth.is_privileged(user, cap)
            else None,
        )


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
    version: int
    created_at: datetime
    updated_at: datetime
    actions: list[str] = Field(description="当前用户可执行的操作")

    @classmethod
    def build(cls, match: Match, user: User | None, names: dict[int, str]) -> "MatchRead":
        need, cap = match.need, match.capability
        reviewer = auth.is_reviewer(user)
        broker = (
            UserBrief(id=match.broker_id, name=names.get(match.broker_id, ""))
            if match.broker_id is not None
            else None
        )
        return cls(
            id=match.id,
            need=NeedBrief.build(need, user),
            capability=CapabilityBrief.build(cap, user),
            origin=MatchOrigin(match.origin),
            origin_label=MatchOrigin(match.origin).label,
            status=MatchStatus(match.status),
            status_label=MatchStatus(match.status).label,
            **Scored.score_fields(match.score, match.parts),
            reasons=list(match.reasons or []),
            explanation=dict(match.explanation or {}),
            broker=broker,
            reject_reason=match.reject_reason if reviewer else None,
            note=match.note if reviewer else None,
            need_interest=match.need_interest,
            capability_interest=match.capability_interest,
            contract_value_wan=yuan_to_wan(match.contract_value),
            version=match.version,
            created_at=match.created_at,
            updated_at=match.updated_at,
            actions=auth.actions(user, match, need, cap),
        )


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

    @classmethod
    def build(cls, need_id: int, title: str, count: int, best: float | None) -> "NeedGroup":
        level = ScoreBand(band(best)) if best is not None else None
        return cls(
            need_id=need_id,
            need_title=title,
            count=count,
            best_score=best,
            band=level,
            band_label=level.label if level else None,
        )
