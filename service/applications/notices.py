"""What the two sides of a 揭榜 hear: the posting enterprise about applications received and
withdrawn, every applicant organisation (lead and consortium members) about the decisions.
Links are the web app's pages: the need's applications for the enterprise, 我的揭榜 for
applicants."""

from sqlalchemy.orm import Session

from service.kit.money import yuan_to_wan
from service.models import Application, ApplicationMember, Need
from service.notifications.service import notify_orgs


def received(session: Session, app: Application, need: Need) -> None:
    title = f"收到新的揭榜申请：「{need.title}」"
    body = f"{app.org.name}提交了揭榜申请，申请金额 {yuan_to_wan(app.requested_amount)} 万元。"
    _to_enterprise(session, app, need, "application_received", title, body)


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
        title = f"揭榜申请已撤回：「{need.title}」"
        body = f"{app.org.name}撤回了揭榜申请。"
        _to_enterprise(session, app, need, "application_withdrawn", title, body)


def awarded(session: Session, app: Application, need: Need) -> None:
    _to_applicants(
        session,
        app,
        "application_awarded",
        f"恭喜！您对「{need.title}」的揭榜申请揭榜成功",
        f"授予金额 {yuan_to_wan(app.committed_amount)} 万元，联合体按约定占比分配。"
        "请与发榜企业商定实施里程碑。",
    )


def _to_enterprise(
    session: Session, app: Application, need: Need, kind: str, title: str, body: str
) -> None:
    """The need's enterprise, led to the applications it received."""
    link, obj = f"/needs/{need.id}/applications", ("application", app.id)
    notify_orgs(session, [need.org_id], kind, title, body, link=link, obj=obj)


def _to_applicants(session: Session, app: Application, kind: str, title: str, body: str) -> None:
    """Every user of the lead and of each consortium member organisation."""
    orgs = [m.org_id for m in app.members]
    link, obj = "/my/applications", ("application", app.id)  # the web app's 我的揭榜
    notify_orgs(session, orgs, kind, title, body, link=link, obj=obj)


# Consortium consent: invitations to the member organisations, answers to the lead.


def invited(
    session: Session, app: Application, need: Need, members: list[ApplicationMember]
) -> None:
    title = f"{app.org.name}邀请贵单位加入「{need.title}」揭榜联合体"
    for member in members:
        body = (
            f"拟定分工占比 {format(member.share.normalize(), 'f')}%。请查看申请内容后确认或谢绝；"
            "全部成员确认前，该申请不会提交给发榜企业。"
        )
        _to_consortium(session, app, [member.org_id], "consortium_invited", title, body)


def confirmed(
    session: Session, app: Application, need: Need, member: ApplicationMember, *, complete: bool
) -> None:
    body = (
        "联合体成员已全部确认，申请已正式提交给发榜企业。"
        if complete
        else "仍有成员尚未确认，全部确认后申请才会提交给发榜企业。"
    )
    title = f"{member.org.name}已确认加入联合体"
    _to_consortium(session, app, [app.org_id], "consortium_confirmed", title, body)


def declined(session: Session, app: Application, need: Need, member: ApplicationMember) -> None:
    body = (
        f"理由：{member.decline_reason}。该联合体申请未成立，未提交给发榜企业；"
        "如需继续揭榜，请调整联合体后重新提交申请。"
    )
    title = f"{member.org.name}谢绝加入「{need.title}」揭榜联合体"
    _to_consortium(session, app, [app.org_id], "consortium_declined", title, body)
    others = [m.org_id for m in app.members if not m.is_lead and m.org_id != member.org_id]
    body = "该联合体申请未成立，您单位无需再确认。"
    _to_consortium(session, app, others, "consortium_declined", title, body)


def unformed(session: Session, app: Application, need: Need, reason: str) -> None:
    title = f"「{need.title}」的联合体申请未生效"
    body = f"{reason}；申请未提交给发榜企业。"
    members = [m.org_id for m in app.members]
    _to_consortium(session, app, members, "consortium_declined", title, body)


def withdrawn_while_forming(session: Session, app: Application, need: Need) -> None:
    members = [m.org_id for m in app.members if not m.is_lead]
    title = f"{app.org.name}已撤回「{need.title}」联合体揭榜申请"
    _to_consortium(session, app, members, "consortium_declined", title, "您单位无需再确认。")


def _to_consortium(
    session: Session, app: Application, org_ids: list[int], kind: str, title: str, body: str
) -> None:
    """The staff of `org_ids` (the lead, consortium members), led to the application: one
    statement for them all, none for nobody."""
    if org_ids:
        link, obj = f"/applications/{app.id}", ("application", app.id)
        notify_orgs(session, org_ids, kind, title, body, link=link, obj=obj)
