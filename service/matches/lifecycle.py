"""The match lifecycle (docs/PRODUCT.md): engine candidate → broker review → recommendation → deal.

`create` and `repropose` are the engine's steps (service/engine/); `add` is a broker's manual
match, born approved. Interest is recorded as a step that keeps the state (from == to), so
each side's 有意向 is in the audit table with who and when, like any other move.
"""

from typing import Any

from service.audit.service import record_transition
from service.capabilities.lifecycle import is_owner as is_capability_owner
from service.kit.lifecycle import StateMachine, role, step
from service.models.enums import MatchStatus as S
from service.models.enums import Role
from service.needs.lifecycle import is_owner as is_need_owner

REVIEWER_ROLES = (Role.broker, Role.admin)
reviewer = role(*REVIEWER_ROLES)


def need_side(user: Any, match: Any) -> bool:
    """An enterprise user of the need's organisation."""
    return is_need_owner(user, match.need)


def capability_side(user: Any, match: Any) -> bool:
    return is_capability_owner(user, match.capability)


def either_side(user: Any, match: Any) -> bool:
    """请经纪人对接: the need's enterprise or the capability's researchers."""
    return need_side(user, match) or capability_side(user, match)


_SIDES_ONLY = (
    "只有被推荐的需求方或成果方可以表示意向",
    "Only the two sides mark interest",
    "not_allowed",
)

MATCH_MACHINE = StateMachine(
    "match",
    S,
    step("create", "引擎推荐", (), S.candidate),
    step("add", "经纪人添加匹配", (), S.approved),
    # 请经纪人对接: a side asks for a broker; a new pair is born a candidate with the request,
    # a candidate or a rejected pair nobody asked for yet joins the queue as a request.
    step(
        "request",
        "请经纪人对接",
        {S.candidate, S.rejected},
        S.candidate,
        by=either_side,
        refusal=(
            "只有需求的发布企业或成果所属机构的科研人员可以请经纪人对接",
            "Only the need's enterprise or the capability's researchers may ask",
            "not_allowed",
        ),
    ),
    step(
        "approve",
        "审核通过",
        {S.candidate},
        S.approved,
        by=reviewer,
        summary="审核通过候选匹配（经纪人、管理员；业绩归属审核人）",
    ),
    step(
        "reject",
        "否决",
        {S.candidate},
        S.rejected,
        reason=True,
        by=reviewer,
        summary="否决候选匹配（须填写理由）",
    ),
    step("repropose", "文本变更后重新推荐", {S.rejected}, S.candidate),
    step(
        "recommend",
        "推荐给双方",
        {S.approved},
        S.recommended,
        by=reviewer,
        summary="推荐给需求方和成果方",
    ),
    step(
        "need_interest",
        "需求方表示有意向",
        {S.recommended},
        S.recommended,
        by=need_side,
        refusal=_SIDES_ONLY,
    ),
    step(
        "capability_interest",
        "成果方表示有意向",
        {S.recommended},
        S.recommended,
        by=capability_side,
        refusal=_SIDES_ONLY,
    ),
    step(
        "connect",
        "安排对接",
        {S.recommended},
        S.connected,
        by=reviewer,
        summary="安排对接（双方均有意向后）",
    ),
    step("negotiate", "进入洽谈", {S.connected}, S.negotiating, by=reviewer, summary="进入洽谈"),
    step(
        "deal", "签约", {S.negotiating}, S.deal, by=reviewer, summary="签约（须填写合同金额，万元）"
    ),
    step(
        "decline",
        "未成交",
        {S.recommended, S.connected, S.negotiating},
        S.declined,
        reason=True,
        by=reviewer,
        summary="未成交（须填写理由）",
    ),
    record=record_transition,
    refusal=("只有技术经纪人或管理员可以审核和推进匹配", "Brokers and admins only", "not_allowed"),
)

# 请经纪人对接 on a pair already past the queue: refused, the pair is with a broker already.
REQUESTABLE_STATES = frozenset({S.candidate.value, S.rejected.value})
# 签约 while the need's 揭榜 round is being decided is refused (service.transition).

# What the two sides see of their own postings' matches: from the recommendation on.
SIDE_STATES = frozenset(
    s.value for s in (S.recommended, S.connected, S.negotiating, S.deal, S.declined)
)
INTEREST_ACTIONS = frozenset({"need_interest", "capability_interest"})
# The stages of the funnel, in order (a match "reached" a stage once it entered that state).
FUNNEL = (S.candidate, S.approved, S.recommended, S.connected, S.deal)
