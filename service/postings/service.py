"""What needs and capabilities share: a new draft, an edit's columns, a review's columns."""

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from service.fields import service as fields
from service.kit.lifecycle import StateMachine
from service.kit.money import wan_to_yuan
from service.kit.versioning import flush_versioned, refuse_nulls
from service.models import User


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
