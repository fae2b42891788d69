"""The application lifecycle and the consent of its consortium members.

Application: forming (a consortium waits for its members) → submitted → shortlisted →
awarded | rejected; withdrawn by the applicant; dissolved when a member declines (or the
deadline passes before every member confirmed). Without members it is born submitted.
Member: invited → confirmed | declined; the lead is born confirmed.
"""

from typing import Any, NamedTuple

from service.audit.service import record_transition
from service.kit.clock import today
from service.kit.errors import InvalidTransition
from service.kit.lifecycle import StateMachine, step
from service.models import Need
from service.models.enums import ORG_STAFF_ROLES, NeedStatus, Role
from service.models.enums import ApplicationStatus as S
from service.models.enums import MemberStatus as M
from service.needs.lifecycle import is_owner as is_need_owner


class Case(NamedTuple):
    """What a step of an application is judged on: the application and its need."""

    app: Any
    need: Any


def is_org_staff(user: Any) -> bool:
    return user is not None and user.org_id is not None and user.role in ORG_STAFF_ROLES


def is_applicant(user: Any, app: Any) -> bool:
    """A user of the lead organisation (who applied for it)."""
    return is_org_staff(user) and user.org_id == app.org_id


def decides(user: Any, need: Any) -> bool:
    """The posting enterprise or an admin shortlists, rejects and awards."""
    return is_need_owner(user, need) or (user is not None and user.role == Role.admin)


def _applicant(user: Any, case: Case) -> bool:
    return is_applicant(user, case.app)


def _decides(user: Any, case: Case) -> bool:
    return decides(user, case.need)


APPLICATION_MACHINE = StateMachine(
    "application",
    S,
    step("create", "提交揭榜申请", (), S.submitted),
    step("form", "发起联合体揭榜（待成员确认）", (), S.forming),
    step("constitute", "联合体成员全部确认，申请生效", {S.forming}, S.submitted),
    step("dissolve", "联合体未成立", {S.forming}, S.dissolved, reason=True),
    step(
        "shortlist",
        "入围",
        {S.submitted},
        S.shortlisted,
        by=_decides,
        summary="入围（发榜企业或管理员）",
    ),
    step(
        "reject",
        "不予入选",
        {S.submitted, S.shortlisted},
        S.rejected,
        reason=True,
        by=_decides,
        summary="不予入选（须填写理由，申请方可见）",
    ),
    step(
        "award",
        "确定揭榜成功",
        {S.submitted, S.shortlisted},
        S.awarded,
        by=_decides,
        summary="确定揭榜成功并承诺悬赏金额（发榜企业或管理员）",
        refusal=("只有发榜企业或管理员可以确定揭榜方", "Only the owner or an admin", "not_allowed"),
    ),
    step(
        "withdraw",
        "撤回申请",
        {S.forming, S.submitted, S.shortlisted},
        S.withdrawn,
        by=_applicant,
        summary="撤回申请（申请方）",
    ),
    record=record_transition,
    refusal=("你无权对该申请执行此操作", "Not allowed", "not_allowed"),
)

MEMBER_MACHINE = StateMachine(
    "application_member",
    M,
    step("invite", "邀请加入联合体", (), M.invited),
    # Taken by the staff of the invited organisation (consortium.decide checks who).
    step(
        "confirm",
        "确认加入联合体",
        {M.invited},
        M.confirmed,
        summary="确认加入联合体（受邀成员单位人员；全部确认后申请才提交给发榜企业）",
    ),
    step(
        "decline",
        "谢绝加入联合体",
        {M.invited},
        M.declined,
        reason=True,
        summary="谢绝加入联合体（须填写理由；申请随之不成立，牵头单位可另组联合体）",
    ),
    record=record_transition,
)

# Applications that count: the enterprise sees them, they are shortlisted, reviewed, awarded.
LIVE_STATES = frozenset({S.submitted.value, S.shortlisted.value, S.awarded.value})
# One open application per organisation and need (the database index says the same).
OPEN_STATES = LIVE_STATES | {S.forming.value}
# Never counted: the posting enterprise does not see them, experts never review them.
UNCOUNTED_STATES = frozenset({S.forming.value, S.dissolved.value})
EDITABLE_STATES = frozenset({S.forming.value, S.submitted.value})


def open_for_applications(need: Need) -> None:
    """An application is born only while its need is published and before the deadline."""
    if need.status != NeedStatus.published:
        raise InvalidTransition(
            "该需求当前不接受揭榜申请", "Need is not open for applications", code="need_not_open"
        )
    if need.deadline < today():
        raise InvalidTransition(
            "揭榜截止日期已过", "The deadline has passed", code="deadline_passed"
        )
