"""Consortium consent: the organisations a lead lists confirm (or decline) before the
application counts.

A consortium application is born `forming`: only its own organisations (and admins) see it.
Each member organisation's staff get an invitation and confirm or decline. When the last one
confirms, the application becomes `submitted` and reaches the posting enterprise (and may
make an assigned expert conflicted, which is flagged). A decline dissolves it: the consent was
to this consortium and this split, so the lead applies again with another consortium (the
live slot is free once dissolved). A deadline that passes while forming dissolves it too, and
so does withdrawing the need.
"""

from decimal import Decimal

from sqlalchemy.orm import Session

from service.applications import auth, notices, repository
from service.applications.lifecycle import (
    APPLICATION_MACHINE,
    MEMBER_MACHINE,
    open_for_applications,
)
from service.applications.schemas import MemberIn
from service.kit.db import utcnow
from service.kit.errors import BadRequest, Forbidden, InvalidTransition
from service.models import Application, Need, Organization, User
from service.models.enums import CONSORTIUM_KINDS, ApplicationStatus, MemberStatus, OrgKind
from service.notifications.service import together
from service.reviews import conflicts

DEADLINE_REASON = "揭榜截止前联合体成员未全部确认，申请未生效"
WITHDRAWN_REASON = "需求已撤回，联合体申请未生效"


def check_members(
    session: Session, need: Need, lead_org_id: int, lead_share: Decimal, members: list[MemberIn]
) -> None:
    """The lead and every member are enterprises, universities or institutes (never the bureau
    or a broker agency); members are other organisations than the lead and the posting
    enterprise; shares sum to 100."""
    lead = session.get(Organization, lead_org_id)
    if lead is None or lead.kind not in CONSORTIUM_KINDS:
        raise Forbidden(
            "只有企业、高校或科研院所可以揭榜",
            "Only enterprises, universities and institutes apply",
            code="applicant_not_eligible",
        )
    total = lead_share + sum((m.share for m in members), Decimal(0))
    if total != 100:
        raise BadRequest(
            f"联合体各方占比合计须为 100%，当前为 {total.normalize():f}%",
            "Shares must sum to 100",
            code="shares_not_100",
        )
    for member in members:
        if member.org_id in (lead_org_id, need.org_id):
            raise BadRequest(
                "联合体成员不能是牵头单位或发榜企业",
                "Invalid consortium member",
                code="invalid_member",
            )
        org = session.get(Organization, member.org_id)
        if org is None:
            raise BadRequest(
                f"联合体成员机构不存在：{member.org_id}",
                "Unknown member org",
                code="invalid_member",
            )
        if org.kind not in CONSORTIUM_KINDS:
            raise BadRequest(
                f"「{org.name}」是{OrgKind(org.kind).label}，联合体成员只能是企业、高校或科研院所",
                "Only enterprises, universities and institutes join a consortium",
                code="member_not_eligible",
            )


def start(session: Session, user: User, app: Application) -> None:
    """Record the birth: forming (and each member invited) with members, else submitted."""
    invited = [m for m in app.members if not m.is_lead]
    APPLICATION_MACHINE.start(session, app, user.id, "form" if invited else "create")
    for member in invited:
        MEMBER_MACHINE.start(session, member, user.id, "invite")


def announce(session: Session, app: Application, need: Need) -> None:
    """After the birth: invite the members, or (no members) the application counts at once."""
    invited = [m for m in app.members if not m.is_lead]
    if invited:
        notices.invited(session, app, need, invited)
    else:
        counted(session, app, need)


def counted(session: Session, app: Application, need: Need) -> None:
    """The application now counts: the enterprise hears of it, and any expert of the need whose
    organisation is among the applicants is flagged to the admins."""
    with together(session):  # the enterprise and any conflicted expert: one INSERT
        notices.received(session, app, need)
        conflicts.flag_new_applicants(session, need, app.org.name, {m.org_id for m in app.members})


def decide(
    session: Session,
    user: User,
    app: Application,
    need: Need,
    action: str,
    reason: str | None,
) -> None:
    """A member organisation's staff confirm or decline; the caller locked `app`."""
    member = auth.membership(user, app)
    if member is None:
        raise Forbidden(
            "只有受邀联合体成员单位的人员可以确认或谢绝",
            "Only staff of an invited member organisation",
            code="not_a_member",
        )
    if app.status != ApplicationStatus.forming:
        raise InvalidTransition(
            f"该申请当前为「{ApplicationStatus(app.status).label}」，已不需要成员确认",
            "The application is not waiting for its members",
        )
    decline_reason = (reason or "").strip() if action == "decline" else None
    if action == "confirm":
        open_for_applications(need)  # joining after the deadline would count too late
    MEMBER_MACHINE.apply(
        session,
        member,
        action,
        user.id,
        reason,
        {"decided_at": utcnow(), "decided_by_id": user.id, "decline_reason": decline_reason},
    )
    if action == "decline":
        APPLICATION_MACHINE.apply(
            session,
            app,
            "dissolve",
            user.id,
            f"{member.org.name}谢绝加入联合体：{decline_reason}",
        )
        notices.declined(session, app, need, member)
    elif all(m.status == MemberStatus.confirmed for m in app.members):
        APPLICATION_MACHINE.apply(session, app, "constitute", user.id)
        with together(session):  # the lead, the enterprise and any conflict: one INSERT
            notices.confirmed(session, app, need, member, complete=True)
            counted(session, app, need)
    else:
        app.updated_at = utcnow()  # a new version: the lead's open page is stale now
        notices.confirmed(session, app, need, member, complete=False)


def dissolve_unformed(
    session: Session, need: Need, reason: str = DEADLINE_REASON, actor_id: int | None = None
) -> int:
    """The need stopped taking applications (deadline passed, or withdrawn): every application
    to it still forming is dissolved, and its organisations are told why."""
    apps = repository.forming_for_update(session, need.id)
    for app in apps:
        APPLICATION_MACHINE.apply(session, app, "dissolve", actor_id, reason)
        notices.unformed(session, app, need, reason)
    return len(apps)
