"""A subscription → its schema for its owner."""

from service.models import Subscription, User
from service.models.enums import DigestFrequency, SubscriptionKind, SubscriptionSide
from service.models.enums import SubscriptionStatus as S
from service.subscriptions.lifecycle import SUBSCRIPTION_MACHINE
from service.subscriptions.schemas import SubscriptionRead

SHOWN_ACTIONS = ("pause", "resume")  # the others have their own routes (DELETE, the e-mail)


def subscription(
    sub: Subscription, user: User, names: dict[str, str], hits: int
) -> SubscriptionRead:
    actions = SUBSCRIPTION_MACHINE.actions(user, sub, sub.status)
    return SubscriptionRead(
        id=sub.id,
        kind=SubscriptionKind(sub.kind),
        kind_label=SubscriptionKind(sub.kind).label,
        side=SubscriptionSide(sub.side),
        side_label=SubscriptionSide(sub.side).label,
        name=sub.name,
        fields=list(sub.field_codes),
        field_names=[names.get(c, c) for c in sub.field_codes],
        keywords=list(sub.keywords),
        frequency=DigestFrequency(sub.frequency),
        frequency_label=DigestFrequency(sub.frequency).label,
        status=sub.status,
        status_label=S(sub.status).label,
        hits=hits,
        created_at=sub.created_at,
        version=sub.version,
        actions=[a for a in actions if a in SHOWN_ACTIONS],
    )
