"""Explicit state machines: every transition, and who may take it, is declared here in one
table per object type; each move is checked against it and handed to the recorder (the audit
trail, service/audit/) with who, from, to and why."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from service.kit.errors import BadRequest, Forbidden, InvalidTransition


class Stateful(Protocol):
    id: int
    status: str


# Who may take a step: (caller or None, the domain's subject: the object or its context).
Rule = Callable[[Any, Any], bool]
# What a refusal says: (zh-CN message, English message, code), raised as a 403.
Refusal = tuple[str, str, str]


# Where each move goes (the audit trail, audit.service.record_transition): session, object
# type, object id, action, from state (None at birth), to state, actor id, reason.
Recorder = Callable[[Session, str, int, str, str | None, str, int | None, str | None], object]


def nobody(user: Any, subject: Any) -> bool:
    """The default rule: a step only the system (or another service) takes."""
    return False


def role(*roles: str) -> Rule:
    """Whoever holds one of `roles`, whatever the object."""
    return lambda user, subject: user is not None and user.role in roles


def either(*rules: Rule) -> Rule:
    return lambda user, subject: any(rule(user, subject) for rule in rules)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str  # zh-CN, used in messages and the audit view
    sources: frozenset[str]
    target: str
    reason_required: bool = False
    by: Rule = nobody
    summary: str | None = None  # the route's summary where users take the step over HTTP
    refusal: Refusal | None = None  # the step's own 403, else the machine's


def step(
    action: str,
    label: str,
    sources: Iterable[str],
    target: str,
    *,
    reason: bool = False,
    by: Rule = nobody,
    summary: str | None = None,
    refusal: Refusal | None = None,
) -> Transition:
    """One row of a lifecycle table: `by` says who may take it (checked by `require` and
    listed by `actions`); `summary` is its route's text (service/kit/actions.py)."""
    sources = frozenset(str(s) for s in sources)
    return Transition(action, label, sources, str(target), reason, by, summary, refusal)


MACHINES: list["StateMachine"] = []  # every machine built, for the audit view's object types


class StateMachine:
    """The allowed transitions of one object type, and who may take them."""

    def __init__(
        self,
        object_type: str,
        states: Iterable[Any],
        *transitions: Transition,
        record: Recorder,
        refusal: Refusal = ("你无权执行此操作", "Not allowed for your role", "not_allowed"),
    ):
        self.object_type = object_type
        self.state_labels = {s.value: s.label for s in states}  # an enum with zh-CN labels
        self.transitions = {t.action: t for t in transitions}
        self.record = record
        self.refusal = refusal
        MACHINES.append(self)

    def allowed_actions(self, state: str) -> list[str]:
        return [a for a, t in self.transitions.items() if state in t.sources]

    def may(self, action: str, user: Any, subject: Any) -> bool:
        """Whether `user` holds the part `action` requires (the state is checked apart)."""
        return self.transitions[action].by(user, subject)

    def actions(self, user: Any, subject: Any, state: str) -> list[str]:
        """What `user` may do now with `subject` in `state`: the buttons the web app shows."""
        return [a for a in self.allowed_actions(state) if self.may(a, user, subject)]

    def require(self, action: str, user: Any, subject: Any) -> Transition:
        """The step, if `user` may take it; else the step's (or the machine's) 403."""
        transition = self.transitions[action]
        if not transition.by(user, subject):
            zh, en, code = transition.refusal or self.refusal
            raise Forbidden(zh, en, code=code)
        return transition

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
        self.record(
            session, self.object_type, obj.id, action, source, transition.target, actor_id, reason
        )
        return transition

    def start(
        self,
        session: Session,
        obj: Stateful,
        actor_id: int | None,
        action: str = "create",
        reason: str | None = None,
    ) -> None:
        """Record the birth of a new object (its `create` row, or another source-less step's,
        with why when the creator gave a reason) once it has an id."""
        transition = self.transitions[action]
        obj.status = transition.target
        session.flush()
        self.record(
            session, self.object_type, obj.id, action, None, transition.target, actor_id, reason
        )
