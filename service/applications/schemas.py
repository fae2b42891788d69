from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.kit.inputs import Id, Text, Version
from service.kit.money import Percent, PositiveWan
from service.models.enums import ApplicationStatus, MemberStatus
from service.postings.schemas import LONG_TEXT, OrgBrief

Share = Percent


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    org_id: Id
    share: Share = Field(description="分工占比（%），全部成员合计 100")


class _Proposal(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    technical_plan: LONG_TEXT = Field(description="技术方案")
    work_plan: LONG_TEXT = Field(description="研发计划")
    assessable_goals: LONG_TEXT = Field(description="可考核目标")
    requested_amount_wan: PositiveWan = Field(description="申请金额（万元）")
    timeline_months: int = Field(ge=1, le=120, description="实施周期（月）")
    team: Text = Field(min_length=2, max_length=2000, description="团队")


class ApplicationCreate(_Proposal):
    capability_id: Id | None = Field(default=None, description="关联的科技成果（可选）")
    lead_share: Share = Field(default=Decimal(100), description="牵头单位占比（%）")
    members: Annotated[list[MemberIn], Field(max_length=10)] = Field(
        default=[], description="联合体其他成员（可选）"
    )

    @field_validator("members")
    @classmethod
    def _distinct(cls, members: list[MemberIn]) -> list[MemberIn]:
        if len({m.org_id for m in members}) != len(members):
            raise ValueError("联合体成员不能重复")
        return members


class ApplicationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: Version
    technical_plan: LONG_TEXT | None = None
    work_plan: LONG_TEXT | None = None
    assessable_goals: LONG_TEXT | None = None
    requested_amount_wan: PositiveWan | None = None
    timeline_months: int | None = Field(default=None, ge=1, le=120)
    team: Text | None = Field(default=None, min_length=2, max_length=2000)


class AwardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_wan: PositiveWan | None = Field(
        default=None, description="授予金额（万元）；缺省为悬赏余额"
    )
    version: Version | None = None


class MemberRead(BaseModel):
    org: OrgBrief
    share: str
    is_lead: bool
    committed_wan: str | None
    status: MemberStatus = Field(description="成员确认状态：invited 待确认，confirmed，declined")
    status_label: str
    decided_at: datetime | None
    decline_reason: str | None


class MembershipDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text | None = Field(default=None, max_length=2000, description="谢绝理由（谢绝时必填）")
    version: Version | None = None


class ApplicationFilter(BaseModel):
    need_id: Id | None = None
    status: ApplicationStatus | None = None


class ApplicationRead(BaseModel):
    id: int
    need_id: int
    need_title: str
    org: OrgBrief
    capability_id: int | None
    technical_plan: str
    work_plan: str
    assessable_goals: str
    requested_amount_wan: str
    timeline_months: int
    team: str
    members: list[MemberRead]
    status: ApplicationStatus
    status_label: str
    reject_reason: str | None
    committed_wan: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    actions: list[str]
