"""An application as its parties see it: money split by shares, the caller's actions."""

from service.applications import auth
from service.applications.schemas import ApplicationRead, MemberRead
from service.kit.money import split_by_shares, yuan_to_wan
from service.models import Application, Need, User
from service.models.enums import ApplicationStatus, MemberStatus
from service.postings.schemas import OrgBrief


def application(app: Application, need: Need, user: User) -> ApplicationRead:
    """`need`: the need `app` answers (its title, and whose it is for the actions)."""
    committed = app.committed_amount
    parts = (
        split_by_shares(committed, [m.share for m in app.members])
        if committed is not None
        else [None] * len(app.members)
    )
    members = [
        MemberRead(
            org=OrgBrief.of(m.org),
            share=format(m.share.normalize(), "f"),
            is_lead=m.is_lead,
            committed_wan=yuan_to_wan(part),
            status=MemberStatus(m.status),
            status_label=MemberStatus(m.status).label,
            decided_at=m.decided_at,
            decline_reason=m.decline_reason,
        )
        for m, part in zip(app.members, parts, strict=True)
    ]
    status = ApplicationStatus(app.status)
    return ApplicationRead(
        id=app.id,
        need_id=app.need_id,
        need_title=need.title,
        org=OrgBrief.of(app.org),
        capability_id=app.capability_id,
        technical_plan=app.technical_plan,
        work_plan=app.work_plan,
        assessable_goals=app.assessable_goals,
        requested_amount_wan=yuan_to_wan(app.requested_amount) or "0",
        timeline_months=app.timeline_months,
        team=app.team,
        members=members,
        status=status,
        status_label=status.label,
        reject_reason=app.reject_reason,
        committed_wan=yuan_to_wan(committed),
        created_at=app.created_at,
        updated_at=app.updated_at,
        version=app.version,
        actions=auth.actions(user, app, need),
    )
