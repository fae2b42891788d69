"""A match as the caller may see it: each posting under its own visibility rules, the
reviewers' notes for reviewers only."""

from matching.model import band
from service.capabilities import auth as capability_auth
from service.engine.schemas import Scored
from service.kit.money import yuan_to_wan
from service.matches import auth
from service.matches.schemas import (
    CapabilityBrief,
    DealRead,
    MatchRead,
    NeedBrief,
    NeedGroup,
    Requester,
    UserBrief,
)
from service.models import Capability, Match, Need, User
from service.models.enums import MatchOrigin, MatchStatus, Maturity, NeedStatus, ScoreBand
from service.needs import auth as need_auth
from service.postings.schemas import Contact, OrgBrief


def need_brief(need: Need, user: User | None) -> NeedBrief:
    org = need.org
    return NeedBrief(
        id=need.id,
        title=need.title,
        field=need.field_code,
        field_name=need.field.name,
        status=NeedStatus(need.status),
        status_label=NeedStatus(need.status).label,
        bounty_wan=yuan_to_wan(need.bounty) or "0",
        org=OrgBrief.of(org) if need_auth.sees_org(user, need) else None,
        contact=Contact.of(need) if need_auth.is_privileged(user, need) else None,
    )


def capability_brief(cap: Capability, user: User | None) -> CapabilityBrief:
    return CapabilityBrief(
        id=cap.id,
        title=cap.title,
        field=cap.field_code,
        field_name=cap.field.name,
        maturity=Maturity(cap.maturity),
        maturity_label=Maturity(cap.maturity).label,
        org=OrgBrief.of(cap.org),
        contact=Contact.of(cap) if capability_auth.is_privileged(user, cap) else None,
    )


_SIDE_LABELS = {"need": "需求方", "capability": "成果方"}


def requester(match: Match, names: dict[int, str]) -> Requester | None:
    if match.requested_by_id is None or match.requested_side not in _SIDE_LABELS:
        return None
    side = match.requested_side
    org = match.need.org if side == "need" else match.capability.org
    return Requester(
        id=match.requested_by_id,
        name=names.get(match.requested_by_id, ""),
        side=side,  # type: ignore[arg-type]
        side_label=_SIDE_LABELS[side],
        org_name=org.name,
    )


def deal(match: Match, signed_at: object) -> DealRead:
    cap = match.capability
    return DealRead(
        match_id=match.id,
        capability_id=cap.id,
        capability_title=cap.title,
        org=OrgBrief.of(cap.org),
        contract_value_wan=yuan_to_wan(match.contract_value) or "0",
        signed_at=signed_at,  # type: ignore[arg-type]
    )


def match(match: Match, user: User | None, names: dict[int, str]) -> MatchRead:
    """`names`: display names by user id, for the attributed broker and the requester."""
    need, cap = match.need, match.capability
    reviewer = auth.is_reviewer(user)
    broker = (
        UserBrief(id=match.broker_id, name=names.get(match.broker_id, ""))
        if match.broker_id is not None
        else None
    )
    return MatchRead(
        id=match.id,
        need=need_brief(need, user),
        capability=capability_brief(cap, user),
        origin=MatchOrigin(match.origin),
        origin_label=MatchOrigin(match.origin).label,
        status=MatchStatus(match.status),
        status_label=MatchStatus(match.status).label,
        **Scored.score_fields(match.score, match.parts),
        reasons=list(match.reasons or []),
        explanation=dict(match.explanation or {}),
        broker=broker,
        reject_reason=match.reject_reason if reviewer else None,
        note=match.note if reviewer else None,
        need_interest=match.need_interest,
        capability_interest=match.capability_interest,
        contract_value_wan=yuan_to_wan(match.contract_value),
        requested_by=requester(match, names) if reviewer else None,
        deal_waits=auth.deal_waits(match),
        version=match.version,
        created_at=match.created_at,
        updated_at=match.updated_at,
        actions=auth.actions(user, match),
    )


def need_group(need_id: int, title: str, count: int, best: float | None) -> NeedGroup:
    level = ScoreBand(band(best)) if best is not None else None
    return NeedGroup(
        need_id=need_id,
        need_title=title,
        count=count,
        best_score=best,
        band=level,
        band_label=level.label if level else None,
    )
