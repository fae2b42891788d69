"""What the two sides of a 揭榜 hear: the posting enterprise about applications received and
withdrawn, every applicant organisation (lead and consortium members) about the decisions.
Links are the web app's pages: the need's applications for the enterprise, 我的揭榜 for
applicants."""

from sqlalchemy.orm import Session

from service.kit.money import yuan_to_wan
from service.models import Application, ApplicationMember, Need
from service.notifications.service import notify_org, notify_orgs


def received(session: Session, app: Application, need: Need) -> None:
    notify_org(
        session,
        need.org_id,
        "application_received",
        f"收到新的揭榜申请：「{need.title}」",
        f"{app.org.name}提交了揭榜申请，申请金额 {yuan_to_wan(app.requested_amount)} 万元。",
        link=f"/needs/{need.id}/applications",
        obj=("application", app.id),
    )


def transitioned(session: Session, app: Application, need: Need, action: str) -> None:
    if action == "shortlist":
        _to_applicants(
            session,
            app,
            "application_shortlisted",
            f"您对「{need.title}」的揭榜申请已入围",
            "发榜企业已将您的申请列入入围名单，请留意后续评审与洽谈安排。",
        )
    elif action == "reject":
        _to_applicants(
            session,
            app,
            "application_rejected",
            f"您对「{need.title}」的揭榜申请未入选",
            f"理由：{app.reject_reason}",
        )
    elif action == "withdraw":
        notify_org(
            session,
            need.org_id,
            "application_withdrawn",
            f"揭榜申请已撤回：「{need.title}」",
            f"{app.org.name}撤回了揭榜申请。",
            link=f"/needs/{need.id}/applications",
            obj=("application", app.id),
        )


def awarded(session: Session, app: Application, need: Need) -> None:
    _to_applicants(
        session,
        app,
        "application_awarded",
        f"恭喜！您对「{need.title}」的揭榜申请揭榜成功",
        f"授予金额 {yuan_to_wan(app.committed_amount)} 万元，联合体按约定占比分配。"
        "请与发榜企业商定实施里程碑。",
    )


def _to_applicants(session: Session, app: Application, kind: str, title: str, body: str) -> None:
    """Every user of the lead and of each consortium member organisation."""
    orgs = [m.org_id for m in app.members]
    link, obj = "/my/applications", ("application", app.id)  # the web app's 我的揭榜
    notify_orgs(session, orgs, kind, title, body, link=link, obj=obj)


# Consortium consent: invitations to the member organisations, answers to the lead.


def invited(
    session: Session, app: Application, need: Need, members: list[ApplicationMember]
) -> None:
    for member in members:
        notify_org(
            session,
            member.org_id,
            "consortium_invited",
            f"{app.org.name}邀请贵单位加入「{need.title}」揭榜联合体",
            f"拟定分工占比 {format(member.share.normalize(), 'f')}%。请查看申请内容后确认或谢绝；"
            "全部成员确认前，该申请不会提交给发榜企业。",
            link=f"/applications/{app.id}",
            obj=("application", app.id),
        )


def confirmed(
    session: Session, app: Application, need: Need, member: ApplicationMember, *, complete: bool
) -> None:
    body = (
        "联合体成员已全部确认，申请已正式提交给发榜企业。"
        if complete
        else "仍有成员尚未确认，全部确认后申请才会提交给发榜企业。"
    )
    _to_lead(session, app, "consortium_confirmed", f"{member.org.name}已确认加入联合体", body)


def declined(session: Session, app: Application, need: Need, member: ApplicationMember) -> None:
    body = (
        f"理由：{member.decline_reason}。该联合体申请未成立，未提交给发榜企业；"
        "如需继续揭榜，请调整联合体后重新提交申请。"
    )
    title = f"{member.org.name}谢绝加入「{need.title}」揭榜联合体"
    _to_lead(session, app, "consortium_declined", title, body)
    others = [m.org_id for m in app.members if not m.is_lead and m.org_id != member.org_id]
    for org_id in others:
        notify_org(
            session,
            org_id,
            "consortium_declined",
            title,
            "该联合体申请未成立，您单位无需再确认。",
            link=f"/applications/{app.id}",
            obj=("application", app.id),
        )


def unformed(session: Session, app: Application, need: Need, reason: str) -> None:
    for member in app.members:
        notify_org(
            session,
            member.org_id,
            "consortium_declined",
            f"「{need.title}」的联合体申请未生效",
            f"{reason}；申请未提交给发榜企业。",
            link=f"/applications/{app.id}",
            obj=("application", app.id),
        )


def withdrawn_while_forming(session: Session, app: Application, need: Need) -> None:
    for member in app.members:
        if not member.is_lead:
            notify_org(
                session,
                member.org_id,
                "consortium_declined",
                f"{app.org.name}已撤回「{need.title}」联合体揭榜申请",
                "您单位无需再确认。",
                link=f"/applications/{app.id}",
                obj=("application", app.id),
            )


def _to_lead(session: Session, app: Application, kind: str, title: str, body: str) -> None:
    notify_org(
        session,
        app.org_id,
        kind,
        title,
        body,
        link=f"/applications/{app.id}",
        obj=("application", app.id),
    )
