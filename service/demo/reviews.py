"""Demo 专家论证: 揭榜 applications to two 揭榜挂帅 needs, experts assigned, one review submitted,
one in progress, one still to do — all through the real services, so the notifications, the
audit trail and the aggregated scores are what users would produce."""

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.applications import repository as applications_repository
from service.applications import service as applications
from service.applications.schemas import ApplicationCreate, MemberIn
from service.demo.consortium import answer_invitations
from service.kit.actions import TransitionIn
from service.models import Application, Need, Organization, User
from service.models.enums import Role
from service.notifications import mail
from service.notifications import repository as notification_inbox
from service.notifications import service as notifications
from service.reviews import service as reviews
from service.reviews.lifecycle import REVIEW_NEED_STATES
from service.reviews.schemas import AssignIn, ReviewIn
from service.users import repository as users
from service.users import service as users_service
from service.users.schemas import UserCreate

# Needs the other demo stories (awards, milestones) leave alone, so the stories never collide.
COOLING = "智算中心高密度机柜液冷散热系统"
STORAGE = "储能电池舱热失控早期预警技术"

PROPOSALS: dict[str, dict[str, Any]] = {
    "researcher": {
        "technical_plan": "采用冷板式液冷为主、风液混合为辅的方案：拓扑优化微通道冷板降低流阻，"
        "干式快接头与漏液定位传感防漏，二次侧供液温度提升至45℃，配合闭式冷却塔实现全年自然冷却。",
        "work_plan": "第1–6个月完成冷板流道仿真与样件测试；第7–12个月完成10个机柜中试；"
        "第13–24个月完成50个机柜示范部署与能效第三方测评。",
        "assessable_goals": "示范区PUE≤1.18；单机柜功率≥45kW；供液温度≥45℃；"
        "连续运行6个月零漏液事故。",
        "requested_amount_wan": "900",
        "timeline_months": 24,
        "team": "苏南理工大学能源与动力学院热管理团队（教授2名、副教授2名、博士后3名），"
        "玉峰研究院系统集成工程团队8人",
    },
    "res_huning_univ": {
        "technical_plan": "采用单相浸没式液冷：氟化冷却液与服务器材料兼容性筛选，"
        "定制浸没槽与CDU，余热回收用于园区供暖。",
        "work_plan": "第1–8个月完成冷却液兼容性与浸没槽样机；第9–18个月完成20个机柜试点；"
        "第19–24个月扩展至50个机柜。",
        "assessable_goals": "示范区PUE≤1.12；单机柜功率≥60kW；冷却液年损耗≤1%。",
        "requested_amount_wan": "1000",
        "timeline_months": 24,
        "team": "沪宁科技大学数据中心节能课题组（教授1名、讲师3名、研究生8名）",
    },
    "res_dongfang_energy_inst": {
        "technical_plan": "融合H₂/CO特征气体传感、电芯膨胀力与交流内阻在线测量，"
        "以舱级边缘计算节点运行轻量时序模型，分级预警并联动消防。",
        "work_plan": "第1–6个月完成传感器选型与热失控触发试验数据采集；第7–12个月完成预警模型；"
        "第13–18个月完成示范舱部署与第三方验证。",
        "assessable_goals": "预警提前时间≥15分钟；误报率≤0.5%；单舱增量成本≤1.8万元；"
        "通过第三方热失控触发试验。",
        "requested_amount_wan": "460",
        "timeline_months": 18,
        "team": "东方储能与电力电子研究院电池安全团队12人",
    },
}
FIRST_SHEET = {
    "tech_advancement": 4,
    "feasibility": 5,
    "team_capability": 5,
    "budget_reasonableness": 4,
}
SECOND_SHEET = {
    "tech_advancement": 5,
    "feasibility": 3,
    "team_capability": 3,
    "budget_reasonableness": 3,
}


