"""What a caller finds: free-text search over the published postings, and the recommendations
for one posting (its owner, brokers and admins).

Recommendations are read from the posting's stored list (`recommendations.py`, kept fresh by
the worker) and filtered on the database's current rows for the caller — no ranking on the
request path. A posting whose list is not stored for its current text yet (just published or
edited, the worker behind) is ranked live once per request, as before, until the worker has
stored it.
"""

from collections.abc import Sequence
from typing import cast

from sqlalchemy.orm import Session

from service.capabilities import auth as cap_auth
from service.capabilities import repository as capabilities_repository
from service.capabilities import service as capabilities
from service.capabilities.schemas import CapabilityConditions
from service.engine import presenters, recommendations, repository
from service.engine import service as engine
from service.engine.repository import ListedCapability, ListedNeed
from service.engine.schemas import CapabilityHit, HitPage, NeedHit
from service.engine.store import IndexStore
from service.kit.errors import Forbidden
from service.kit.pagination import PageParams
from service.matches import auth as match_auth
from service.matches import repository as match_repository
from service.models import Capability, Need, User
from service.models.enums import CapabilityStatus, NeedStatus, Role
from service.needs import auth as need_auth
from service.needs import repository as needs_repository
from service.needs import service as needs
from service.needs.schemas import NeedConditions


def _privileged(user: User) -> bool:
    return user.role in (Role.broker, Role.admin)


def _needs(session: Session, recs: list[engine.Recommendation]) -> list[Need]:
    return cast(
        list[Need], repository.with_relations(session, "need", [r.posting_id for r in recs])
    )


def _capabilities(session: Session, recs: list[engine.Recommendation]) -> list[Capability]:
    ids = [r.posting_id for r in recs]
    return cast(list[Capability], repository.with_relations(session, "capability", ids))


def search_needs(
    session: Session,
    user: User | None,
    filters: NeedConditions,
    page: PageParams,
    q: str,
    store: IndexStore,
) -> HitPage[NeedHit]:
    """Published needs the caller may read, ranked for `q` (an anonymous need is found by its
    organisation only where the caller may know it)."""
    where = [need_auth.readable(user), *needs_repository.conditions(filters)]
    if filters.org_id is not None:
        where.append(need_auth.org_filter(user, filters.org_id))
    recs, total, relevant = engine.search(
        session, "need", q, where, offset=page.offset, limit=page.page_size, store=store
    )
    items = presenters.need_hits(recs, _needs(session, recs), user)
    return HitPage(
        items=items, total=total, relevant=relevant, page=page.page, page_size=page.page_size
    )


def search_capabilities(
    session: Session, filters: CapabilityConditions, page: PageParams, q: str, store: IndexStore
) -> HitPage[CapabilityHit]:
    """Published capabilities (public to everyone) ranked for `q`."""
    where = capabilities_repository.conditions(filters)
    recs, total, relevant = engine.search(
        session, "capability", q, where, offset=page.offset, limit=page.page_size, store=store
    )
    items = presenters.capability_hits(recs, _capabilities(session, recs))
    return HitPage(
        items=items, total=total, relevant=relevant, page=page.page, page_size=page.page_size
    )


def need_recommendations(
    session: Session, user: User, need_id: int, limit: int, store: IndexStore
) -> list[CapabilityHit]:
    need = needs.get_readable(session, user, need_id)
    if not (need_auth.is_owner(user, need) or _privileged(user)):
        raise Forbidden(
            "只有发布企业、技术经纪人和管理员可以查看推荐", "Owner, broker or admin only"
        )
    stored = recommendations.read(session, need, limit)
    caps: Sequence[Capability | ListedCapability]
    if stored is None:  # no list for its current text yet: ranked live, stored by the worker
        recs = engine.recommend_capabilities(session, need, limit=limit, store=store)
        caps = _capabilities(session, recs)
    else:
        recs, caps = stored[0], cast(list[ListedCapability], stored[1])
    hits = presenters.capability_hits(recs, caps)
    if need_auth.is_owner(user, need):
        _offer_to_need_side(session, need, hits)
    return hits


def capability_recommendations(
    session: Session, user: User, cap_id: int, limit: int, store: IndexStore
) -> list[NeedHit]:
    cap = capabilities.get_readable(session, user, cap_id)
    if not (cap_auth.is_owner(user, cap) or _privileged(user)):
        raise Forbidden(
            "只有成果方、技术经纪人和管理员可以查看匹配需求", "Owner, broker or admin only"
        )
    readable = need_auth.readable(user)
    stored = recommendations.read(session, cap, limit, readable)
    found: Sequence[Need | ListedNeed]
    if stored is None:  # no list for its current text yet: ranked live, stored by the worker
        recs = engine.recommend_needs(session, cap, limit=limit, readable=readable, store=store)
        found = _needs(session, recs)
    else:
        recs, found = stored[0], cast(list[ListedNeed], stored[1])
    hits = presenters.need_hits(recs, found, user)
    if cap_auth.is_owner(user, cap):
        _offer_to_capability_side(session, user, cap, found, hits)
    return hits


def _offer_to_need_side(session: Session, need: Need, hits: list[CapabilityHit]) -> None:
    """The enterprise's buttons on its need's recommended capabilities: 邀请揭榜 (once per
    capability, while the need takes applications) and 请经纪人对接 (once per pair)."""
    cap_ids = [h.capability.id for h in hits]
    invited = needs_repository.invited(session, need.id, cap_ids)
    pairs = match_repository.pairs(session, [need.id], cap_ids)
    invitable = need_auth.open_for_applications(need) and need.visibility != "brokers_only"
    for hit in hits:
        pair = pairs.get((need.id, hit.capability.id))
        hit.invited = hit.capability.id in invited
        hit.broker_requested = not match_auth.requestable(pair)
        if invitable and not hit.invited:
            hit.actions.append("invite")
        if need.status == NeedStatus.published and not hit.broker_requested:
            hit.actions.append("request_broker")


def _offer_to_capability_side(
    session: Session,
    user: User,
    cap: Capability,
    found: Sequence[Need | ListedNeed],
    hits: list[NeedHit],
) -> None:
    """The researcher's buttons on the needs recommended for its capability: 我要揭榜 (where
    the need takes its application) and 请经纪人对接 (once per pair)."""
    by_id = {n.id: n for n in found}
    pairs = match_repository.pairs(session, list(by_id), [cap.id])
    published = cap.status == CapabilityStatus.published
    for hit in hits:
        need = by_id[hit.need.id]
        hit.broker_requested = not match_auth.requestable(pairs.get((need.id, cap.id)))
        if need_auth.may_apply(user, need):
            hit.actions.append("apply")
        if published and need.status == NeedStatus.published and not hit.broker_requested:
            hit.actions.append("request_broker")
