"""Edits (PATCH): the version the client read, a concurrent writer's win as a 409, and the
fields an edit may not clear."""

from typing import Any, Protocol

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from service.kit.errors import BadRequest, StaleVersion


class Versioned(Protocol):
    version: int


def check_version(obj: Versioned, expected: int | None) -> None:
    if expected is not None and expected != obj.version:
        raise StaleVersion(
            f"内容已被他人修改（当前版本 {obj.version}，你提交的是 {expected}），请刷新后重试",
            "Stale version: reload and retry",
        )


def flush_versioned(session: Session) -> None:
    """Flush, turning a concurrent writer's win (version moved under us) into a 409."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleVersion("内容已被他人修改，请刷新后重试", "Concurrent update") from exc


def refuse_nulls(changes: dict[str, Any], nullable: set[str]) -> None:
    nulls = [k for k, v in changes.items() if v is None and k not in nullable]
    if nulls:
        raise BadRequest(
            f"以下字段不能为空：{'、'.join(nulls)}",
            "Fields may not be null",
            code="null_not_allowed",
        )
