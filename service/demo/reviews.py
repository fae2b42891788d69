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

STAGE = "直线电机精密运动平台纳米级定位"
STORAGE = "储能电池舱热失控早期预警技术"

PROPOSALS: dict[str, dict[str, Any]] = {
    "researcher": {
        "technical_plan": "以激光干涉仪对光栅尺做全行程二维误差映射并在驱动器内实时补偿；"
        "气浮导轨替代滚动导轨消除直线度与摩擦扰动；控制上采用前馈+扰动观测器+陷波滤波，"
        "抑制力波动与一阶机械谐振，并以温度传感阵列建立热漂移模型在线修正。",
        "work_plan": "第1–6个月完成误差映射与补偿算法、气浮导轨选型；第7–14个月完成样机装调与"
        "控制参数整定；第15–24个月完成批量化标定工艺与第三方精度检测。",
        "assessable_goals": "300mm行程定位精度≤0.8μm；重复定位精度≤0.2μm；"
        "到位整定时间≤25ms；环境温度±1℃变化下漂移≤0.3μm；提交可复制的标定作业指导书。",
        "requested_amount_wan": "520",
        "timeline_months": 24,
        "team": "苏南理工大学精密仪器团队（教授2名、副教授2名、博士后3名），"
        "玉峰研究院装调与检测工程师5人",
    },
    "res_huning_univ": {
        "technical_plan": "保留现有滚动导轨，采用迭代学习控制与输入整形抑制残余振动，"
        "以高分辨率光栅尺（1nm）替换现有读数头并做分段线性误差补偿。",
        "work_plan": "第1–8个月完成控制算法开发与仿真；第9–16个月在现有平台上改造验证；"
        "第17–20个月完成小批量试装。",
        "assessable_goals": "300mm行程定位精度≤1μm；重复定位精度≤0.3μm；整定时间≤30ms；"
        "改造成本不超过整机成本的15%。",
        "requested_amount_wan": "380",
        "timeline_months": 20,
        "team": "沪宁科技大学机械工程学院运动控制课题组（教授1名、讲师2名、研究生5名）",
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
    "tech_advancement": 5,
    "feasibility": 4,
    "team_capability": 5,
    "budget_reasonableness": 4,
}
SECOND_SHEET = {
    "tech_advancement": 4,
    "feasibility": 4,
    "team_capability": 3,
    "budget_reasonableness": 5,
}


def load(session: Session) -> dict[str, int]:
    """Run after needs and capabilities are loaded; returns counts for the loader's summary."""
    session.info[mail.SUPPRESS] = True  # demo addresses are not real: never mail them
    admin = _user(session, "admin")
    expert = _user(session, "expert")
    expert2 = _second_expert(session)
    stage, storage = _need(session, STAGE), _need(session, STORAGE)
    assignments = 0
    if stage is not None:
        lead = _apply(session, "researcher", stage, members={"yufeng_inst": Decimal(30)})
        other = _apply(session, "res_huning_univ", stage)
        owner = _user(session, "ent_dingtai_precision")
        applications.transition(session, owner, lead.id, "shortlist")
        first = reviews.assign(session, admin, stage.id, AssignIn(expert_id=expert.id))
        reviews.save_review(
            session, expert, first.id, lead.id, ReviewIn(scores=FIRST_SHEET, comment=_C1)
        )
        reviews.save_review(
            session, expert, first.id, other.id, ReviewIn(scores=SECOND_SHEET, comment=_C2)
        )
        reviews.submit(session, expert, first.id, "两份方案均具备可行性，推荐联合体方案。", None)
        second = reviews.assign(session, admin, stage.id, AssignIn(expert_id=expert2.id))
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
    _read_approvals(session, _user(session, "ent_dingtai_precision"))
    return {"review_assignments": assignments}


_C1 = "误差映射与气浮导轨方案针对性强，热漂移补偿考虑周全，装调团队工程经验充分。"
_C2 = "改造成本低、导入快，但保留滚动导轨时直线度误差能否压到1μm以内缺少前期数据。"


def _read_approvals(session: Session, owner: User) -> None:
    """The enterprise has read its approval notices; everything else stays unread."""
    statement = notification_inbox.inbox_statement(owner.id, unread=True)
    for note in session.scalars(statement):
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
    return applications.create(session, user, need.id, data)
