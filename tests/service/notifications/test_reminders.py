"""Deadline reminders: three days ahead, to the posting org and the interested, exactly once."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.kit.clock import today
from service.models import Match, Notification, User
from service.models.enums import OrgKind, Role
from service.notifications.reminders import send_deadline_reminders
from tests.factories import (
    create_application,
    create_capability,
    create_need,
    create_org,
    create_user,
)


def _titles(session: Session, user: User) -> list[str]:
    statement = select(Notification.title).where(
        Notification.user_id == user.id, Notification.kind == "deadline_reminder"
    )
    return list(session.scalars(statement.order_by(Notification.id)))


def test_reminds_the_interested_once(session: Session) -> None:
    day = today()
    owner = create_user(session)
    closing = create_need(
        session, owner, title="三天后截止的需求", deadline=day + timedelta(days=3)
    )
    late = create_need(session, owner, title="明天截止的需求", deadline=day + timedelta(days=1))
    create_need(session, owner, title="十天后截止", deadline=day + timedelta(days=10))
    closed = create_need(session, owner, status="under_review", deadline=day + timedelta(days=2))
    lab, quitter, matched = (create_user(session, Role.researcher) for _ in range(3))
    partner = create_org(session, OrgKind.institute)
    member = create_user(session, Role.researcher, org=partner)
    create_application(session, closing, lab, members=[(partner, "50")], lead_share="50")
    create_application(session, closing, quitter, status="withdrawn")
    create_application(session, closed, lab)
    cap = create_capability(session, matched)
    session.add(
        Match(
            need_id=closing.id,
            capability_id=cap.id,
            origin="engine",
            status="recommended",
            capability_interest=True,
        )
    )
    session.flush()

    created = send_deadline_reminders(session, day)
    # closing: owner + lab + consortium member + interested capability owner; late: owner
    assert created == 5
    assert _titles(session, owner) == [
        f"您发布的需求「明天截止的需求」将于1 天后（{late.deadline.isoformat()}）截止揭榜",
        f"您发布的需求「三天后截止的需求」将于3 天后（{closing.deadline.isoformat()}）截止揭榜",
    ]
    for user in (lab, member, matched):
        assert _titles(session, user) == [
            f"您关注的需求「三天后截止的需求」将于3 天后（{closing.deadline.isoformat()}）截止揭榜"
        ]
    assert _titles(session, quitter) == []
    # neither the far need nor the one under review (owned by the same org) was reminded
    # idempotent: the same day again, or the next days, sends nothing more
    assert send_deadline_reminders(session, day) == 0
    assert send_deadline_reminders(session, day + timedelta(days=1)) == 0
    assert len(_titles(session, owner)) == 2
    # the far need gets its turn when it comes within three days
    assert send_deadline_reminders(session, day + timedelta(days=7)) == 1
    assert _titles(session, owner)[-1].startswith("您发布的需求「十天后截止」将于3 天后")


def test_deadline_today_is_still_reminded(session: Session) -> None:
    owner = create_user(session)
    create_need(session, owner, title="今天截止的需求", deadline=today())
    assert send_deadline_reminders(session, today()) == 1
    assert _titles(session, owner) == ["您发布的需求「今天截止的需求」将于今天截止揭榜"]
