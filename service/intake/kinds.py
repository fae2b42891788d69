"""What differs between importing needs and capabilities: the sheet, the form, the service
functions that store a draft, and who may import for which kind of organisation."""

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from service.capabilities import service as capabilities
from service.capabilities.lifecycle import EDITABLE_STATES as CAPABILITY_EDITABLE
from service.capabilities.schemas import CapabilityCreate
from service.intake.columns import CAPABILITIES, NEEDS, Sheet
from service.intake.repository import Posting
from service.intake.schemas import IntakeKind
from service.models import Capability, Need
from service.models.enums import CapabilityStatus, NeedStatus, OrgKind, Role
from service.needs import service as needs
from service.needs.lifecycle import EDITABLE_STATES as NEED_EDITABLE
from service.needs.schemas import NeedCreate


@dataclass(frozen=True)
class Kind:
    sheet: Sheet
    noun: str  # what one posting is called in messages
    model: Posting
    form: type[BaseModel]  # the web form's create schema
    add_draft: Callable[..., int]  # (session, actor, org_id, form, external_ref) → id
    replace_draft: Callable[..., None]  # (session, posting, form)
    editable: frozenset[str]
    status_label: Callable[[str], str]
    staff_role: Role  # who imports for their own organisation
    org_kinds: frozenset[str]  # whom an admin may import for

    def editable_label(self) -> str:
        return "或".join(self.status_label(s) for s in sorted(self.editable))


KINDS: dict[IntakeKind, Kind] = {
    IntakeKind.needs: Kind(
        sheet=NEEDS,
        noun="需求",
        model=Need,
        form=NeedCreate,
        add_draft=needs.add_draft,
        replace_draft=needs.replace_draft,
        editable=NEED_EDITABLE,
        status_label=lambda s: NeedStatus(s).label,
        staff_role=Role.enterprise,
        org_kinds=frozenset({OrgKind.enterprise.value}),
    ),
    IntakeKind.capabilities: Kind(
        sheet=CAPABILITIES,
        noun="成果",
        model=Capability,
        form=CapabilityCreate,
        add_draft=capabilities.add_draft,
        replace_draft=capabilities.replace_draft,
        editable=CAPABILITY_EDITABLE,
        status_label=lambda s: CapabilityStatus(s).label,
        staff_role=Role.researcher,
        org_kinds=frozenset({OrgKind.university.value, OrgKind.institute.value}),
    ),
}


def kind_of(name: str) -> Kind:
    return KINDS[IntakeKind(name)]