def load(session: Session) -> dict[str, int]:
    """Run after needs and capabilities are loaded; returns counts for the loader's summary."""
    mail.suppress(session)  # demo addresses are not real: never mail them
    admin = _user(session, "admin")
    expert = _user(session, "expert")
    expert2 = _second_expert(session)
    cooling, storage = _need(session, COOLING), _need(session, STORAGE)
    assignments = 0
    if cooling is not None:
        lead = _apply(session, "researcher", cooling, members={"yufeng_inst": Decimal(30)})
        other = _apply(session, "res_huning_univ", cooling)
        owner = session.get(User, cooling.created_by_id)
        if owner is not None and lead.status == "submitted":
            applications.transition(session, owner, lead.id, "shortlist", TransitionIn())
        first = reviews.assign(session, admin, cooling.id, AssignIn(expert_id=expert.id))
        reviews.save_review(
            session, expert, first.id, lead.id, ReviewIn(scores=FIRST_SHEET, comment=_C1)
        )
        reviews.save_review(
            session, expert, first.id, other.id, ReviewIn(scores=SECOND_SHEET, comment=_C2)
        )
        reviews.submit(
            session, expert, first.id, "两种路线均可行；冷板式方案与既有风冷兼容性更好。", None
        )
        second = reviews.assign(session, admin, cooling.id, AssignIn(expert_id=expert2.id))
        reviews.save_review(
            session,
            expert2,
            second.id,
            lead.id,
            ReviewIn(scores={"tech_advancement": 4, "feasibility": 5}, comment="草稿，待完成"),
        )
        assignments += 2
    if storage is not None:
        _apply(session, "res_dongfang_energy_inst", storage)
        reviews.assign(session, admin, storage.id, AssignIn(expert_id=expert.id))
        assignments += 1
    if cooling is not None:
        _read_approvals(session, _user(session, "ent_suanli_data"))
    return {"review_assignments": assignments}


_C1 = "冷板流道与防漏设计成熟，中试到示范的节奏合理，团队有数据中心工程经验。"
_C2 = "浸没式能效指标领先，但冷却液成本与服务器保修兼容性论证不足，经费偏高。"


def _read_approvals(session: Session, owner: User) -> None:
    """The enterprise has read its approval notices; everything else stays unread."""
    for note in notification_inbox.unread(session, owner.id):
        if note.kind == "need_approved":
            notifications.mark_read(session, owner, note.id)


def _user(session: Session, username: str) -> User:
    user = users.by_username(session, username)
    if user is None:
        raise ValueError(f"demo user {username} missing")
    return user


def _org_id(session: Session, name_key: str) -> int:
    names = {"yufeng_inst": "昆山玉峰先进技术研究院", "jinling_eng_univ": "金陵工程大学"}
    org_id = session.scalar(select(Organization.id).where(Organization.name == names[name_key]))
    if org_id is None:
        raise ValueError(f"demo organisation {name_key} missing")
    return org_id


def _second_expert(session: Session) -> User:
    existing = users.by_username(session, "expert2")
    if existing is not None:
        return existing
    data = UserCreate(
        username="expert2",
        password="Jiebang@2026",
        display_name="钱文华",
        role=Role.expert,
        org_id=_org_id(session, "jinling_eng_univ"),
        email="qianwenhua@example.cn",
        phone="13951230876",
    )
    return users_service.create(session, data)


def _need(session: Session, title: str) -> Need | None:
    """The demo need, if it is (still) open for expert review."""
    need = session.scalar(select(Need).where(Need.title == title))
    if need is None or need.status not in REVIEW_NEED_STATES:
        return None
    return need


def _apply(
    session: Session, username: str, need: Need, members: dict[str, Decimal] | None = None
) -> Application:
    """Apply as `username`'s organisation, or reuse its live application to this need."""
    user = _user(session, username)
    if user.org_id is None:
        raise ValueError(f"demo user {username} has no organisation")
    live = applications_repository.live_for_org(session, need.id, user.org_id)
    if live is not None:
        return live
    members = members or {}
    member_list = [MemberIn(org_id=_org_id(session, k), share=v) for k, v in members.items()]
    data = ApplicationCreate(
        **PROPOSALS[username],
        lead_share=Decimal(100) - sum(members.values(), Decimal(0)),
        members=member_list,
    )
    return answer_invitations(session, applications.create(session, user, need.id, data), None)
