"""The last two consortium members confirm at the same moment: the application becomes
submitted exactly once (one `constitute` step, one notice to the enterprise).

Real concurrent transactions on committed data; the application row lock serialises them on
PostgreSQL, BEGIN IMMEDIATE on SQLite.
"""

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from service.applications import service as applications
from service.applications.schemas import ApplicationCreate, MemberIn
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
from service.models.enums import OrgKind, Role
from tests.factories import create_need, create_org, create_user


@pytest.fixture
def forming(engine: Engine) -> Iterator[dict[str, int]]:
    with Session(engine) as session:
        owner = create_user(session, Role.enterprise)
        need = create_need(session, owner)
        lab = create_user(session, Role.researcher)
        orgs = [create_org(session, OrgKind.institute), create_org(session, OrgKind.enterprise)]
        staff = [create_user(session, Role.researcher, org=o) for o in orgs]
        data = ApplicationCreate(
            technical_plan="采用原子层沉积叠层阻隔膜结合边缘密封胶。",
            work_plan="第1–6个月完成工艺验证，第7–12个月导入产线试产。",
            assessable_goals="85℃/85%RH 1000小时无发黄。",
            requested_amount_wan=Decimal(50),
            timeline_months=12,
            team="薄膜团队",
            lead_share=Decimal(50),
            members=[MemberIn(org_id=o.id, share=Decimal(25)) for o in orgs],
        )
        app = applications.create(session, lab, need.id, data)
        ids = {"app": app.id, "need": need.id, "owner": owner.id, "a": staff[0].id}
        ids["b"] = staff[1].id
        org_ids = [owner.org_id, lab.org_id, *(o.id for o in orgs)]
        session.commit()
    yield ids
    with Session(engine) as session:  # core deletes: the audit table refuses ORM deletes
        members = select(ApplicationMember.id).where(ApplicationMember.application_id == ids["app"])
        session.execute(
            delete(AuditEvent).where(
                (AuditEvent.object_type == "application") & (AuditEvent.object_id == ids["app"])
                | (AuditEvent.object_type == "application_member")
                & AuditEvent.object_id.in_(members)
                | (AuditEvent.object_type == "need") & (AuditEvent.object_id == ids["need"])
            )
        )
        users = select(User.id).where(User.org_id.in_(org_ids))
        session.execute(delete(Notification).where(Notification.user_id.in_(users)))
        session.execute(delete(ApplicationMember).where(ApplicationMember.id.in_(members)))
        session.execute(delete(Application).where(Application.id == ids["app"]))
        session.execute(delete(Need).where(Need.id == ids["need"]))
        session.execute(delete(User).where(User.org_id.in_(org_ids)))
        session.execute(delete(Organization).where(Organization.id.in_(org_ids)))
        session.commit()


def test_simultaneous_last_confirmations_submit_once(
    engine: Engine, forming: dict[str, int]
) -> None:
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def confirm(key: str) -> None:
        barrier.wait(timeout=30)  # start together, before either takes a lock
        with Session(engine, expire_on_commit=False) as session:
            try:
                staff = session.get(User, forming[key])
                assert staff is not None
                app = applications.decide_membership(session, staff, forming["app"], "confirm")
                session.commit()
                outcomes[key] = app.status
            except JiebangError as exc:
                session.rollback()
                outcomes[key] = exc.code

    threads = [threading.Thread(target=confirm, args=(k,)) for k in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes.values()) == ["forming", "submitted"], outcomes
    with Session(engine) as session:
        app = session.get(Application, forming["app"])
        assert app is not None and app.status == "submitted"
        steps = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "application", AuditEvent.object_id == app.id
            )
        ).all()
        assert sorted(steps) == ["constitute", "form"]
        owner_notes = session.scalars(
            select(Notification.kind).where(Notification.user_id == forming["owner"])
        ).all()
        assert owner_notes == ["application_received"]
