"""Lifecycle actions over HTTP: one `POST {prefix}/{action}` route per step of a machine.

Every domain declares its action routes the same way, from its lifecycle table:

    action_routes(router, NEED_MACHINE, "/needs/{need_id}", "need", NeedRead, act)

gives `POST /needs/{need_id}/submit` (named `submit_need`, summary from the step) and so on
for each step that declares a `summary`. The body is optional (`TransitionIn`, or the
domain's subclass); `act(session, user, id, action, body)` runs the service and returns the
read schema.
"""

import inspect
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from service.auth.deps import CurrentUser
from service.kit import errors as e
from service.kit.db import SessionDep
from service.kit.inputs import Id, Text, Version
from service.kit.lifecycle import StateMachine


class TransitionIn(BaseModel):
    """Body of a lifecycle action; `reason` is required where the action says so."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text | None = Field(default=None, max_length=1000)
    version: Version | None = Field(default=None, description="乐观锁版本号（可选）")


ACTION_ERRORS = e.responses(
    e.NotAuthenticated, e.Forbidden, e.NotFound, e.InvalidTransition, e.StaleVersion, e.BadRequest
)

Act = Callable[[Session, Any, int, str, Any], BaseModel]


def action_routes(
    router: APIRouter,
    machine: StateMachine,
    prefix: str,
    noun: str,
    read: type[BaseModel],
    act: Act,
    *,
    actions: Iterable[str] | None = None,
    body: type[BaseModel] = TransitionIn,
    errors: dict[int | str, dict[str, Any]] = ACTION_ERRORS,
) -> None:
    """Declare `POST {prefix}/{action}` for `actions` (default: every step with a summary).

    `prefix` holds the id's path parameter (`/needs/{need_id}`, its last); routes are named
    `{action}_{noun}`."""
    id_name = re.findall(r"\{(\w+)\}", prefix)[-1]
    steps = machine.transitions
    for action in actions if actions is not None else [a for a in steps if steps[a].summary]:
        step = steps.get(action)
        router.post(
            f"{prefix}/{action}",
            response_model=read,
            responses=errors,
            summary=(step.summary or step.label) if step else action,
            name=f"{action}_{noun}",
        )(_endpoint(act, action, id_name, body, read))


def _endpoint(
    act: Act, action: str, id_name: str, body: type[BaseModel], read: type[BaseModel]
) -> Callable[..., Any]:
    """The route's function, its signature spelled out for FastAPI (the id's own name)."""

    def endpoint(session: Session, user: Any, data: BaseModel | None = None, **ids: int) -> Any:
        return act(session, user, ids[id_name], action, data or body())

    keyword = inspect.Parameter.KEYWORD_ONLY
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("session", keyword, annotation=SessionDep),
            inspect.Parameter("user", keyword, annotation=CurrentUser),
            inspect.Parameter(id_name, keyword, annotation=Id),
            body_parameter(body),
        ],
        return_annotation=read,
    )
    return endpoint


def body_parameter(body: type[BaseModel]) -> inspect.Parameter:
    """The body: optional (`{}` or none at all) unless the model requires a field."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    if any(field.is_required() for field in body.model_fields.values()):
        return inspect.Parameter("data", keyword, annotation=body)
    return inspect.Parameter(
        "data", keyword, annotation=Annotated[body | None, Body()], default=None
    )
