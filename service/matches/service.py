"""Match rules: broker review, manual matches, each side's interest, the road to a deal; the
stage board and a broker's record (attribution)."""

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.audit.schemas import AuditEventRead
from service.audit.service import record_transition
from service.capabilities import service as capabilities
from service.kit.actions import TransitionIn
from service.kit.errors import BadRequest, Conflict, Forbidden, InvalidTransition, NotFound, found
from service.kit.money import wan_to_yuan, yuan_to_wan
from service.kit.pagination import Page, PageParams, page_of
from service.kit.versioning import check_version, flush_versioned
from service.matches import auth, lifecycle, presenters, repository
from service.matches.lifecycle import (
    INTEREST_ACTIONS,
    MATCH_MACHINE,
    REQUESTABLE_STATES,
    SIDE_STATES,
)
from service.matches.notices import announce, tell_brokers
from service.matches.schemas import (
    BoardRead,
    BrokerRecord,
    DealIn,
    DealRead,
    MatchCreate,
    MatchFilter,
    MatchNoteIn,
    MatchRead,
    MatchRequestIn,
    MatchRequestRead,
    MatchSort,
    NeedGroup,
    StageCount,
    UserBrief,
)
from service.models import Capability, Match, Need, User
from service.models.enums import MatchOrigin, MatchStatus, NeedStatus, Role
from service.needs import service as needs
from service.users import repository as users

_NOT_FOUND = ("匹配不存在或无权查看", "Match not found")


def get_readable(session: Session, user: User | None, match_id: int) -> Match:
    return found(repository.get(session, match_id, auth.readable(user)), _NOT_FOUND)


def list_matches(
    session: Session, user: User, filters: MatchFilter, sort: MatchSort, page: PageParams
) -> Page[MatchRead]:
    auth.require_lister(user)
    rows, total = repository.list_page(session, auth.readable(user), filters, sort, page)
    names = users.display_names(
        session, [i for m in rows for i in (m.broker_id, m.requested_by_id)]
    )
    return page_of([presenters.match(m, user, names) for m in rows], total, page)


def need_groups(
    session: Session, user: User, filters: MatchFilter, page: PageParams
) -> Page[NeedGroup]:
    """The queue by need under `filters` (their need is ignored: the groups pick the need)."""
    auth.require_lister(user)
    everything = filters.model_copy(update={"need_id": None})
    rows, total = repository.need_groups(session, auth.readable(user), everything, page)
    return page_of([presenters.need_group(*row) for row in rows], total, page)


def present(session: Session, user: User, match: Match) -> MatchRead:
    names = users.display_names(session, [match.broker_id, match.requested_by_id])
    return presenters.match(match, user, names)


def add_manual(session: Session, user: User, data: MatchCreate) -> Match:
    """A broker pairs a published need with a published capability: born approved and
    attributed to that broker."""
    _require_reviewer(user)
    need = needs.get_readable(session, user, data.need_id)
    cap = capabilities.get_readable(session, user, data.capability_id)
    _refuse_conflict(user, need, cap)
    _require_open(need, cap)
    existing = repository.by_pair(session, need.id, cap.id)
    if existing is not None:
        raise _duplicate(existing.id)
    match = _chosen_pair(
        need,
        cap,
        user,
        MatchOrigin.broker,
        broker_id=user.id,
        note=data.note,
        status=MATCH_MACHINE.transitions["add"].target,
    )
    try:
        with session.begin_nested():  # two brokers adding the same pair at once
            session.add(match)
            session.flush()
    except IntegrityError as exc:
        existing = repository.by_pair(session, need.id, cap.id)
        raise _duplicate(existing.id if existing else None) from exc
    record_transition(session, "match", match.id, "add", None, match.status, user.id)
    return found(repository.get(session, match.id), ("匹配不存在", "Match not found"))


def _chosen_pair(
    need: Need, cap: Capability, user: User, origin: MatchOrigin, **columns: Any
) -> Match:
    """A match a person chose (a broker, or a side asking for one): no engine score, no
    reasons, neither side interested yet unless `columns` say so."""
    blank: dict[str, Any] = {"need_interest": False, "capability_interest": False}
    return Match(
        need_id=need.id,
        capability_id=cap.id,
        origin=origin,
        score=None,
        features=None,
        parts={},
        reasons=[],
        explanation={},
        texts_hash="",
        created_by_id=user.id,
        **(blank | columns),
    )


