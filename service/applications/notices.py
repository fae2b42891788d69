"""What the two sides of a 揭榜 hear: the posting enterprise about applications received and
withdrawn, every applicant organisation (lead and consortium members) about the decisions.
Links are the web app's pages: the need's applications for the enterprise, 我的揭榜 for
applicants."""

from sqlalchemy.orm import Session

from service.kit.money import yuan_to_wan
from service.models import Application, Need
from service.notifications.service import notify, notify_org, org_user_ids


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
    user_ids = [u for m in app.members for u in org_user_ids(session, m.org_id)]
    link, obj = "/my/applications", ("application", app.id)  # the web app's 我的揭榜
    notify(session, user_ids, kind, title, body, link=link, obj=obj)
