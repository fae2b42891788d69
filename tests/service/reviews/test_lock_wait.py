"""A step reads the assignment's sheets after its lock: a save committed while the step waited
for the lock is what it checks (issue 15: the step's row, expert and need are read in the
locking statement, but on PostgreSQL a joined row is the one from before the wait).

Committed data, one real request in a thread; on SQLite BEGIN IMMEDIATE makes it wait too.
"""

import threading
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session

from service.models import AuditEvent, Review, ReviewAssignment, ReviewScore
from service.reviews import service as reviews
from service.reviews.schemas import AssignIn, ReviewIn
from tests.factories import auth
from tests.service.kit.test_unique_races import _app, cleanup  # noqa: F401 - the fixture
from tests.service.review_market import FULL, make_panel

PARTLY = {code: score for code, score in FULL.items() if code != "feasibility"}


def _waiting_for_a_lock(engine: Engine) -> bool:
    if engine.dialect.name != "postgresql":
        time.sleep(1)  # SQLite: the request queues on the write lock (busy_timeout)
        return True
    with engine.connect() as conn:
        waits = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        return bool(conn.scalar(text(waits)))


def test_submit_sees_the_score_saved_while_it_waited(
    engine: Engine,
    cleanup: dict[str, list[Any]],  # noqa: F811 - the imported fixture
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        panel = make_panel(session)
        expert, app, app2 = panel["expert"], panel["app"], panel["app2"]
        data = AssignIn(expert_id=expert.id)
        assignment_id = reviews.assign(session, panel["admin"], panel["need"].id, data).id
        reviews.save_review(session, expert, assignment_id, app.id, ReviewIn(scores=FULL))
        reviews.save_review(session, expert, assignment_id, app2.id, ReviewIn(scores=PARTLY))
        session.commit()
        users = [u.id for u in panel.values() if hasattr(u, "role")]
        cleanup["users"] += users
        cleanup["orgs"].append(panel["partner"].id)
        cleanup["needs"].append(panel["need"].id)
        headers = auth(expert)
    answers: list[Any] = []
    try:
        with Session(engine) as saving:  # the last score, saved but not yet committed
            reviews.save_review(saving, expert, assignment_id, app2.id, ReviewIn(scores=FULL))
            client = TestClient(_app(engine))
            url = f"/api/v1/review-assignments/{assignment_id}/submit"
            submit = threading.Thread(
                target=lambda: answers.append(client.post(url, headers=headers))
            )
            submit.start()
            deadline = time.monotonic() + 30
            while not _waiting_for_a_lock(engine) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not answers, "the submit did not wait for the save's lock"
            saving.commit()
        submit.join(timeout=60)
        assert answers and answers[0].status_code == 200, answers and answers[0].text
        assert answers[0].json()["status"] == "submitted"
        assert [r["scores"] for r in answers[0].json()["reviews"]] == [FULL, FULL]
    finally:
        with Session(engine) as session:
            reviewed = select(Review.id).where(Review.assignment_id == assignment_id)
            session.execute(delete(ReviewScore).where(ReviewScore.review_id.in_(reviewed)))
            session.execute(delete(Review).where(Review.assignment_id == assignment_id))
            session.execute(delete(AuditEvent).where(AuditEvent.object_id == assignment_id))
            session.execute(delete(ReviewAssignment).where(ReviewAssignment.id == assignment_id))
            session.commit()
