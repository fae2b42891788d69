from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.kit.db import Base, TimestampMixin
from service.models.org import Organization


class IntakeBatch(TimestampMixin, Base):
    """One uploaded sheet of needs or capabilities: its rows as read, the check's findings, and
    how far the import has got (a resumable job: each step commits its rows and `cursor`)."""

    __tablename__ = "intake_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "needs" | "capabilities"
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    # checked → importing → imported
    status: Mapped[str] = mapped_column(String(16), default="checked")
    only_valid: Mapped[bool | None] = mapped_column(default=None)
    # [{"n": sheet row number, "cells": [text per template column]}]
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"row": n, "col": column index or null, "message": zh}]: the check's findings
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notices: Mapped[list[str]] = mapped_column(JSON, default=list)
    # import progress: rows[:cursor] are done; counts and failures found while importing
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    org: Mapped[Organization] = relationship(lazy="raise")
