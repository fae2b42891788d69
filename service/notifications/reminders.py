"""Deadline reminders: when a published need's 揭榜 deadline is three days away (or less, if
it was published late), its posting organisation and every organisation that showed interest
hear about it once. `jiebang tick` calls this daily; running it twice sends nothing new."""

from datetime import date, timedelta

from sqlalchemy.orm import Session

from service.models import Need
from service.notifications import repository
from service.notifications.service import notify, org_user_ids

REMINDER_DAYS = 3
KIND = "deadline_reminder"


def send_deadline_reminders(session: Session, today: date) -> int:
    """Remind every need closing within REMINDER_DAYS of `today` (China calendar day) that was
    not reminded before; returns how many notifications were created."""
    created = 0
    for need in repository.needs_closing(session, today, today + timedelta(days=REMINDER_DAYS)):
        if repository.exists_for(session, KIND, "need", need.id):
            continue
        created += _remind(session, need, today)
    return created


def _remind(session: Session, need: Need, today: date) -> int:
    days = (need.deadline - today).days
    when = "今天" if days == 0 else f"{days} 天后（{need.deadline.isoformat()}）"
    link, obj = f"/needs/{need.id}", ("need", need.id)
    owners = org_user_ids(session, need.org_id)
    rows = notify(
        session,
        owners,
        KIND,
        f"您发布的需求「{need.title}」将于{when}截止揭榜",
        "截止后需求进入评审阶段，请及时查看已收到的揭榜申请。",
        link=link,
        obj=obj,
    )
    interested = [
        user_id
        for org_id in sorted(repository.interested_org_ids(session, need.id) - {need.org_id})
        for user_id in org_user_ids(session, org_id)
    ]
    rows += notify(
        session,
        interested,
        KIND,
        f"您关注的需求「{need.title}」将于{when}截止揭榜",
        "截止前仍可提交或修改揭榜申请，逾期不再受理。",
        link=link,
        obj=obj,
    )
    return len(rows)
