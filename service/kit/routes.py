"""Routes of the shapes every domain declares the same way, from one line each.

An endpoint parses, calls one service function and returns its schema; most of them differ
only in their path, the function, the schemas and the words. `route` builds such an endpoint:

    route(router, "GET", "/applications/{app_id}", service.get_readable, ApplicationRead,
          name="get_application", summary="揭榜申请详情", present=service.present)

calls `service.get_readable(session, user, app_id)` and answers
`service.present(session, user, <that>)`. The function gets, in this order: the session, the
caller (unless `user=None`), each path parameter, the typed filter (`filters=`), the page
(`page=True`) and the body (`body=`); then, by name, any further parameter (`more=`).
`list_route`, `create_route` and `Resource` (the detail, change, history and action routes of
one object) name the usual cases. The response declarations every domain shares are here too
(`READ_ERRORS`, `WRITE_ERRORS`, …).
"""

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from service.auth.deps import CurrentUser
from service.kit import errors as e
from service.kit.actions import ACTION_ERRORS, TransitionIn, action_routes, body_parameter
from service.kit.db import SessionDep
from service.kit.inputs import Id
from service.kit.pagination import Page, PageDep

Errors = dict[int | str, dict[str, Any]]
Present = Callable[[Session, Any, Any], Any]

SIGNED_IN_ERRORS = e.responses(e.NotAuthenticated)
ROLE_ERRORS = e.responses(e.NotAuthenticated, e.Forbidden)
READ_ERRORS = e.responses(e.NotAuthenticated, e.NotFound)
GUARDED_ERRORS = e.responses(e.NotAuthenticated, e.Forbidden, e.NotFound)
WRITE_ERRORS = ACTION_ERRORS
CONFLICT_ERRORS = e.responses(
    e.NotAuthenticated,
    e.Forbidden,
    e.NotFound,
    e.InvalidTransition,
    e.StaleVersion,
    e.BadRequest,
    e.Conflict,
)

_KEYWORD = inspect.Parameter.KEYWORD_ONLY


def routers(tag: str, prefix: str = "") -> tuple[APIRouter, APIRouter]:
    """A domain's `router` (signed in, see service/app.py) and its `public` one: the same
    prefix and tag."""
    return APIRouter(prefix=prefix, tags=[tag]), APIRouter(prefix=prefix, tags=[tag])


def route(
    router: APIRouter,
    method: str,
    path: str,
    call: Callable[..., Any],
    model: Any,
    *,
    name: str,
    summary: str,
    errors: Errors | None = None,
    user: Any = CurrentUser,
    status_code: int | None = None,
    filters: type[BaseModel] | None = None,
    page: bool = False,
    body: type[BaseModel] | None = None,
    optional: bool = False,
    present: Present | None = None,
    etag: bool = False,
    types: dict[str, Any] | None = None,
    description: str | None = None,
    more: dict[str, Any] | None = None,
) -> None:
    """Declare `method path` answering `present(session, user, call(…))` (or `call(…)`).

    `user` is the caller's dependency (`CurrentUser`, `OptionalUser`, a role guard), None for
    a route that takes no caller; path parameters are `Id`s unless `types` says otherwise;
    the body is required unless `optional=True` (then `{}` or none at all stands for
    `body()`); `etag=True` sends the answer's row version as a weak ETag. `more` declares
    further parameters, name → annotation or (annotation, default), after the path's (a query
    value, a dependency such as the index store), handed to `call` by name."""
    ids = re.findall(r"\{(\w+)\}", path)
    params = [inspect.Parameter("session", _KEYWORD, annotation=SessionDep)]
    if user is not None:
        params.append(inspect.Parameter("user", _KEYWORD, annotation=user))
    for id_name in ids:
        annotation = (types or {}).get(id_name, Id)
        params.append(inspect.Parameter(id_name, _KEYWORD, annotation=annotation))
    for extra, spec in (more or {}).items():
        annotation, default = spec if isinstance(spec, tuple) else (spec, inspect.Parameter.empty)
        params.append(inspect.Parameter(extra, _KEYWORD, annotation=annotation, default=default))
    if etag:
        params.append(inspect.Parameter("response", _KEYWORD, annotation=Response))
    if page:
        params.append(inspect.Parameter("page", _KEYWORD, annotation=PageDep))
    if filters is not None:
        query = Annotated[filters, Query()]  # type: ignore[valid-type]
        params.append(inspect.Parameter("filters", _KEYWORD, annotation=query))
    if optional and body is not None:
        params.append(body_parameter(body))
    elif body is not None:
        params.append(inspect.Parameter("data", _KEYWORD, annotation=body))

    def endpoint(session: Session, **given: Any) -> Any:
        caller = given.get("user")
        args: list[Any] = [session, caller] if user is not None else [session]
        args += [given[i] for i in ids]
        args += [given["filters"]] if filters is not None else []
        args += [given["page"]] if page else []
        if body is not None:
            data = given.get("data")
            args.append(data if data is not None else body())
        value = call(*args, **{extra: given[extra] for extra in more or {}})
        if etag:
            given["response"].headers["ETag"] = f'W/"{value.version}"'
        return present(session, caller, value) if present is not None else value

    endpoint.__name__ = endpoint.__qualname__ = name
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    router.add_api_route(
        path, endpoint, methods=[method], response_model=model, status_code=status_code,
        responses=errors, summary=summary, description=description, name=name,
    )  # fmt: skip


