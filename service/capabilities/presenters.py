"""A capability as the caller may see it: the field-level rules of capabilities/auth.py."""

from service.capabilities import auth
from service.capabilities.lifecycle import CAPABILITY_MACHINE
from service.capabilities.schemas import CapabilityRead
from service.kit.money import yuan_to_wan
from service.models import Capability, User
from service.models.enums import CapabilityStatus, IpType, Maturity, TechLevel, TransactionMode
from service.postings.presenters import lifecycle_fields
from service.postings.schemas import Contact, OrgBrief


def capability(cap: Capability, user: User | None) -> CapabilityRead:
    contact = Contact.of(cap) if auth.is_privileged(user, cap) else None
    modes = [TransactionMode(m) for m in cap.transaction_modes]
    return CapabilityRead(
        id=cap.id,
        title=cap.title,
        description=cap.description,
        field=cap.field_code,
        field_name=cap.field.name,
        keywords=list(cap.keywords),
        indicators=list(cap.indicators),
        maturity=Maturity(cap.maturity),
        maturity_label=Maturity(cap.maturity).label,
        trl=cap.trl,
        ip_type=IpType(cap.ip_type),
        ip_type_label=IpType(cap.ip_type).label,
        patent_numbers=list(cap.patent_numbers),
        tech_level=TechLevel(cap.tech_level),
        tech_level_label=TechLevel(cap.tech_level).label,
        transaction_modes=modes,
        transaction_mode_labels=[m.label for m in modes],
        price_min_wan=yuan_to_wan(cap.price_min),
        price_max_wan=yuan_to_wan(cap.price_max),
        team=cap.team,
        org=OrgBrief.of(cap.org),
        contact=contact,
        **lifecycle_fields(cap, user, CapabilityStatus, CAPABILITY_MACHINE, auth),
    )
