"""A list page at scale: its count stops at the cap (`JIEBANG_LIST_COUNT_CAP`; the answer says
the total is then a lower bound), and the default order (newest first) is read from an index,
not sorted."""

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Select, func, inspect, select, text
from sqlalchemy.orm import Session

from service.capabilities import auth as capability_auth
from service.capabilities import repository as capabilities
from service.capabilities.schemas import CapabilityFilter
from service.config import get_settings
from service.kit.db import make_engine
from service.kit.migrate import alembic_config
from service.kit.pagination import PageParams
from service.models import Capability, Need
from service.models.enums import OrgKind, Role
from service.needs import auth as need_auth
from service.needs import repository as needs
from service.needs.schemas import NeedFilter
from tests.factories import create_capability, create_need, create_org, create_user


def test_a_count_past_the_cap_is_said_to_be_a_lower_bound(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = create_org(session, OrgKind.university)
    researcher = create_user(session, Role.researcher, org=lab)
    for n in range(5):
        create_capability(session, researcher, title=f"成果{n}")
    create_capability(session, researcher, status="draft")  # not listed, not counted

    exact = client.get("/api/v1/capabilities", params={"page_size": 2}).json()
    assert (exact["total"], exact["total_exact"]) == (5, True)

    monkeypatch.setattr(get_settings(), "list_count_cap", 5)
    exact = client.get("/api/v1/capabilities", params={"page_size": 2}).json()
    assert (exact["total"], exact["total_exact"]) == (5, True)  # at the cap: still exact

    monkeypatch.setattr(get_settings(), "list_count_cap", 3)
    capped = client.get("/api/v1/capabilities", params={"page_size": 2, "page": 3}).json()
    assert (capped["total"], capped["total_exact"]) == (3, False)
    assert len(capped["items"]) == 1  # the pages past the cap are still served
    assert client.get("/api/v1/needs").json()["total_exact"] is True  # none there


def _plan(session: Session, statement: Select[Any]) -> str:
    """The plan the database chooses for `statement` (PostgreSQL: told not to sort or scan a
    table, as the test tables are tiny and sorting them is cheaper there)."""
    dialect = session.get_bind().dialect.name
    sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    if dialect == "postgresql":
        session.execute(text("SET LOCAL enable_sort = off"))
        session.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(r[0] for r in session.execute(text("EXPLAIN " + sql)))
    # SQLite's planner needs statistics to prefer an ordered walk over its status index
    # (without them it guesses an equality matches ~10 rows): see BENCHMARKS §14.
    session.execute(text("ANALYZE"))
    return "\n".join(str(r[-1]) for r in session.execute(text("EXPLAIN QUERY PLAN " + sql)))


@pytest.mark.parametrize("field", [None, "new_materials"])
def test_the_newest_first_page_is_read_in_index_order(session: Session, field: str | None) -> None:
    """The public lists' default order, alone and after a 所属领域 filter, walks an index
    (at 1M capabilities a sorted page cost 1-2 s, `matching/BENCHMARKS.md` §14)."""
    lab = create_org(session, OrgKind.university)
    researcher, owner = create_user(session, Role.researcher, org=lab), create_user(session)
    for n in range(3):  # rows, so that SQLite's statistics have something to say
        create_capability(session, researcher, title=f"成果{n}")
        create_need(session, owner, status="published")
    page = PageParams(page=3, page_size=20)
    cap_filter, need_filter = CapabilityFilter(field=field), NeedFilter(field=field)
    for statement, table in (
        (
            select(Capability)
            .where(capability_auth.readable(None), *capabilities.conditions(cap_filter))
            .order_by(*capabilities.SORTS[cap_filter.sort]),
            "capabilities",
        ),
        (
            select(Need)
            .where(need_auth.readable(None), *needs.conditions(need_filter))
            .order_by(*needs.SORTS[need_filter.sort]),
            "needs",
        ),
    ):
        plan = _plan(session, statement.offset(page.offset).limit(page.page_size))
        index = f"ix_{table}_field_newest" if field else f"ix_{table}_newest"
        assert index in plan, plan
        assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan


def test_the_public_needs_count_is_read_from_one_index(session: Session) -> None:
    """The public needs list's count (published-and-later, not brokers-only) reads only the
    `(status, visibility)` index: with `ix_needs_status` alone PostgreSQL read every counted
    row's wide heap row (10–14 ms of backend CPU per page at 1M, `matching/BENCHMARKS.md` §23,
    §30)."""
    owner = create_user(session)
    for n in range(3):
        create_need(session, owner, status="published", title=f"需求{n}")
    create_need(session, owner, status="published", visibility="brokers_only")
    indexes = {
        i["name"]: i["column_names"] for i in inspect(session.connection()).get_indexes("needs")
    }
    assert indexes["ix_needs_status_visibility"] == ["status", "visibility"]
    assert "ix_needs_status" not in indexes  # the new index answers a status alone too
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite scans a table this small whatever its indexes
    # a table this small and never vacuumed has no page PostgreSQL knows all-visible: it would
    # rather take a bitmap of the index than walk it (the bench databases' plans: §30)
    session.execute(text("SET LOCAL enable_bitmapscan = off"))
    listed = select(Need).where(need_auth.readable(None), *needs.conditions(NeedFilter()))
    counted = listed.limit(get_settings().list_count_cap + 1).subquery()
    plan = _plan(session, select(func.count()).select_from(counted))
    assert "Index Only Scan using ix_needs_status_visibility" in plan, plan


def test_the_status_visibility_migration_downgrades(tmp_path: Path) -> None:
    """Down one revision the needs have their status index back; up again, the pair."""
    url = f"sqlite:///{tmp_path / 'round.db'}"
    config = alembic_config(url)
    command.upgrade(config, "6a2c9e4f1d37")
    command.downgrade(config, "-1")
    engine = make_engine(url)
    names = {i["name"] for i in inspect(engine).get_indexes("needs")}
    assert "ix_needs_status" in names and "ix_needs_status_visibility" not in names
    command.upgrade(config, "6a2c9e4f1d37")
    names = {i["name"] for i in inspect(engine).get_indexes("needs")}
    assert "ix_needs_status_visibility" in names and "ix_needs_status" not in names
    engine.dispose()
