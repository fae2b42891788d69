"""What the audit trail shows: one state change, with the actor's name."""

from datetime import datetime

from pydantic import BaseModel


class AuditEventRead(BaseModel):
    id: int
    action: str
    from_state: str | None
    to_state: str
    actor_id: int | None
    actor_name: str | None
    reason: str | None
    created_at: datetime
