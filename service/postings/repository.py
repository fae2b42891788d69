"""Query parts shared by the needs' and capabilities' repositories."""

from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import InstrumentedAttribute


def substring_filter(q: str, *columns: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """Plain case-insensitive substring search (the matching engine replaces it for ranking)."""
    return or_(*(column.icontains(q, autoescape=True) for column in columns))
