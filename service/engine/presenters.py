"""Search and recommendation hits as the caller may see them: a posting's summary (an
anonymous need hides its enterprise) with the engine's explanation."""

from collections.abc import Sequence

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


def need_summary(need: Need, user: User | None) -> NeedSummary:
    org = (
        OrgBrief(id=need.org.id, name=need.org.name, kind=need.org.kind)
        if need_auth.sees_org(user, need)
        else None
    )
    return NeedSummary(
        id=need.id,
        title=need.title,
        field=need.field_code,
        keywords=list(need.keywords),
        call_type=CallType(need.call_type),
        call_type_label=CallType(need.call_type).label,
        bounty_wan=yuan_to_wan(need.bounty) or "0",
        deadline=need.deadline,
        published_at=need.published_at,
        org=org,
    )


def capability_summary(cap: Capability) -> CapabilitySummary:
    return CapabilitySummary(
        id=cap.id,
        title=cap.title,
        field=cap.field_code,
        keywords=list(cap.keywords),
        maturity=Maturity(cap.maturity),
        maturity_label=Maturity(cap.maturity).label,
        price_min_wan=yuan_to_wan(cap.price_min),
        price_max_wan=yuan_to_wan(cap.price_max),
        published_at=cap.published_at,
        org=OrgBrief(id=cap.org.id, name=cap.org.name, kind=cap.org.kind),
    )


def need_hits(
    recs: Sequence[Recommendation], needs: Sequence[Need], user: User | None
) -> list[NeedHit]:
    """`recs` in their order, each with its need from `needs` (one gone meanwhile is left out)."""
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
    recs: Sequence[Recommendation], caps: Sequence[Capability]
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
