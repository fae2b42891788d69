from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.kit.money import split_by_shares, yuan_to_wan
from service.models import Application
from service.models.enums import ApplicationStatus, MemberStatus
from service.postings.schemas import LONG_TEXT, OrgBrief, WanAmount

Share = Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)]


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    org_id: int
    share: Share = Field(description="分工占比（%），全部成员合计 100")


class _Proposal(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    technical_plan: LONG_TEXT = Field(description="技术方案")
    work_plan: LONG_TEXT = Field(description="研发计划")
    assessable_goals: LONG_TEXT = Field(description="可考核目标")
    requested_amount_wan: WanAmount = Field(description="申请金额（万元）")
    timeline_months: int = Field(ge=1, le=120, description="实施周期（月）")
    team: str = Field(min_length=2, max_length=2000, description="团队")


class ApplicationCreate(_Proposal):
    capability_id: int | None = Field(default=None, description="关联的科技成果（可选）")
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

    version: int = Field(ge=1)
    technical_plan: LONG_TEXT | None = None
    work_plan: LONG_TEXT | None = None
    assessable_goals: LONG_TEXT | None = None
    requested_amount_wan: WanAmount | None = None
    timeline_months: int | None = Field(default=None, ge=1, le=120)
    team: str | None = Field(default=None, min_length=2, max_length=2000)


class AwardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_wan: WanAmount | None = Field(
        default=None, description="授予金额（万元）；缺省为悬赏余额"
    )
    version: int | None = Field(default=None, ge=1)


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

    reason: str | None = Field(default=None, max_length=2000, description="谢绝理由（谢绝时必填）")
    version: int | None = Field(default=None, ge=1)


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

    @classmethod
    def build(cls, app: Application, need_title: str, actions: list[str]) -> "ApplicationRead":
        committed = app.committed_amount
        parts = (
            split_by_shares(committed, [m.share for m in app.members])
            if committed is not None
            else [None] * len(app.members)
        )
        members = [
            MemberRead(
                org=OrgBrief(id=m.org.id, name=m.org.name, kind=m.org.kind),
                share=format(m.share.normalize(), "f"),
                is_lead=m.is_lead,
                committed_wan=yuan_to_wan(part),
                status=MemberStatus(m.status),
                status_label=MemberStatus(m.status).label,
                decided_at=m.decided_at,
                decline_reason=m.decline_reason,
            )
            for m, part in zip(app.members, parts, strict=True)
        ]
        status = ApplicationStatus(app.status)
        return cls(
            id=app.id,
            need_id=app.need_id,
            need_title=need_title,
            org=OrgBrief(id=app.org.id, name=app.org.name, kind=app.org.kind),
            capability_id=app.capability_id,
            technical_plan=app.technical_plan,
            work_plan=app.work_plan,
            assessable_goals=app.assessable_goals,
            requested_amount_wan=yuan_to_wan(app.requested_amount) or "0",
            timeline_months=app.timeline_months,
            team=app.team,
            members=members,
            status=status,
            status_label=status.label,
            reject_reason=app.reject_reason,
            committed_wan=yuan_to_wan(committed),
            created_at=app.created_at,
            updated_at=app.updated_at,
            version=app.version,
            actions=actions,
        )
