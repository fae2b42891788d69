"""Rules shared by needs and capabilities: versions, today's date, history with names."""

from datetime import UTC, date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.exc import StaleDataError

from service.fields import service as fields
from service.kit.errors import BadRequest, StaleVersion
from service.kit.lifecycle import StateMachine
from service.kit.money import wan_to_yuan
from service.models import AuditEvent, User
from service.postings.schemas import AuditEventRead

CHINA = ZoneInfo("Asia/Shanghai")


class Versioned(Protocol):
    version: int


def today() -> date:
    """Deadlines are calendar days in China, whatever the server's clock zone."""
    return datetime.now(CHINA).date()


def check_version(obj: Versioned, expected: int | None) -> None:
    if expected is not None and expected != obj.version:
        raise StaleVersion(
            f"内容已被他人修改（当前版本 {obj.version}，你提交的是 {expected}），请刷新后重试",
            "Stale version: reload and retry",
        )


def substring_filter(q: str, *columns: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """Plain case-insensitive substring search (the matching engine replaces it for ranking)."""
    return or_(*(column.icontains(q, autoescape=True) for column in columns))


def history(session: Session, object_type: str, object_id: int) -> list[AuditEventRead]:
    rows = session.execute(
        select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.id)
    ).all()
    return [
        AuditEventRead(
            id=event.id,
            action=event.action,
            from_state=event.from_state,
            to_state=event.to_state,
            actor_id=event.actor_id,
            actor_name=name,
            reason=event.reason,
            created_at=event.created_at,
        )
        for event, name in rows
    ]


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


def to_columns(data: dict[str, Any], money: dict[str, str]) -> dict[str, Any]:
    """API shape → column values: 万元 → exact 元, `field` → field_code, contact → 3 columns."""
    out = dict(data)
    if "field" in out:
        out["field_code"] = out.pop("field")
    for api_name, column in money.items():
        if api_name in out:
            wan = out.pop(api_name)
            out[column] = wan_to_yuan(wan) if wan is not None else None
    if "contact" in out:
        contact = out.pop("contact")
        out.update(
            contact_name=contact["name"],
            contact_phone=contact["phone"],
            contact_email=contact.get("email", ""),
        )
    return out


def review_columns(action: str, reason: str | None) -> dict[str, Any]:
    """What an admin's review sets beside the status of a need or capability: the reason of
    a rejection (shown to the poster), the publication time of an approval."""
    if action == "reject":
        return {"reject_reason": (reason or "").strip() or None}
    if action == "approve":
        return {"published_at": datetime.now(UTC), "reject_reason": None}
    return {}


def new_posting(
    session: Session,
    user: User,
    model: type[Any],
    machine: StateMachine,
    data: BaseModel,
    money: dict[str, str],
    *,
    org_id: int | None = None,
    external_ref: str | None = None,
) -> int:
    """A new draft need or capability, born with its audit row: of the caller's organisation,
    or of `org_id` when an admin imports on its behalf (service/intake)."""
    values = data.model_dump(mode="python")
    fields.require_active(session, values["field"])
    posting = model(
        org_id=org_id or user.org_id,
        created_by_id=user.id,
        external_ref=external_ref,
        **to_columns(values, money),
    )
    session.add(posting)
    machine.start(session, posting, user.id)
    return int(posting.id)


def edited_columns(
    session: Session, data: BaseModel, money: dict[str, str], nullable: set[str]
) -> dict[str, Any]:
    """The columns an edit sets: only the fields sent, no nulls where none are allowed, an
    active field of the taxonomy."""
    changes = data.model_dump(mode="python", exclude_unset=True, exclude={"version"})
    refuse_nulls(changes, nullable)
    if "field" in changes:
        fields.require_active(session, changes["field"])
    return to_columns(changes, money)


def save_columns(session: Session, obj: object, columns: dict[str, Any]) -> None:
    for key, value in columns.items():
        setattr(obj, key, value)
    flush_versioned(session)
