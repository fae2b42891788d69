"""Summaries over matches: the stage board and a broker's record (attribution)."""

from sqlalchemy.orm import Session

from service.kit.errors import Forbidden, NotFound
from service.kit.money import yuan_to_wan
from service.matches import auth, repository
from service.matches.schemas import BoardRead, BrokerRecord, MatchFilter, StageCount, UserBrief
from service.models import User
from service.models.enums import MatchStatus, Role


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
