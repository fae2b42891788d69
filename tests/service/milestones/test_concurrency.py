"""Two simultaneous milestone proposals that together exceed the committed amount: exactly one
may succeed. The need row lock (PostgreSQL) or BEGIN IMMEDIATE (SQLite) serialises them."""

import threading
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from service.kit.clock import today
from service.kit.errors import JiebangError
from service.milestones import service as milestones
from service.milestones.schemas import MilestoneCreate
from service.models import (
    Application,
    ApplicationMember,
    AuditEvent,
    Milestone,
    Need,
    Notification,
    Organization,
    User,
)
from service.models.enums import Role
from tests.factories import create_application, create_need, create_user


@pytest.fixture
def committed(engine: Engine) -> Iterator[dict[str, int]]:
    with Session(engine) as session:
        owner = create_user(session, Role.enterprise)
        need = create_need(session, owner, status="awarded", bounty=Decimal("1000000.00"))
        lab = create_user(session, Role.researcher)
        app = create_application(
            session, need, lab, status="awarded", committed_amount=Decimal("1000000.00")
        )
        ids = {"owner": owner.id, "lab": lab.id, "need": need.id, "app": app.id}
        session.commit()
    yield ids
    with Session(engine) as session:  # core deletes: the audit table refuses ORM deletes
        users = [ids["owner"], ids["lab"]]
        orgs = list(session.scalars(select(User.org_id).where(User.id.in_(users))))
        mids = list(session.scalars(select(Milestone.id).where(Milestone.need_id == ids["need"])))
        session.execute(
            delete(AuditEvent).where(
                AuditEvent.object_type == "milestone", AuditEvent.object_id.in_(mids)
            )
        )
        session.execute(delete(Notification).where(Notification.user_id.in_(users)))
        session.execute(delete(Milestone).where(Milestone.need_id == ids["need"]))
        session.execute(
            delete(ApplicationMember).where(ApplicationMember.application_id == ids["app"])
        )
        session.execute(delete(Application).where(Application.id == ids["app"]))
        session.execute(delete(Need).where(Need.id == ids["need"]))
        session.execute(delete(User).where(User.id.in_(users)))
        session.execute(delete(Organization).where(Organization.id.in_(orgs)))
        session.commit()


def test_simultaneous_proposals_stay_within_the_commitment(
    engine: Engine, committed: dict[str, int]
) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def propose() -> None:
        data = MilestoneCreate(
            application_id=committed["app"],
            name="阶段成果",
            due_date=today() + timedelta(days=30),
            amount_wan=Decimal("60"),
            acceptance_criteria="按合同验收",
        )
        barrier.wait(timeout=30)
        with Session(engine, expire_on_commit=False) as session:
            try:
                owner = session.get(User, committed["owner"])
                assert owner is not None
                milestones.create(session, owner, committed["need"], data)
                session.commit()
                outcomes.append("created")
            except JiebangError as exc:
                session.rollback()
                outcomes.append(exc.code)

    threads = [threading.Thread(target=propose) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["amount_exceeds_committed", "created"]
    with Session(engine) as session:
        amounts = session.scalars(
            select(Milestone.amount).where(Milestone.need_id == committed["need"])
        ).all()
        assert amounts == [Decimal("600000.00")]
