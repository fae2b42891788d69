"""Response shapes of the engine endpoints: a posting's public summary plus its explanation."""

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from matching.model import band
from service.engine.service import Recommendation
from service.models.enums import CallType, Maturity, ScoreBand
from service.postings.schemas import OrgBrief

T = TypeVar("T")


class Scored(BaseModel):
    """The engine's 匹配度 as every screen shows it: 0–100, its band and parts adding up."""

    score: float | None = Field(
        description="匹配度 0–100：校准后的相关概率 ×100；经纪人手工添加的匹配没有引擎评分（null）"
    )
    band: ScoreBand | None = Field(description="high ≥50 | medium ≥20 | low（阈值见 README）")
    band_label: str | None = Field(description="高 / 中 / 低")
    parts: dict[str, float] = Field(
        description="匹配度的组成，相加等于 score：base 基础分、semantic 语义、keyword 关键词、"
        "indicator 技术指标、field 同领域（可为负：证据降低了相关概率）"
    )

    @staticmethod
    def score_fields(score: float | None, parts: dict[str, float] | None) -> dict[str, Any]:
        if score is None:
            return {"score": None, "band": None, "band_label": None, "parts": {}}
        level = ScoreBand(band(score))
        return {"score": score, "band": level, "band_label": level.label, "parts": parts or {}}


class IndicatorCheck(BaseModel):
    name: str
    requirement: str = Field(description="需求的要求，如 ≤1 μm")
    claim: str | None = Field(description="成果给出的数值")
    status: str = Field(description="met | missed | unknown")
    text: str = Field(description="中文说明")


class Explained(Scored):
    reasons: list[str] = Field(description="推荐理由（中文）")
    shared_terms: list[str] = Field(description="共同关键词（仅领域术语）")
    indicators_met: list[IndicatorCheck]
    indicators_missed: list[IndicatorCheck]
    low_relevance: bool = Field(description="检索结果中低于相关度阈值的条目（以下相关度较低）")

    @staticmethod
    def fields_of(rec: Recommendation) -> dict[str, object]:
        ex = rec.explanation
        return {
            **Scored.score_fields(rec.score, rec.parts),
            "reasons": list(rec.reasons),
            "shared_terms": ex["shared_terms"],
            "indicators_met": [IndicatorCheck(**c) for c in ex["indicators_met"]],
            "indicators_missed": [IndicatorCheck(**c) for c in ex["indicators_missed"]],
            "low_relevance": rec.low_relevance,
        }


class NeedSummary(BaseModel):
    id: int
    title: str
    field: str
    keywords: list[str]
    call_type: CallType
    call_type_label: str
    bounty_wan: str
    deadline: date
    published_at: datetime | None
    org: OrgBrief | None = Field(description="匿名需求对无权查看者隐藏企业")


class CapabilitySummary(BaseModel):
    id: int
    title: str
    field: str
    keywords: list[str]
    maturity: Maturity
    maturity_label: str
    price_min_wan: str | None
    price_max_wan: str | None
    published_at: datetime | None
    org: OrgBrief


class NeedHit(Explained):
    need: NeedSummary
    actions: list[str] = Field(
        description="推荐给成果方时可执行的操作：apply 我要揭榜、request_broker 请经纪人对接",
    )
    broker_requested: bool = Field(description="该需求与成果已请经纪人对接或已由经纪人跟进")


class CapabilityHit(Explained):
    capability: CapabilitySummary
    actions: list[str] = Field(
        description="推荐给需求方时可执行的操作：invite 邀请揭榜、request_broker 请经纪人对接",
    )
    invited: bool = Field(description="已邀请该成果所属机构揭榜")
    broker_requested: bool = Field(description="该需求与成果已请经纪人对接或已由经纪人跟进")


class HitPage(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="返回的条数：达到相关度阈值的结果，加其后至多 5 条相关度较低的")
    relevant: int = Field(description="匹配度达到「中」档（≥20）的条数；其后为以下相关度较低")
    page: int
    page_size: int


class FailureRead(BaseModel):
    kind: str
    posting_id: int
    attempts: int
    last_error: str
    updated_at: datetime


class SideStatus(BaseModel):
    postings: int = Field(description="该类发布内容总数（含草稿）")
    indexed: int = Field(description="已有当前模型向量的条数")
    missing: int = Field(description="尚无向量的条数")
    failed: int = Field(description="嵌入失败待重试的条数")
    in_memory: int = Field(description="本进程索引中的条数")
    watermark: datetime | None


class EngineBacklog(BaseModel):
    embed: int = Field(description="待嵌入：新建或修改后等待后台引擎处理的交接记录数")
    viewed: int = Field(description="待生成推荐列表：被查看时尚无当前推荐列表的交接记录数")
    oldest_seconds: float | None = Field(
        description="最早一条待处理记录已等待的秒数（无积压时为空）"
    )


class EngineStatus(BaseModel):
    process_id: int = Field(
        description="应答的 API 进程号（in_memory 按进程计，多 worker 时各不相同）"
    )
    model_id: str
    dim: int
    needs: SideStatus
    capabilities: SideStatus
    backlog: EngineBacklog = Field(
        description="后台引擎的积压：web 进程交给独立引擎进程（jiebang engine）、尚未处理完的工作"
        "（单进程部署时后台工作在本进程内，此处恒为 0）"
    )
    failures: list[FailureRead]
