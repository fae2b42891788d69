from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, TimestampMixin


class Field(TimestampMixin, Base):
    """One entry of the 所属领域 taxonomy; a table so the bureau can extend it."""

    __tablename__ = "fields"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
