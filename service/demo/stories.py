"""Demo needs in every state after 张榜: applications, awards, milestones, the tick, the end.

A step of service/demo/seed.py, driven by service/demo/lifecycle.json through the real
services, so every state has its true audit trail. Only the clock is simulated: a story with
`past_deadline_days` has its deadline moved into the past (as if that many days had gone by)
before the real deadline tick runs.
"""

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.applications import service as applications
from service.applications.schemas import ApplicationCreate, MemberIn
from service.config import get_settings
from service.demo.consortium import answer_invitations
from service.kit.actions import TransitionIn
from service.kit.clock import today
from service.milestones import service as milestones
from service.milestones.schemas import MilestoneActionIn, MilestoneCreate
from service.models import Need, User
from service.models.enums import Role
from service.needs import service as needs
from service.tick import deadlines

DEMO_FILE = Path(__file__).resolve().parent / "lifecycle.json"

# Who performs each milestone action in a story.
_ACTOR = {
    "agree": "winner",
    "decline": "winner",
    "submit": "winner",
    "accept": "owner",
    "return": "owner",
    "pay": "owner",
}


def load(session: Session, org_ids: dict[str, int]) -> dict[str, int]:
    stories: list[dict[str, Any]] = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    users = {u.username: u for u in session.scalars(select(User))}
    admin = next(u for u in users.values() if u.role == Role.admin)
    cast = []
    for story in stories:
        need = session.scalars(select(Need).where(Need.title == story["need"])).one()
        owner = session.get(User, need.created_by_id)
        assert owner is not None
        apps = [
            _apply(session, users[row["by"]], need, row, org_ids)
            for row in story.get("applications", [])
        ]
        cast.append((story, need, owner, apps))
        if story.get("outcome") == "withdraw":
            needs.transition(session, owner, need.id, "withdraw", TransitionIn())

    # Time passes: the chosen deadlines are over, and the real tick moves those needs.
    review = get_settings().review_period_days
    for story, need, _, _ in cast:
        days = story.get("past_deadline_days")
        if days is not None:
            days = review + int(days.split("+")[1]) if isinstance(days, str) else days
            need.deadline = today() - timedelta(days=days)
    session.flush()
    deadlines.close_applications(session, today())
    deadlines.expire_unawarded(session, today())

    counts = {"applications": 0, "milestones": 0}
    for story, need, owner, apps in cast:
        counts["applications"] += len(apps)
        winners = [(row, app_id) for row, app_id in apps if row["status"] == "awarded"]
        for row, app_id in winners:  # every winner first: the work starts with a milestone
            applications.award(session, owner, app_id, Decimal(row["award_wan"]))
        for row, app_id in winners:
            winner = users[row["by"]]
            counts["milestones"] += _milestones(session, owner, winner, need, app_id, row)
        if story.get("outcome") == "complete":
            needs.transition(session, owner, need.id, "complete", TransitionIn())
        elif story.get("outcome") == "terminate":
            needs.request_termination(session, owner, need.id, story["termination_request"])
            ended = TransitionIn(reason=story["termination_reason"])
            needs.transition(session, admin, need.id, "terminate", ended)
    return counts


def _apply(
    session: Session, user: User, need: Need, row: dict[str, Any], org_ids: dict[str, int]
) -> tuple[dict[str, Any], int]:
    months = int(row["months"])
    third = max(months // 3, 1)
    data = ApplicationCreate(
        technical_plan=row["plan"],
        work_plan=(
            f"第1–{third}个月完成方案细化与关键工艺验证；第{third + 1}–{2 * third}个月完成样机"
            f"（样品）研制与中试；第{2 * third + 1}–{months}个月完成现场验证、总结并交付验收。"
        ),
        assessable_goals=row["goals"],
        requested_amount_wan=Decimal(row["requested_wan"]),
        timeline_months=months,
        team=row["team"],
        lead_share=Decimal(row.get("lead_share", "100")),
        members=[
            MemberIn(org_id=org_ids[m["org"]], share=Decimal(m["share"]))
            for m in row.get("members", [])
        ],
    )
    app = applications.create(session, user, need.id, data)
    if row["status"] != "forming":  # the members answer their invitations
        answer_invitations(session, app, row.get("decline_reason"))
    owner = session.get(User, need.created_by_id)
    assert owner is not None
    if row["status"] in ("shortlisted", "awarded"):
        applications.transition(session, owner, app.id, "shortlist", TransitionIn())
    elif row["status"] == "rejected":
        applications.transition(
            session, owner, app.id, "reject", TransitionIn(reason=row["reason"])
        )
    elif row["status"] == "withdrawn":
        applications.transition(session, user, app.id, "withdraw", TransitionIn())
    return row, app.id


def _milestones(
    session: Session, owner: User, winner: User, need: Need, app_id: int, row: dict[str, Any]
) -> int:
    people = {"owner": owner, "winner": winner}
    plans = row.get("milestones", [])
    created = [
        milestones.create(
            session,
            owner,
            need.id,
            MilestoneCreate(
                application_id=app_id,
                name=plan["name"],
                due_date=today() + timedelta(days=int(plan["due_in_days"])),
                amount_wan=Decimal(plan["amount_wan"]),
                acceptance_criteria=plan["criteria"],
            ),
        )
        for plan in plans
    ]
    for plan, milestone in zip(plans, created, strict=True):
        for action in plan["path"]:
            milestones.transition(
                session,
                people[_ACTOR[action]],
                milestone.id,
                action,
                MilestoneActionIn(reason=plan.get("reason"), note=plan.get("note")),
            )
    return len(created)
