"""A need as the caller may see it: the field-level rules of needs/auth.py applied once.
Hidden parts are null, never silently wrong."""

from datetime import datetime

from service.kit.clock import CHINA, today
from service.kit.money import yuan_to_wan
from service.models import Application, Need, User
from service.models.enums import CallType, CooperationMode, NeedStatus, Visibility
from service.needs import auth
from service.needs.clarity import stored
from service.needs.lifecycle import NEED_MACHINE
from service.needs.schemas import AwardResult, NeedRead
from service.postings.presenters import lifecycle_fields
from service.postings.schemas import Contact, OrgBrief


def need(need: Need, user: User | None, *, winner: bool = False) -> NeedRead:
    """`winner`: the caller's organisation won `need` (see service.won_by_caller), so its
    staff see the enterprise and the contact."""
    contact = Contact.of(need) if auth.is_privileged(user, need, winner=winner) else None
    org = OrgBrief.of(need.org) if auth.sees_org(user, need, winner=winner) else None
    lifecycle = lifecycle_fields(need, user, NeedStatus, NEED_MACHINE, auth)
    settings = auth.sees_settings(user, need)
    if auth.sees_milestones(user, need, winner=winner):
        lifecycle["actions"].append("milestones")
    return NeedRead(
        id=need.id,
        title=need.title,
        problem=need.problem,
        key_difficulty=need.key_difficulty,
        expected_goal=need.expected_goal,
        field=need.field_code,
        field_name=need.field.name,
        industry=need.industry,
        keywords=list(need.keywords),
        indicators=list(need.indicators),
        call_type=CallType(need.call_type),
        call_type_label=CallType(need.call_type).label,
        cooperation_mode=CooperationMode(need.cooperation_mode),
        cooperation_mode_label=CooperationMode(need.cooperation_mode).label,
        bounty_wan=yuan_to_wan(need.bounty) or "0",
        own_investment_wan=yuan_to_wan(need.own_investment),
        deadline=need.deadline,
        days_left=(need.deadline - today()).days,
        implementation_months=need.implementation_months,
        visibility=Visibility(need.visibility) if settings else None,
        visibility_label=Visibility(need.visibility).label if settings else None,
        org=org,
        contact=contact,
        **lifecycle,
        clarity=stored(need) if settings else None,
    )


def award_result(app: Application, awarded_at: datetime | None) -> AwardResult:
    """A line of the 揭榜结果公示 (`app.members`: its confirmed members, the lead among them)."""
    need = app.need
    return AwardResult(
        need_id=need.id,
        need_title=need.title,
        field_name=need.field.name,
        call_type=CallType(need.call_type),
        call_type_label=CallType(need.call_type).label,
        status=NeedStatus(need.status),
        status_label=NeedStatus(need.status).label,
        bounty_wan=yuan_to_wan(need.bounty) or "0",
        winner=OrgBrief.of(app.org),
        members=[OrgBrief.of(m.org) for m in app.members if m.org_id != app.org_id],
        amount_wan=yuan_to_wan(app.committed_amount) or "0",
        awarded_on=(awarded_at or app.updated_at).astimezone(CHINA).date(),
    )
