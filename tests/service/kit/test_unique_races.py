"""Simultaneous duplicates: one request wins, every other gets the domain's 409, never a 500.

Real concurrent requests: one thread and one app (with its own database session, committing
like get_session) per request, released together by a barrier, on committed data. On
PostgreSQL both requests can pass the "already exists?" check; the unique index decides and
the loser must still get the domain code. On SQLite BEGIN IMMEDIATE serialises them.

Each app's routes are built before the threads start (`_app`): FastAPI builds a route's
request handling at its first request and silences pydantic's UnsupportedFieldAttributeWarning
about its own parameter aliases (`need_id`, `org_id`, `data`, `page`: the alias FastAPI reads
the parameter by, which works) with `warnings.catch_warnings`, which is not thread-safe: N
apps building at once in N threads let the warning out (a 500 where warnings are errors).
"""

import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.orm import Session

from service.app import create_app
from service.kit.db import get_session
from service.models import (
    Application,
    ApplicationMember,
    AuditEvent,
    Need,
    Notification,
    Organization,
    ReviewCriterion,
    User,
)
from service.models.enums import OrgKind, Role
from tests.factories import auth, create_need, create_org, create_user

pytestmark = pytest.mark.filterwarnings("error::pydantic.warnings.UnsupportedFieldAttributeWarning")

N = 8
_runs = itertools.count(1)
Call = Callable[[TestClient, int], Any]


def _app(engine: Engine) -> Any:
    app = create_app()

    def _session() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    app.dependency_overrides[get_session] = _session
    for route in app.router.routes:  # built now, on one thread (see above)
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            list(contexts())
    return app


def race(engine: Engine, call: Call) -> list[tuple[int, str | None]]:
    """Send N requests at once; (status, error code) of each."""
    barrier = threading.Barrier(N)
    results: list[tuple[int, str | None]] = []
    run = next(_runs)  # a fresh address per request: registration throttling is per address
    clients = [
        TestClient(_app(engine), raise_server_exceptions=False, client=(f"10.{run}.{i}.1", 50000))
        for i in range(N)
    ]

    def one(i: int) -> None:
        barrier.wait(timeout=30)
        response = call(clients[i], i)
        json = response.headers.get("content-type") == "application/json"
        error = response.json().get("error") if json and response.status_code >= 400 else None
        results.append((response.status_code, error))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for client in clients:
        client.close()
    assert len(results) == N
    return results


def _one_winner(results: list[tuple[int, str | None]], code: str, throttled: bool = False) -> None:
    """One 201; every other the domain 409 (or, where sign-up is throttled per account, 429)."""
    losers = [r for r in results if r != (201, None)]
    allowed = {(409, code), (429, "too_many_attempts")} if throttled else {(409, code)}
    assert len(losers) == N - 1 and set(losers) <= allowed and (409, code) in losers, results


@pytest.fixture
def cleanup(engine: Engine) -> Iterator[dict[str, list[Any]]]:
    """Rows the races commit, deleted afterwards (core deletes: audit rows refuse the ORM)."""
    made: dict[str, list[Any]] = {"users": [], "orgs": [], "needs": [], "criteria": []}
    yield made
    with Session(engine) as session:
        orgs = made["orgs"] + list(
            session.scalars(select(Organization.id).where(Organization.name.like("并发%")))
        )
        users = select(User.id).where(
            or_(User.org_id.in_(orgs), User.id.in_(made["users"]), User.username.like("race%"))
        )
        apps = select(Application.id).where(Application.need_id.in_(made["needs"]))
        session.execute(delete(AuditEvent).where(AuditEvent.object_id.in_(apps)))
        session.execute(delete(AuditEvent).where(AuditEvent.actor_id.in_(users)))
        session.execute(delete(ApplicationMember).where(ApplicationMember.application_id.in_(apps)))
        session.execute(delete(Application).where(Application.need_id.in_(made["needs"])))
        session.execute(delete(Need).where(Need.id.in_(made["needs"])))
        session.execute(delete(Notification).where(Notification.user_id.in_(users)))
        org_ids = select(User.org_id).where(User.id.in_(users))
        all_orgs = [*orgs, *session.scalars(org_ids)]
        session.execute(delete(User).where(User.id.in_(users)))
        session.execute(delete(Organization).where(Organization.id.in_(all_orgs)))
        session.execute(delete(ReviewCriterion).where(ReviewCriterion.code.in_(made["criteria"])))
        session.commit()


def _register(i: int, username: str, org: str) -> dict[str, Any]:
    return {
        "username": username,
        "password": "Abcdef12",
        "display_name": "并发用户",
        "org": {"name": org, "kind": "enterprise"},
    }


def test_registering_one_username_at_once(engine: Engine, cleanup: dict[str, Any]) -> None:
    def call(c: TestClient, i: int) -> Any:
        return c.post("/api/v1/auth/register", json=_register(i, "race_user", f"并发机构{i}"))

    _one_winner(race(engine, call), "username_taken", throttled=True)


def test_registering_one_organisation_at_once(engine: Engine, cleanup: dict[str, Any]) -> None:
    def call(c: TestClient, i: int) -> Any:
        return c.post("/api/v1/auth/register", json=_register(i, f"race{i}", "并发同名机构"))

    _one_winner(race(engine, call), "org_exists", throttled=True)


@pytest.fixture
def admin(engine: Engine, cleanup: dict[str, Any]) -> dict[str, str]:
    with Session(engine) as session:
        user = create_user(session, Role.admin)
        session.commit()
        cleanup["orgs"].append(user.org_id)
        return auth(user)


def test_admin_creating_one_user_at_once(engine: Engine, admin: dict[str, str]) -> None:
    body = {"username": "race_admin_made", "password": "Abcdef12", "display_name": "专家"}
    body["role"] = "expert"

    def call(c: TestClient, i: int) -> Any:
        return c.post("/api/v1/users", headers=admin, json=body)

    _one_winner(race(engine, call), "username_taken")


def test_creating_one_review_criterion_at_once(
    engine: Engine, admin: dict[str, str], cleanup: dict[str, Any]
) -> None:
    cleanup["criteria"].append("race_criterion")
    body = {"code": "race_criterion", "name": "并发评审项", "weight": "10"}

    def call(c: TestClient, i: int) -> Any:
        return c.post("/api/v1/review-criteria", headers=admin, json=body)

    _one_winner(race(engine, call), "criterion_exists")


def test_one_organisation_applying_at_once(engine: Engine, cleanup: dict[str, Any]) -> None:
    with Session(engine) as session:
        owner = create_user(session, Role.enterprise)
        need = create_need(session, owner)
        lab = create_org(session, OrgKind.university)
        staff = [auth(create_user(session, Role.researcher, org=lab)) for _ in range(N)]
        session.commit()
        cleanup["orgs"] += [owner.org_id, lab.id]
        cleanup["needs"].append(need.id)
        need_id = need.id
    body = {
        "technical_plan": "技术方案描述文字足够长",
        "work_plan": "研发计划描述文字足够长",
        "assessable_goals": "可考核目标文字足够长",
        "requested_amount_wan": "10",
        "timeline_months": 6,
        "team": "团队成员",
    }

    def call(c: TestClient, i: int) -> Any:
        return c.post(f"/api/v1/needs/{need_id}/applications", headers=staff[i], json=body)

    _one_winner(race(engine, call), "duplicate_application")
