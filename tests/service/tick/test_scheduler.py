"""The deadline tick: moves needs on time, records actor None with a reason, is idempotent,
and two ticks at once never move (or record) a need twice."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from service.config import get_settings
from service.kit.clock import today
from service.kit.jobs import JobQueue
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
from service.tick import deadlines
from service.tick.scheduler import Scheduler
from service.tick.steps import TICK_STEPS, run_tick
from tests.factories import create_application, create_need, create_user

REVIEW = get_settings().review_period_days


def _events(session: Session, need_id: int) -> list[tuple[str, str, int | None, str | None]]:
    rows = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "need", AuditEvent.object_id == need_id)
        .order_by(AuditEvent.id)
    )
    return [(e.action, e.to_state, e.actor_id, e.reason) for e in rows]


def test_deadline_passed_moves_to_review(session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    day = today()
    past = create_need(session, owner, deadline=day - timedelta(days=1))
    last_day = create_need(session, owner, deadline=day)  # the deadline day is still open
    draft = create_need(session, owner, status="draft", deadline=day - timedelta(days=5))
    awarded = create_need(session, owner, status="awarded", deadline=day - timedelta(days=5))
    assert deadlines.close_applications(session, day) == 1
    assert past.status == "under_review"
    assert (last_day.status, draft.status, awarded.status) == ("published", "draft", "awarded")
    assert _events(session, past.id) == [
        ("close_applications", "under_review", None, "揭榜截止，自动进入评审")
    ]
    told = session.scalars(select(Notification).where(Notification.user_id == owner.id)).one()
    assert told.kind == "need_under_review" and told.link == f"/needs/{past.id}"
    # idempotent: nothing more happens, nothing more is recorded
    assert deadlines.close_applications(session, day) == 0
    assert len(_events(session, past.id)) == 1


def test_review_period_over_expires_and_tells_applicants(session: Session) -> None:
    owner = create_user(session, Role.enterprise)
    day = today()
    over = create_need(session, owner, status="under_review", deadline=day - timedelta(REVIEW + 1))
    within = create_need(session, owner, status="under_review", deadline=day - timedelta(REVIEW))
    lab, lab2, lab3 = (create_user(session, Role.researcher) for _ in range(3))
    live = create_application(session, over, lab, status="shortlisted")
    gone = create_application(session, over, lab2, status="withdrawn")
    create_application(session, within, lab3)
    assert deadlines.expire_unawarded(session, day) == 1
    assert (over.status, within.status) == ("expired", "under_review")
    assert _events(session, over.id) == [
        ("expire", "expired", None, "评审期满未确定揭榜方，自动过期")
    ]
    assert live.status == "rejected" and "自动过期" in (live.reject_reason or "")
    assert gone.status == "withdrawn"
    kinds = set(session.scalars(select(Notification.kind).where(Notification.user_id == lab.id)))
    assert kinds == {"application_rejected"}
    assert session.scalars(
        select(Notification.kind).where(Notification.user_id == owner.id)
    ).all() == ["need_expired"]
    assert deadlines.expire_unawarded(session, day) == 0


def test_long_overdue_need_walks_both_steps(session: Session) -> None:
    """A server that was down for weeks catches up in one tick, recording both moves."""
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, deadline=today() - timedelta(days=REVIEW + 10))
    for _, step in TICK_STEPS:
        step(session, today())
    assert [e[:2] for e in _events(session, need.id)] == [
        ("close_applications", "under_review"),
        ("expire", "expired"),
    ]


@pytest.fixture
def committed(engine: Engine) -> Iterator[dict[str, list[int]]]:
    """Committed needs due for the tick (threads need their own connections)."""
    with Session(engine) as session:
        owner = create_user(session, Role.enterprise)
        closing = [
            create_need(session, owner, deadline=today() - timedelta(days=2)).id for _ in range(6)
        ]
        expiring = [
            create_need(
                session, owner, status="under_review", deadline=today() - timedelta(REVIEW + 2)
            ).id
            for _ in range(3)
        ]
        lab = create_user(session, Role.researcher)
        need = session.get(Need, expiring[0])
        assert need is not None
        app = create_application(session, need, lab).id
        ids = {"closing": closing, "expiring": expiring, "users": [owner.id, lab.id], "app": [app]}
        session.commit()
    yield ids
    with Session(engine) as session:  # core deletes: the audit table refuses ORM deletes
        need_ids = closing + expiring
        orgs = list(session.scalars(select(User.org_id).where(User.id.in_(ids["users"]))))
        session.execute(delete(AuditEvent).where(AuditEvent.object_id.in_([*need_ids, app])))
        session.execute(delete(Notification).where(Notification.user_id.in_(ids["users"])))
        session.execute(delete(ApplicationMember).where(ApplicationMember.application_id == app))
        session.execute(delete(Application).where(Application.id == app))
        session.execute(delete(Need).where(Need.id.in_(need_ids)))
        session.execute(delete(User).where(User.id.in_(ids["users"])))
        session.execute(delete(Organization).where(Organization.id.in_(orgs)))
        session.commit()


def test_two_ticks_at_once_move_each_need_once(
    engine: Engine, committed: dict[str, list[int]]
) -> None:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []

    def tick() -> None:
        barrier.wait(timeout=30)
        results.append(run_tick(factory, today()))

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2 and all(v >= 0 for r in results for v in r.values()), results
    assert sum(r["close_applications"] for r in results) == len(committed["closing"])
    assert sum(r["expire_unawarded"] for r in results) == len(committed["expiring"])
    with Session(engine) as session:
        for need_id in committed["closing"]:
            assert [e[:2] for e in _events(session, need_id)] == [
                ("close_applications", "under_review")
            ]
        for need_id in committed["expiring"]:
            assert [e[:2] for e in _events(session, need_id)] == [("expire", "expired")]
        rejections = session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "application",
                AuditEvent.object_id == committed["app"][0],
            )
        ).all()
        assert [e.action for e in rejections] == ["reject"]
    # and a third tick finds nothing left to do
    assert run_tick(factory, today()) == {
        "close_applications": 0,
        "expire_unawarded": 0,
        "deadline_reminders": 0,
        "recommended_subscriptions": 0,
        "subscription_digests": 0,
        "mail_retries": 0,
    }


def test_a_failing_step_does_not_stop_the_others(
    engine: Engine, committed: dict[str, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(session: Session, day: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr("service.tick.steps.TICK_STEPS", [("broken", broken), *TICK_STEPS])
    done = run_tick(sessionmaker(bind=engine), today())
    assert done["broken"] == -1 and done["close_applications"] == len(committed["closing"])


def test_scheduler_thread_runs_until_stopped() -> None:
    calls: list[float] = []

    def job() -> None:
        calls.append(time.monotonic())
        if len(calls) == 2:
            raise RuntimeError("a bad tick must not kill the thread")

    queue = JobQueue("test-jobs")
    scheduler = Scheduler(job, interval=0.01, queue=queue).start()
    deadline = time.monotonic() + 10
    while len(calls) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    scheduler.stop()
    assert len(calls) >= 4 and scheduler.stopped
    assert queue.alive  # the queue's thread serves other jobs still
    queue.stop()
    assert not queue.alive
    count = len(calls)
    time.sleep(0.05)
    assert len(calls) == count


def test_jiebang_tick_command(tmp_path: Path, repo_root: Path) -> None:
    env = {
        **os.environ,
        "JIEBANG_DATABASE_URL": f"sqlite:///{tmp_path / 'tick.db'}",
        "JIEBANG_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(repo_root),
    }

    def jiebang(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "service.cli", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert jiebang("migrate").returncode == 0
    done = jiebang("tick", "--date", "2030-01-01")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "tick: close_applications=0 expire_unawarded=0 deadline_reminders=0"
        " recommended_subscriptions=0 subscription_digests=0 mail_retries=0"
    )


def test_only_the_served_app_runs_the_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app

    ticks: list[int] = []
    runners: list[Scheduler] = []

    def start() -> Scheduler:
        runners.append(Scheduler(lambda: ticks.append(1), interval=3600).start())
        return runners[-1]

    monkeypatch.setattr("service.tick.scheduler.start_default", start)
    with TestClient(create_app()):
        pass
    assert runners == []
    with TestClient(create_app(scheduler=True)):
        deadline = time.monotonic() + 10
        while not ticks and time.monotonic() < deadline:
            time.sleep(0.01)
    assert ticks == [1] and runners[0].stopped  # stopped with the app
