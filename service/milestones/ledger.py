"""悬赏台账: bounty, committed per winner, planned, accepted, paid and remaining — exact."""

from collections import defaultdict
from decimal import Decimal

from sqlalchemy.orm import Session

from service.kit.money import split_by_shares
from service.milestones import auth, repository
from service.milestones.lifecycle import ACCEPTED_STATES, LIVE_STATES
from service.milestones.schemas import LedgerMember, LedgerRead, LedgerWinner, wan
from service.milestones.service import need_for_party
from service.models import Milestone, User
from service.models.enums import MilestoneStatus, NeedStatus
from service.postings.schemas import OrgBrief

ZERO = Decimal(0)


def _sum(milestones: list[Milestone], states: frozenset[str]) -> Decimal:
    return sum((m.amount for m in milestones if m.status in states), ZERO)


def ledger(session: Session, user: User, need_id: int) -> LedgerRead:
    need, winners = need_for_party(session, user, need_id)
    milestones = list(repository.for_need(session, need.id))
    by_app: dict[int, list[Milestone]] = defaultdict(list)
    for m in milestones:
        by_app[m.application_id].append(m)
    paid_states = frozenset({MilestoneStatus.paid.value})
    committed = sum((a.committed_amount or ZERO for a in winners), ZERO)
    accepted = _sum(milestones, ACCEPTED_STATES)
    paid = _sum(milestones, paid_states)
    rows = []
    for app in winners:
        if not auth.sees_application(user, need, app):
            continue
        own = by_app[app.id]
        app_committed = app.committed_amount or ZERO
        app_planned, app_paid = _sum(own, LIVE_STATES), _sum(own, paid_states)
        shares = [m.share for m in app.members]
        members = [
            LedgerMember(
                org=OrgBrief.of(m.org),
                share=format(m.share.normalize(), "f"),
                committed_wan=wan(c),
                paid_wan=wan(p),
            )
            for m, c, p in zip(
                app.members,
                split_by_shares(app_committed, shares),
                split_by_shares(app_paid, shares),
                strict=True,
            )
        ]
        rows.append(
            LedgerWinner(
                application_id=app.id,
                org=OrgBrief.of(app.org),
                committed_wan=wan(app_committed),
                planned_wan=wan(app_planned),
                unplanned_wan=wan(app_committed - app_planned),
                accepted_wan=wan(_sum(own, ACCEPTED_STATES)),
                paid_wan=wan(app_paid),
                remaining_wan=wan(app_committed - app_paid),
                members=members,
            )
        )
    status = NeedStatus(need.status)
    return LedgerRead(
        need_id=need.id,
        need_status=status,
        need_status_label=status.label,
        bounty_wan=wan(need.bounty),
        committed_wan=wan(committed),
        uncommitted_wan=wan(need.bounty - committed),
        planned_wan=wan(_sum(milestones, LIVE_STATES)),
        accepted_wan=wan(accepted),
        payable_wan=wan(accepted - paid),
        paid_wan=wan(paid),
        remaining_wan=wan(need.bounty - paid),
        milestones={s.value: wan(_sum(milestones, frozenset({s.value}))) for s in MilestoneStatus},
        winners=rows,
    )