def list_route(
    router: APIRouter,
    path: str,
    item: Any,
    call: Callable[..., Any],
    *,
    name: str,
    summary: str,
    filters: type[BaseModel] | None = None,
    errors: Errors | None = SIGNED_IN_ERRORS,
    user: Any = CurrentUser,
) -> None:
    """`GET path`: a `Page` of `item`, from `call(session, [user], [filters], page)`."""
    route(
        router, "GET", path, call, Page[item], name=name, summary=summary, errors=errors,
        user=user, filters=filters, page=True,
    )  # fmt: skip


def create_route(
    router: APIRouter,
    path: str,
    read: Any,
    call: Callable[..., Any],
    body: type[BaseModel],
    *,
    name: str,
    summary: str,
    errors: Errors | None = WRITE_ERRORS,
    user: Any = CurrentUser,
    present: Present | None = None,
) -> None:
    """`POST path` (201): `call(session, user, *path ids, data)`, answered as `read`."""
    route(
        router, "POST", path, call, read, name=name, summary=summary, errors=errors, user=user,
        status_code=201, body=body, present=present,
    )  # fmt: skip


@dataclass
class Resource:
    """One kind of object at `path` (its id the last path parameter), read for a caller by
    `get(session, user, id)` and answered as `read` through `present(session, user, row)`:
    its detail, change, history and action routes, named after `noun`."""

    router: APIRouter
    path: str
    noun: str
    read: Any
    get: Callable[..., Any]
    present: Present | None = None
    user: Any = CurrentUser

    def detail(
        self,
        summary: str,
        errors: Errors | None = READ_ERRORS,
        on: APIRouter | None = None,
        **more: Any,
    ) -> None:
        """`GET path`, named `get_{noun}`, on `on` (a domain's `public` router) or the
        resource's router; `more`: `route`'s options."""
        more = {"present": self.present, "user": self.user} | more
        route(on or self.router, "GET", self.path, self.get, self.read, name=f"get_{self.noun}",
              summary=summary, errors=errors, **more)  # fmt: skip

    def update(
        self,
        body: type[BaseModel],
        call: Callable[..., Any],
        summary: str,
        errors: Errors = WRITE_ERRORS,
        present: Present | None = None,
    ) -> None:
        """`PATCH path`, named `update_{noun}`: `call(session, user, id, data)`."""
        present = present or self.present
        route(self.router, "PATCH", self.path, call, self.read, name=f"update_{self.noun}",
              summary=summary, errors=errors, body=body, present=present)  # fmt: skip

    def history(
        self, summary: str, model: Any, trail: Present, errors: Errors = READ_ERRORS
    ) -> None:
        """`GET path/history`, named `{noun}_history`: `trail(session, user, row)` of the row
        the caller may read."""
        get = self.get

        def events(session: Session, user: Any, row_id: int) -> Any:
            return trail(session, user, get(session, user, row_id))

        route(self.router, "GET", self.path + "/history", events, model,
              name=f"{self.noun}_history", summary=summary, errors=errors)  # fmt: skip

    def actions(
        self,
        machine: Any,
        act: Callable[[Session, Any, int, str, Any], BaseModel],
        *,
        actions: Iterable[str] | None = None,
        body: type[BaseModel] = TransitionIn,
        errors: Errors = ACTION_ERRORS,
        noun: str | None = None,
        suffix: str = "",
        read: Any = None,
    ) -> None:
        """`POST path{suffix}/{action}` for the machine's steps (`kit.actions.action_routes`),
        answered as `read` (default: the resource's own)."""
        action_routes(self.router, machine, self.path + suffix, noun or self.noun,
                      read or self.read, act, actions=actions, body=body,
                      errors=errors)  # fmt: skip
