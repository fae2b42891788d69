"""What the audit trail shows: one state change, with the actor's name."""

from datetime import datetime
from typing import Self

from pydantic import BaseModel

from service.models import AuditEvent


class AuditEventRead(BaseModel):
    id: int
    action: str
    from_state: str | None
    to_state: str
    actor_id: int | None
    actor_name: str | None
    reason: str | None
    created_at: datetime

    @classmethod
    def build(cls, event: AuditEvent, actor_name: str | None) -> Self:
        """The event's columns (those the schema has) and the actor's display name."""
        columns = {name: getattr(event, name) for name in cls.model_fields if name != "actor_name"}
        return cls(actor_name=actor_name, **columns)


class AuditFilter(BaseModel):
    """Conditions on the whole trail (the endpoint checks `object_type` against the machines)."""

    object_type: str | None = None
    object_id: int | None = None
    actor_id: int | None = None


# A row of the whole trail: the event and the object it is about.
class AuditRow(AuditEventRead):
    object_type: str
    object_id: int
