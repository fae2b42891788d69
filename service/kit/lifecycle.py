"""Explicit state machines: every transition is checked here and written to the audit table."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from service.audit.service import record_transition
from service.kit.errors import BadRequest, InvalidTransition


class Stateful(Protocol):
    id: int
    status: str


@dataclass(frozen=True)
class Transition:
    action: str
    label: str  # zh-CN, used in messages and the audit view
    sources: frozenset[str]
    target: str
    reason_required: bool = False


def step(
    action: str, label: str, sources: Iterable[str], target: str, *, reason: bool = False
) -> Transition:
    """One row of a lifecycle table."""
    return Transition(action, label, frozenset(str(s) for s in sources), str(target), reason)


MACHINES: list["StateMachine"] = []  # every machine built, for the audit view's object types


class StateMachine:
    """The allowed transitions of one object type."""

    def __init__(self, object_type: str, state_labels: dict[str, str], *transitions: Transition):
        self.object_type = object_type
        self.state_labels = state_labels
        self.transitions = {t.action: t for t in transitions}
        MACHINES.append(self)

    def allowed_actions(self, state: str) -> list[str]:
        return [a for a, t in self.transitions.items() if state in t.sources]

    def check(self, action: str, state: str) -> Transition:
        """The transition `action` from `state`, or a 409 naming what is allowed instead."""
        transition = self.transitions[action]
        if state not in transition.sources:
            zh_state = self.state_labels.get(state, state)
            raise InvalidTransition(
                f"当前状态为「{zh_state}」，不能执行「{transition.label}」",
                f"Cannot {action} from state {state}",
            )
        return transition

    def apply(
        self,
        session: Session,
        obj: Stateful,
        action: str,
        actor_id: int | None,
        reason: str | None = None,
        changes: Mapping[str, Any] | None = None,
    ) -> Transition:
        """Move `obj` along `action`, recording who, from, to and why.

        `changes` are the columns the action sets beside the status (a reject reason, a
        timestamp): set here, before the flush, so the object's version moves exactly once.
        """
        transition = self.check(action, obj.status)
        reason = (reason or "").strip() or None
        if transition.reason_required and not reason:
            raise BadRequest(
                f"「{transition.label}」必须填写理由",
                f"A reason is required to {action}",
                code="reason_required",
            )
        source = obj.status
        for column, value in (changes or {}).items():
            setattr(obj, column, value)
        obj.status = transition.target
        record_transition(
            session, self.object_type, obj.id, action, source, transition.target, actor_id, reason
        )
        return transition

    def start(
        self, session: Session, obj: Stateful, actor_id: int | None, action: str = "create"
    ) -> None:
        """Record the birth of a new object (its `create` row, or another source-less step's)
        once it has an id."""
        transition = self.transitions[action]
        obj.status = transition.target
        session.flush()
        record_transition(
            session, self.object_type, obj.id, action, None, transition.target, actor_id
        )