def transition(
    session: Session, user: User, match_id: int, action: str, data: TransitionIn
) -> Match:
    """A reviewer's move (approve, reject, recommend, connect, negotiate, deal, decline);
    `deal` takes the contract value (`DealIn`)."""
    match = _for_change(session, user, match_id)
    need, cap = match.need, match.capability
    MATCH_MACHINE.require(action, user, match)
    _refuse_conflict(user, need, cap)
    check_version(match, data.version)
    MATCH_MACHINE.check(action, match.status)
    if action in auth.OPEN_POSTING_ACTIONS:
        _require_open(need, cap)
    if action == "connect" and not (match.need_interest and match.capability_interest):
        raise InvalidTransition(
            "双方均表示有意向后才能安排对接",
            "Both sides must be interested before connecting",
            code="interest_missing",
        )
    if action == "deal" and need.status in auth.ROUND_STATES:
        raise InvalidTransition(
            f"需求「{need.title}」仍在揭榜中（{NeedStatus(need.status).label}），"
            "签约须待揭榜结束：企业确定揭榜方、撤回需求或揭榜到期之后",
            "The need's 揭榜 round is still running: sign once it has ended",
            code="jiebang_round_active",
        )
    changes: dict[str, object] = {}
    reason = data.reason
    if action == "deal":
        contract_value_wan = data.contract_value_wan if isinstance(data, DealIn) else None
        if contract_value_wan is None or contract_value_wan <= 0:
            raise BadRequest(
                "签约须填写大于 0 的合同金额（万元）",
                "A positive contract value is required",
                code="contract_value_required",
            )
        changes["contract_value"] = wan_to_yuan(contract_value_wan)
    if action == "approve":
        changes["broker_id"] = user.id  # attribution: the broker who approved it
    if action == "reject":
        changes["reject_reason"] = (reason or "").strip() or None
    MATCH_MACHINE.apply(session, match, action, user.id, reason, changes)
    flush_versioned(session)
    announce(session, match, action, user, reason)
    return match


def request_broker(session: Session, user: User, data: MatchRequestIn) -> MatchRequestRead:
    """请经纪人对接: the need's enterprise (on a recommended capability) or the capability's
    researchers (on a recommended need) ask a broker to take the pair up.

    A new pair is born a candidate in the brokers' queue with who asked; a candidate or a
    rejected pair nobody has asked for yet joins the queue as a request (audited, the asking
    side's interest recorded). A pair already asked for, or already with a broker (approved
    and on), is a 409: nothing is duplicated. The active brokers hear once per request."""
    if user.role not in (Role.enterprise, Role.researcher):
        raise Forbidden(
            "只有需求的发布企业或成果所属机构的科研人员可以请经纪人对接",
            "Only the need's enterprise or the capability's researchers may ask",
            code="wrong_role",
        )
    need = needs.get_readable(session, user, data.need_id)
    cap = capabilities.get_readable(session, user, data.capability_id)
    pair = _Pair(need, cap)
    MATCH_MACHINE.require("request", user, pair)
    side = "need" if lifecycle.need_side(user, pair) else "capability"
    if need.org_id == cap.org_id:
        raise BadRequest(
            "需求与成果属于同一机构，无需经纪人对接",
            "Both postings belong to one organisation",
            code="same_org",
        )
    if not auth.postings_open(need, cap):
        raise InvalidTransition(
            "需求须处于张榜中、成果须已发布，才能请经纪人对接",
            "Both postings must be published",
            code="posting_not_open",
        )
    interest = {"need_interest" if side == "need" else "capability_interest": True}
    asked = {"requested_by_id": user.id, "requested_side": side, **interest}
    match = repository.by_pair_for_update(session, need.id, cap.id)
    if match is None:
        match = _chosen_pair(need, cap, user, MatchOrigin.request, note="", **asked)
        try:
            with session.begin_nested():  # the engine or a broker adding the pair at once
                session.add(match)
                MATCH_MACHINE.start(session, match, user.id, action="request")
        except IntegrityError as exc:
            raise Conflict(
                "该需求与成果已在经纪人对接队列中，请勿重复申请",
                "This pair is already in the brokers' queue",
                code="already_requested",
            ) from exc
    else:
        _refuse_requested(match)
        if match.status == MatchStatus.rejected:
            asked["reject_reason"] = None  # kept in the audit row of the rejection
        MATCH_MACHINE.apply(session, match, "request", user.id, changes=asked)
    flush_versioned(session)
    tell_brokers(session, match, need, cap, user, side)
    return MatchRequestRead(
        match_id=match.id,
        status=MatchStatus(match.status),
        status_label=MatchStatus(match.status).label,
        message="已提交给技术经纪人，经纪人审核后会把对接安排通知你",
    )


def need_deals(session: Session, user: User, need_id: int) -> list[DealRead]:
    """The need's signed broker deals the caller may see (the need's enterprise, the deal's
    capability side, brokers and admins)."""
    need = needs.get_readable(session, user, need_id)
    rows = repository.deals_for_need(session, need.id, auth.readable(user))
    return [presenters.deal(m, at) for m, at in rows]


