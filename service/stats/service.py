"""Statistics for the public 榜单 page and for the bureau. Money is summed exactly (Numeric)
and shown as 万元 strings."""

from decimal import Decimal

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import Session

from service.kit.money import yuan_to_wan
from service.matches import repository as matches
from service.matches.lifecycle import FUNNEL
from service.matches.schemas import UserBrief
from service.models.enums import (
    ApplicationStatus,
    CapabilityStatus,
    LabelledEnum,
    MatchStatus,
    NeedStatus,
)
from service.needs import auth as need_auth
from service.stats import repository
from service.stats.schemas import (
    AdminStats,
    AmountStat,
    BrokerRank,
    FieldStat,
    NeedStats,
    NeedStatusStat,
    PublicStats,
    StatusStat,
)

LEADERBOARD_SIZE = 20


def _wan(amount: Decimal) -> str:
    return yuan_to_wan(amount) or "0"


def _need_stats(session: Session, scope: ColumnElement[bool]) -> NeedStats:
    by_status = repository.needs_by_status(session, scope)
    return NeedStats(
        count=sum(n for n, _ in by_status.values()),
        bounty_wan=_wan(sum((b for _, b in by_status.values()), Decimal(0))),
        by_field=[
            FieldStat(field=code, field_name=name, count=n, bounty_wan=_wan(bounty))
            for code, name, n, bounty in repository.needs_by_field(session, scope)
        ],
        by_status=[
            NeedStatusStat(
                status=s,
                status_label=s.label,
                count=by_status[s][0],
                bounty_wan=_wan(by_status[s][1]),
            )
            for s in NeedStatus
            if s in by_status
        ],
    )


def _amount(pair: tuple[int, Decimal]) -> AmountStat:
    return AmountStat(count=pair[0], amount_wan=_wan(pair[1]))


def _statuses(enum: type[LabelledEnum], counts: dict[str, int]) -> list[StatusStat]:
    """Every state of the lifecycle in order, 0 where none."""
    return [StatusStat(status=s, status_label=s.label, count=counts.get(s, 0)) for s in enum]


def public_stats(session: Session) -> PublicStats:
    scope = need_auth.readable(None)
    return PublicStats(
        needs=_need_stats(session, scope),
        awards=_amount(repository.awards(session, scope)),
        deals=_amount(repository.deals(session, scope)),
    )


def admin_stats(session: Session) -> AdminStats:
    scope = true()
    reached = matches.reached(session)
    return AdminStats(
        needs=_need_stats(session, scope),
        awards=_amount(repository.awards(session, scope)),
        deals=_amount(repository.deals(session, scope)),
        applications_by_status=_statuses(
            ApplicationStatus, repository.applications_by_status(session)
        ),
        capabilities_by_status=_statuses(
            CapabilityStatus, repository.capabilities_by_status(session)
        ),
        matches_by_status=_statuses(MatchStatus, repository.matches_by_status(session)),
        match_funnel=[
            StatusStat(status=s, status_label=s.label, count=reached.get(s, 0)) for s in FUNNEL
        ],
        brokers=[
            BrokerRank(
                broker=UserBrief(id=user_id, name=name),
                approved=approved,
                deals=deals,
                contract_value_wan=_wan(value),
            )
            for user_id, name, approved, deals, value in repository.broker_leaderboard(
                session, LEADERBOARD_SIZE
            )
        ],
    )
