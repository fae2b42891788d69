"""The 所属领域 taxonomy: read by everyone, extended by the bureau."""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from service.fields import repository
from service.fields.schemas import FieldCreate, FieldUpdate
from service.kit.errors import BadRequest, Conflict, found
from service.models import Field


def list_fields(session: Session, include_inactive: bool = False) -> Sequence[Field]:
    return repository.listed(session, include_inactive)


def require_active(session: Session, code: str) -> Field:
    """The field a posting names, refused when unknown or retired."""
    field = repository.by_code(session, code)
    if field is None or not field.active:
        raise BadRequest(f"未知的所属领域：{code}", f"Unknown field: {code}", code="unknown_field")
    return field


def _name_taken(session: Session, name: str, code: str | None = None) -> bool:
    other = repository.by_name(session, name)
    return other is not None and other.code != code


def create(session: Session, data: FieldCreate) -> Field:
    if repository.by_code(session, data.code) is not None or _name_taken(session, data.name):
        raise Conflict("领域代码或名称已存在", "Field code or name exists", code="field_exists")
    field = Field(code=data.code, name=data.name, sort_order=data.sort_order, active=True)
    session.add(field)
    session.flush()
    return field


def update(session: Session, code: str, data: FieldUpdate) -> Field:
    field = found(repository.by_code(session, code), ("领域不存在", "Field not found"))
    if data.name is not None and _name_taken(session, data.name, code):
        raise Conflict("领域名称已存在", "Field name exists", code="field_exists")
    for key, value in data.model_dump(exclude_none=True).items():
        setattr(field, key, value)
    session.flush()
    return field
