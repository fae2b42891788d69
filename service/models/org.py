from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from service.kit.db import Base, TimestampMixin
from service.kit.identity import clean_name, identity_key


class Organization(TimestampMixin, Base):
    """An enterprise, university, institute, broker agency or government office."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # The normal form uniqueness is checked on: "ＡＢＣ 科技" and "abc科技\u200b" are one name.
    name_key: Mapped[str] = mapped_column(String(120), unique=True, index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    region: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")

    @validates("name")
    def _name(self, _: str, value: str) -> str:
        self.name_key = identity_key(value)
        return clean_name(value)