def mark_interest(session: Session, user: User, match_id: int, version: int | None) -> Match:
    """有意向: the need's enterprise or the capability's organisation says yes to a
    recommendation. Recorded as `need_interest` / `capability_interest` (state unchanged)."""
    match = _for_change(session, user, match_id)
    sides = [a for a in INTEREST_ACTIONS if MATCH_MACHINE.may(a, user, match)]
    action = MATCH_MACHINE.require(sides[0] if sides else "need_interest", user, match).action
    check_version(match, version)
    MATCH_MACHINE.check(action, match.status)
    if getattr(match, action):
        raise Conflict("你方已表示过意向", "Interest already recorded", code="already_interested")
    MATCH_MACHINE.apply(session, match, action, user.id, changes={action: True})
    flush_versioned(session)
    announce(session, match, action, user, None)
    return match


def update_note(session: Session, user: User, match_id: int, data: MatchNoteIn) -> Match:
    match = _for_change(session, user, match_id)
    _require_reviewer(user)
    _refuse_conflict(user, match.need, match.capability)
    check_version(match, data.version)
    match.note = data.note
    flush_versioned(session)
    return match


def visible_history(user: User, match: Match, events: list[AuditEventRead]) -> list[AuditEventRead]:
    """Reviewers see every step; the sides only the steps from the recommendation on (never
    the candidate review or its reasons)."""
    if auth.is_reviewer(user):
        return events
    return [e for e in events if e.to_state in SIDE_STATES]


def board(session: Session, user: User, filters: MatchFilter) -> BoardRead:
    """Matches per stage under `filters` (its status is ignored: every stage is shown)."""
    auth.require_lister(user)
    everything = filters.model_copy(update={"status": None})
    counts = repository.count_by_status(session, auth.readable(user), everything)
    stages = [
        StageCount(status=s, status_label=s.label, count=counts.get(s, 0)) for s in MatchStatus
    ]
    return BoardRead(total=sum(counts.values()), stages=stages)


def broker_record(session: Session, user: User, broker_id: int) -> BrokerRecord:
    """Admins read any broker's record; a broker reads their own."""
    if user.role != Role.admin and not (user.role == Role.broker and user.id == broker_id):
        raise Forbidden(
            "只有管理员或经纪人本人可以查看业绩", "Admins or the broker only", code="not_allowed"
        )
    broker = repository.user(session, broker_id)
    if broker is None or broker.role not in auth.REVIEWER_ROLES:
        raise NotFound("经纪人不存在", "Broker not found", code="not_a_broker")
    reached = repository.reached(session, repository.attributed_ids(broker_id))
    deals, value = repository.deals_of(session, broker_id)
    return BrokerRecord(
        broker=UserBrief(id=broker.id, name=broker.display_name),
        approved=repository.count_attributed(session, broker_id),
        rejected=repository.actions_by(session, broker_id, "reject"),
        recommended=reached.get(MatchStatus.recommended, 0),
        connected=reached.get(MatchStatus.connected, 0),
        deals=deals,
        contract_value_wan=yuan_to_wan(value) or "0",
    )


def _require_reviewer(user: User) -> None:
    if not auth.is_reviewer(user):
        raise Forbidden(
            "仅技术经纪人或管理员可以执行此操作", "Brokers and admins only", code="wrong_role"
        )


def _refuse_conflict(user: User, need: Need, cap: Capability) -> None:
    if auth.is_reviewer(user) and auth.has_conflict(user, need, cap):
        raise Forbidden(
            "你所在机构是该匹配的一方，存在利益冲突，不能审核或推进此匹配",
            "Conflict of interest: your organisation is a party to this match",
            code="conflict_of_interest",
        )


def _require_open(need: Need, cap: Capability) -> None:
    if not auth.postings_open(need, cap):
        raise InvalidTransition(
            "需求须处于张榜中、成果须已发布，才能通过或推荐匹配",
            "Both postings must be published",
            code="posting_not_open",
        )


class _Pair:
    """A need × capability before (or without reading) its match: what the side rules see."""

    def __init__(self, need: Need, capability: Capability) -> None:
        self.need, self.capability = need, capability


def _refuse_requested(match: Match) -> None:
    if match.requested_by_id is not None:
        raise Conflict(
            "该需求与成果已请经纪人对接，请等待经纪人处理",
            "A broker was already asked to connect this pair",
            code="already_requested",
        )
    if match.status not in REQUESTABLE_STATES:
        raise Conflict(
            "该需求与成果已由经纪人跟进，请在「匹配」中查看进展",
            "A broker is already working on this pair",
            code="already_with_broker",
        )


def _duplicate(existing_id: int | None) -> Conflict:
    where = f"（匹配 #{existing_id}）" if existing_id else ""
    return Conflict(
        f"该需求与成果已有匹配{where}，请直接审核已有匹配",
        "This need × capability pair already has a match",
        code="duplicate_match",
    )


def _for_change(session: Session, user: User, match_id: int) -> Match:
    """The match to change, locked, if the caller can see it at all (else 404, not a hint)."""
    return found(
        repository.get(session, match_id, auth.readable(user), for_update=True), _NOT_FOUND
    )
