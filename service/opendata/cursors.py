"""Opaque cursors over (updated_at, id): the position after the last item of a page.

Items come in (updated_at, id) order, and the next page starts strictly after the cursor, so
a posting inserted or changed between two pages never shifts the others (as an offset would):
it gets a later updated_at and appears further on, once."""

import base64
import binascii
import json
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from service.kit.errors import BadRequest


class InvalidCursor(BadRequest):
    code = "invalid_cursor"


def encode(updated_at: datetime, object_id: int) -> str:
    raw = json.dumps([updated_at.astimezone(UTC).isoformat(), object_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, object_id = json.loads(raw)
        at = datetime.fromisoformat(stamp)
        if at.tzinfo is None or not isinstance(object_id, int) or isinstance(object_id, bool):
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor(
            "游标无效：请使用上一页返回的 next_cursor 原样传回", "Invalid cursor"
        ) from None
    return at, object_id


def after(
    cursor: tuple[datetime, int],
    updated_at: InstrumentedAttribute[datetime],
    object_id: InstrumentedAttribute[int],
) -> ColumnElement[bool]:
    at, last_id = cursor
    return or_(updated_at > at, and_(updated_at == at, object_id > last_id))
