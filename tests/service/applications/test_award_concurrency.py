"""Two simultaneous awards of a single-winner need: exactly one may succeed.

Runs on committed data in real concurrent transactions (one thread each). On PostgreSQL the
need row lock and its version column serialise the awards; on SQLite BEGIN IMMEDIATE does.
"""

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from service.applications import service as applications
from service.kit.errors import JiebangError
from service.models import (
    Application,
    ApplicationMember,
    AuditEvent,
    Need,
    Notification,
    Organization,
    User,
)
from service.models.enums import Role
from tests.factories import create_need, create_user


@pytest.fixture
def committed(engine: Engine) -> Iterator[dict[str, int]]:
    with Session(engine) as session:
        owner = create_user(session, Role.enterprise)
        need = create_need(session, owner, bounty=Decimal("500000.00"))
        apps = []
        for _ in range(2):
            lab = create_user(session, Role.researcher)
            app = Application(
                need_id=need.id,
                org_id=lab.org_id,
                created_by_id=lab.id,
                technical_plan="方案",
                work_plan="计划",
                assessable_goals="目标",
                requested_amount=Decimal(1),
                timeline_months=6,
                team="团队",
                status="shortlisted",
                members=[ApplicationMember(org_id=lab.org_id, share=Decimal(100), is_lead=True)],
            )
            session.add(app)
            session.flush()
            apps.append(app.id)
        ids = {"owner": owner.id, "need": need.id, "a": apps[0], "b": apps[1]}
        session.commit()
    yield ids
    with Session(engine) as session:  # core deletes: the audit table refuses ORM deletes
        app_ids = [ids["a"], ids["b"]]
        orgs = list(
            session.scalars(
                select(User.org_id).where(
                    User.id.in_(
                        select(Application.created_by_id).where(Application.id.in_(app_ids))
                    )
                )
            )
        )
        orgs.append(session.scalar(select(User.org_id).where(User.id == ids["owner"])))
        session.execute(delete(AuditEvent).where(AuditEvent.object_id.in_([*app_ids, ids["need"]])))
        session.execute(
            delete(ApplicationMember).where(ApplicationMember.application_id.in_(app_ids))
        )
        session.execute(delete(Application).where(Application.id.in_(app_ids)))
        session.execute(delete(Need).where(Need.id == ids["need"]))
        users = select(User.id).where(User.org_id.in_(orgs))
        session.execute(delete(Notification).where(Notification.user_id.in_(users)))
        session.execute(delete(User).where(User.org_id.in_(orgs)))
        session.execute(delete(Organization).where(Organization.id.in_(orgs)))
        session.commit()


def test_simultaneous_awards_cannot_both_succeed(engine: Engine, committed: dict[str, int]) -> None:
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def award(key: str) -> None:
        barrier.wait(timeout=30)  # start together, before either takes a lock
        with Session(engine, expire_on_commit=False) as session:
            try:
                owner = session.get(User, committed["owner"])
                assert owner is not None
                applications.award(session, owner, committed[key], None)
                session.commit()
                outcomes[key] = "awarded"
            except JiebangError as exc:
                session.rollback()
                outcomes[key] = exc.code

    threads = [threading.Thread(target=award, args=(k,)) for k in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes.values()) == ["already_awarded", "awarded"] or sorted(
        outcomes.values()
    ) == ["awarded", "stale_version"]
    with Session(engine) as session:
        statuses = session.scalars(
            select(Application.status).where(Application.need_id == committed["need"])
        ).all()
        assert sorted(statuses) == ["awarded", "shortlisted"]
        need = session.get(Need, committed["need"])
        assert need is not None and need.status == "awarded"
