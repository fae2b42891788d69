from pydantic import BaseModel, Field

from service.matches.schemas import UserBrief


class FieldStat(BaseModel):
    field: str
    field_name: str
    count: int
    bounty_wan: str = Field(description="悬赏总额（万元，精确）")


class StatusStat(BaseModel):
    status: str
    status_label: str
    count: int


class NeedStatusStat(StatusStat):
    bounty_wan: str


class NeedStats(BaseModel):
    count: int
    bounty_wan: str
    by_field: list[FieldStat]
    by_status: list[NeedStatusStat]


class AmountStat(BaseModel):
    count: int
    amount_wan: str = Field(description="金额合计（万元，精确）")


class PublicStats(BaseModel):
    """榜单页的公开统计：仅统计公众可见的需求（张榜及之后、非“仅经纪人可见”）。"""

    needs: NeedStats
    awards: AmountStat = Field(description="揭榜成功的申请数与承诺悬赏金额")
    deals: AmountStat = Field(description="签约的匹配数与合同金额")


class BrokerRank(BaseModel):
    broker: UserBrief
    approved: int = Field(description="业绩归属的匹配数（审核通过或添加）")
    deals: int
    contract_value_wan: str


class AdminStats(PublicStats):
    """管理员统计：全部需求（含草稿），外加申请、成果、匹配漏斗与经纪人排行。"""

    applications_by_status: list[StatusStat]
    capabilities_by_status: list[StatusStat]
    matches_by_status: list[StatusStat]
    match_funnel: list[StatusStat] = Field(
        description="匹配漏斗：曾进入各阶段的匹配数（候选 → 通过 → 推荐 → 对接 → 签约）"
    )
    brokers: list[BrokerRank] = Field(description="经纪人排行（按签约金额、签约数）")
