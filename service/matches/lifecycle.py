"""The match lifecycle (docs/PRODUCT.md): engine candidate → broker review → recommendation → deal.

`create` and `repropose` are the engine's steps (service/engine/); `add` is a broker's manual
match, born approved. Interest is recorded as a step that keeps the state (from == to), so
each side's 有意向 is in the audit table with who and when, like any other move.
"""

from service.kit.lifecycle import StateMachine, step
from service.models.enums import MatchStatus as S

_LABELS = {s.value: s.label for s in S}

MATCH_MACHINE = StateMachine(
    "match",
    _LABELS,
    step("create", "引擎推荐", (), S.candidate),
    step("add", "经纪人添加匹配", (), S.approved),
    step("approve", "审核通过", {S.candidate}, S.approved),
    step("reject", "否决", {S.candidate}, S.rejected, reason=True),
    step("repropose", "文本变更后重新推荐", {S.rejected}, S.candidate),
    step("recommend", "推荐给双方", {S.approved}, S.recommended),
    step("need_interest", "需求方表示有意向", {S.recommended}, S.recommended),
    step("capability_interest", "成果方表示有意向", {S.recommended}, S.recommended),
    step("connect", "安排对接", {S.recommended}, S.connected),
    step("negotiate", "进入洽谈", {S.connected}, S.negotiating),
    step("deal", "签约", {S.negotiating}, S.deal),
    step(
        "decline",
        "未成交",
        {S.recommended, S.connected, S.negotiating},
        S.declined,
        reason=True,
    ),
)

# What the two sides see of their own postings' matches: from the recommendation on.
SIDE_STATES = frozenset(
    s.value for s in (S.recommended, S.connected, S.negotiating, S.deal, S.declined)
)
# Actions a reviewer (broker or admin) takes; the sides only mark interest.
REVIEW_ACTIONS = frozenset(
    {"approve", "reject", "recommend", "connect", "negotiate", "deal", "decline"}
)
INTEREST_ACTIONS = frozenset({"need_interest", "capability_interest"})
# The stages of the funnel, in order (a match "reached" a stage once it entered that state).
FUNNEL = (S.candidate, S.approved, S.recommended, S.connected, S.deal)
