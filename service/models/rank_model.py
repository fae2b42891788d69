from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, TimestampMixin, UTCDateTime


class RankModelRecord(TimestampMixin, Base):
    """A ranking model `jiebang learn` chose (matching.model.RankModel as JSON).

    The engine ranks with the newest row; with no row it uses the shipped default. A row is
    written on every learn run, also when the shipped default was kept (source "shipped"),
    so the admin page shows when the last fit ran and what it was judged on.
    """

    __tablename__ = "rank_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    n_labels: Mapped[int] = mapped_column(Integer)
    heldout_score: Mapped[float | None] = mapped_column(Float)  # the model's held-out nDCG
    source: Mapped[str] = mapped_column(String(16))  # shipped | learned
    model: Mapped[dict[str, Any]] = mapped_column(JSON)  # RankModel.to_json()
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # refit's comparison
