"""What the admin page shows of the ranking model in use (GET /engine/model)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from matching.model import BAND_THRESHOLDS
from service.engine import learning
from service.models.enums import ModelSource, ScoreBand


class BandThreshold(BaseModel):
    band: ScoreBand
    band_label: str
    min_score: float = Field(description="该档的最低匹配度")


class RankModelRead(BaseModel):
    source: ModelSource
    source_label: str
    fitted_at: str = Field(description="模型拟合时间（ISO 8601）")
    stored_at: datetime | None = Field(description="由 jiebang learn 存入的时间；出厂模型为空")
    n_labels: int = Field(description="拟合所用的标注数")
    heldout: dict[str, float] = Field(description="留出标注上的指标（log_loss 越低越好）")
    heldout_score: float | None = Field(description="留出标注上的 log loss（越低越好）")
    weights: dict[str, float] = Field(description="各特征的权重")
    bands: list[BandThreshold]
    report: dict[str, Any] = Field(description="最近一次学习的比较报告")


def model_in_use(session: Session) -> RankModelRead:
    model, record = learning.in_use(session)
    source = ModelSource(model.source)
    return RankModelRead(
        source=source,
        source_label=source.label,
        fitted_at=model.fitted_at,
        stored_at=record.created_at if record else None,
        n_labels=model.n_labels,
        heldout=dict(model.heldout),
        heldout_score=model.heldout.get("log_loss"),
        weights=dict(model.weights),
        bands=[
            BandThreshold(band=ScoreBand(b), band_label=ScoreBand(b).label, min_score=t)
            for b, t in BAND_THRESHOLDS.items()
        ],
        report=dict(record.report) if record else {},
    )
