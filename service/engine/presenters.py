"""Search and recommendation hits as the caller may see them: a posting's summary (an
anonymous need hides its enterprise) with the engine's explanation."""

from collections.abc import Sequence
from typing import Any

from service.engine.repository import ListedCapability, ListedNeed
from service.engine.schemas import (
    CapabilityHit,
    CapabilitySummary,
    Explained,
    NeedHit,
    NeedSummary,
)
from service.engine.service import Recommendation
from service.kit.money import yuan_to_wan
from service.models import Capability, Need, User
from service.models.enums import CallType, Maturity
from service.needs import auth as need_auth
from service.postings.schemas import OrgBrief


def need_summary(need: Need | ListedNeed, user: User | None) -> NeedSummary:
    org = OrgBrief.of(need.org) if need_auth.sees_org(user, need) else None
    return NeedSummary(
        **_listed(need),
        call_type=CallType(need.call_type),
        call_type_label=CallType(need.call_type).label,
        bounty_wan=yuan_to_wan(need.bounty) or "0",
        deadline=need.deadline,
        org=org,
    )


def capability_summary(cap: Capability | ListedCapability) -> CapabilitySummary:
    return CapabilitySummary(
        **_listed(cap),
        maturity=Maturity(cap.maturity),
        maturity_label=Maturity(cap.maturity).label,
        price_min_wan=yuan_to_wan(cap.price_min),
        price_max_wan=yuan_to_wan(cap.price_max),
        org=OrgBrief.of(cap.org),
    )


def _listed(posting: Need | Capability | ListedNeed | ListedCapability) -> dict[str, Any]:
    """What a need's and a capability's summaries show alike."""
    return {
        "id": posting.id,
        "title": posting.title,
        "field": posting.field_code,
        "keywords": list(posting.keywords),
        "published_at": posting.published_at,
    }


def need_hits(
    recs: Sequence[Recommendation], needs: Sequence[Need | ListedNeed], user: User | None
) -> list[NeedHit]:
    """`recs` in their order, each with its need from `needs` (one gone meanwhile is left out):
    rows loaded as objects (search) or read as plain columns (stored recommendations)."""
    by_id = {n.id: n for n in needs}
    return [
        NeedHit(
            need=need_summary(by_id[r.posting_id], user),
            actions=[],
            broker_requested=False,
            **Explained.fields_of(r),  # type: ignore[arg-type]
        )
        for r in recs
        if r.posting_id in by_id
    ]


def capability_hits(
    recs: Sequence[Recommendation], caps: Sequence[Capability | ListedCapability]
) -> list[CapabilityHit]:
    by_id = {c.id: c for c in caps}
    return [
        CapabilityHit(
            capability=capability_summary(by_id[r.posting_id]),
            actions=[],
            invited=False,
            broker_requested=False,
            **Explained.fields_of(r),  # type: ignore[arg-type]
        )
        for r in recs
        if r.posting_id in by_id
    ]
