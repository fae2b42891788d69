"""SQLite's planner walks the list order's index (migration `listing order`) only with table
statistics: the service gathers them itself (`kit.db.refresh_statistics`) when `jiebang
serve` starts and after bulk writes, so a fresh database's list pages are not sorted."""

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from service import cli
from service.capabilities import auth as capability_auth
from service.capabilities import repository as capabilities
from service.capabilities.schemas import CapabilityFilter
from service.kit.db import get_sessionmaker
from service.models import Capability
from service.models.enums import OrgKind, Role
from tests.factories import create_capability, create_org, create_user
from tests.service.engine_support import use_committed_database


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database that the service's own sessions use (SQLite only: the
    PostgreSQL run has autovacuum and nothing to show here)."""
    for url in use_committed_database(tmp_path, "statistics"):
        if not url.startswith("sqlite"):
            pytest.skip("SQLite's planner statistics")
        yield url


def _page_plan(session: Session) -> str:
    """SQLite's plan for the public capability list's default page."""
    order = capabilities.SORTS[CapabilityFilter().sort]
    statement = (
        select(Capability)
        .where(capability_auth.readable(None), *capabilities.conditions(CapabilityFilter()))
        .order_by(*order)
        .offset(40)
        .limit(20)
    )
    sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    return "\n".join(str(r[-1]) for r in session.execute(text("EXPLAIN QUERY PLAN " + sql)))


def _walks_the_index(plan: str) -> bool:
    return "ix_capabilities_newest" in plan and "TEMP B-TREE" not in plan


def test_serve_gathers_the_statistics_the_list_order_needs(fresh: str) -> None:
    with get_sessionmaker()() as s:
        lab = create_org(s, OrgKind.university)
        researcher = create_user(s, Role.researcher, org=lab)
        for n in range(30):
            create_capability(s, researcher, title=f"成果{n}")
        s.commit()
        plan = _page_plan(s)
    assert not _walks_the_index(plan), plan  # no statistics yet: a sort (what it did before)
    cli.prepare(argparse.Namespace(demo=False))  # `jiebang serve`, before it serves
    with get_sessionmaker()() as s:
        plan = _page_plan(s)
    assert _walks_the_index(plan), plan


def test_demo_data_comes_with_statistics(fresh: str) -> None:
    assert cli.main(["seed-demo"]) == 0
    with get_sessionmaker()() as s:
        plan = _page_plan(s)
    assert _walks_the_index(plan), plan
