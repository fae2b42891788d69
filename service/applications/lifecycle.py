"""The application lifecycle and the consent of its consortium members.

Application: forming (a consortium waits for its members) → submitted → shortlisted →
awarded | rejected; withdrawn by the applicant; dissolved when a member declines (or the
deadline passes before every member confirmed). Without members it is born submitted.
Member: invited → confirmed | declined; the lead is born confirmed.
"""

from service.kit.clock import today
from service.kit.errors import InvalidTransition
from service.kit.lifecycle import StateMachine, step
from service.models import Need
from service.models.enums import ApplicationStatus as S
from service.models.enums import MemberStatus as M
from service.models.enums import NeedStatus

APPLICATION_MACHINE = StateMachine(
    "application",
    {s.value: s.label for s in S},
    step("create", "提交揭榜申请", (), S.submitted),
    step("form", "发起联合体揭榜（待成员确认）", (), S.forming),
    step("constitute", "联合体成员全部确认，申请生效", {S.forming}, S.submitted),
    step("dissolve", "联合体未成立", {S.forming}, S.dissolved, reason=True),
    step("shortlist", "入围", {S.submitted}, S.shortlisted),
    step("reject", "不予入选", {S.submitted, S.shortlisted}, S.rejected, reason=True),
    step("award", "确定揭榜成功", {S.submitted, S.shortlisted}, S.awarded),
    step("withdraw", "撤回申请", {S.forming, S.submitted, S.shortlisted}, S.withdrawn),
)

MEMBER_MACHINE = StateMachine(
    "application_member",
    {s.value: s.label for s in M},
    step("invite", "邀请加入联合体", (), M.invited),
    step("confirm", "确认加入联合体", {M.invited}, M.confirmed),
    step("decline", "谢绝加入联合体", {M.invited}, M.declined, reason=True),
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
