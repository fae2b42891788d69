from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from service.kit.inputs import Day, Id, Line, Text, Version
from service.kit.money import PositiveWan, yuan_to_wan
from service.models.enums import MilestoneStatus, NeedStatus
from service.postings.schemas import OrgBrief

Name = Annotated[Line, Field(min_length=2, max_length=100, description="里程碑名称")]
Criteria = Annotated[Text, Field(min_length=4, max_length=2000, description="验收标准")]


class MilestoneCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    application_id: Id = Field(description="揭榜成功的申请（哪一个揭榜方）")
    name: Name
    due_date: Day = Field(description="计划完成日期")
    amount_wan: PositiveWan = Field(description="本里程碑金额（万元）")
    acceptance_criteria: Criteria


class MilestoneUpdate(BaseModel):
    """Change a proposal the winner has not yet agreed to."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: Version
    name: Name | None = None
    due_date: Day | None = None
    amount_wan: PositiveWan | None = None
    acceptance_criteria: Criteria | None = None


class MilestoneActionIn(BaseModel):
    """`reason` for decline / return; `note` (交付说明) for submit."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text | None = Field(default=None, max_length=1000)
    note: Text | None = Field(
        default=None, max_length=2000, description="交付说明（提交成果时必填）"
    )
    version: Version | None = None


class MilestoneRead(BaseModel):
    id: int
    need_id: int
    application_id: int
    org: OrgBrief = Field(description="揭榜方（牵头单位）")
    name: str
    due_date: date
    amount_wan: str
    acceptance_criteria: str
    status: MilestoneStatus
    status_label: str
    delivery_note: str | None
    reason: str | None = Field(description="最近一次退回或不同意的理由")
    submitted_at: datetime | None
    accepted_at: datetime | None
    paid_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    actions: list[str]


class LedgerMember(BaseModel):
    org: OrgBrief
    share: str = Field(description="分工占比（%）")
    committed_wan: str
    paid_wan: str


class LedgerWinner(BaseModel):
    application_id: int
    org: OrgBrief
    committed_wan: str = Field(description="承诺给该揭榜方的金额")
    planned_wan: str = Field(description="已排入里程碑（不含已取消）")
    unplanned_wan: str = Field(description="承诺金额中尚未排入里程碑的部分")
    accepted_wan: str = Field(description="已验收（含已支付）")
    paid_wan: str
    remaining_wan: str = Field(description="承诺金额中尚未支付的部分")
    members: list[LedgerMember]


class LedgerRead(BaseModel):
    """悬赏台账: all amounts in 万元, computed exactly from the 元 values."""

    need_id: int
    need_status: NeedStatus
    need_status_label: str
    bounty_wan: str
    committed_wan: str
    uncommitted_wan: str = Field(description="悬赏中尚未承诺给揭榜方的部分")
    planned_wan: str
    accepted_wan: str = Field(description="已验收（含已支付）")
    payable_wan: str = Field(description="已验收待支付")
    paid_wan: str
    remaining_wan: str = Field(description="悬赏中尚未支付的部分（悬赏 − 已支付）")
    milestones: dict[str, str] = Field(description="各状态里程碑金额（万元）")
    winners: list[LedgerWinner]


def wan(amount: Decimal) -> str:
    return yuan_to_wan(amount) or "0"
