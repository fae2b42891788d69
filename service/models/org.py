from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, TimestampMixin


class Organization(TimestampMixin, Base):
    """An enterprise, university, institute, broker agency or government office."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    region: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
