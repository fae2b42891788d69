"""A milestone as a party sees it, with the steps the caller may take."""

from service.kit.money import yuan_to_wan
from service.milestones import auth
from service.milestones.schemas import MilestoneRead
from service.models import Milestone, Need, User
from service.models.enums import MilestoneStatus
from service.postings.schemas import OrgBrief


def milestone(m: Milestone, need: Need, user: User) -> MilestoneRead:
    org = m.application.org
    status = MilestoneStatus(m.status)
    return MilestoneRead(
        id=m.id,
        need_id=m.need_id,
        application_id=m.application_id,
        org=OrgBrief.of(org),
        name=m.name,
        due_date=m.due_date,
        amount_wan=yuan_to_wan(m.amount) or "0",
        acceptance_criteria=m.acceptance_criteria,
        status=status,
        status_label=status.label,
        delivery_note=m.delivery_note,
        reason=m.reason,
        submitted_at=m.submitted_at,
        accepted_at=m.accepted_at,
        paid_at=m.paid_at,
        created_at=m.created_at,
        updated_at=m.updated_at,
        version=m.version,
        actions=auth.actions(user, m, need, m.application),
    )
