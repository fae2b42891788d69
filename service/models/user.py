from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from service.kit.db import Base, TimestampMixin
from service.kit.identity import clean_name, identity_key
from service.models.enums import AccountStatus
from service.models.org import Organization


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    # The normal form uniqueness and login look-ups use (case-folded, NFKC, no invisibles).
    username_key: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(32), index=True)
    # pending: a self-registered account whose role needs an admin's approval (sees only
    # what the public sees until then); refused: the admin said no.
    status: Mapped[str] = mapped_column(String(16), default=AccountStatus.active, index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on logout, password change or reset, approval and disabling: every token that
    # carries an older number is refused (server-side revocation).
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)

    org: Mapped[Organization | None] = relationship(lazy="raise")

    @validates("username")
    def _username(self, _: str, value: str) -> str:
        self.username_key = identity_key(value)
        return clean_name(value)

    @validates("display_name")
    def _display_name(self, _: str, value: str) -> str:
        return clean_name(value)

    @property
    def in_service(self) -> bool:
        """May act in its role: enabled, approved and not held at a forced password change."""
        return (
            self.is_active and self.status == AccountStatus.active and not self.must_change_password
        )
