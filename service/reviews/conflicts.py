"""Conflicts of interest: an expert never reviews a need their organisation posted or applied
to (as lead or consortium member). Checked on assignment and again on every score and submit,
because an organisation may apply after its expert was assigned."""

from collections.abc import Iterable

from sqlalchemy.orm import Session

from service.kit.errors import Conflict
from service.models import Need, User
from service.reviews import repository


def conflicted_needs(session: Session, expert: User, needs: Iterable[Need]) -> set[int]:
    """The ids among `needs` the expert may not review."""
    needs = list(needs)
    if expert.org_id is None or not needs:
        return set()
    applicants = repository.applicant_org_ids(session, (n.id for n in needs))
    return {n.id for n in needs if is_conflicted(expert, n, applicants.get(n.id, set()))}


def is_conflicted(expert: User, need: Need, applicant_orgs: set[int]) -> bool:
    return expert.org_id is not None and (
        expert.org_id == need.org_id or expert.org_id in applicant_orgs
    )


def check(session: Session, expert: User, need: Need) -> None:
    """Refuse with 409 conflict_of_interest, saying which side the expert is on."""
    if expert.org_id is None:
        return
    if expert.org_id == need.org_id:
        raise Conflict(
            "利益冲突：评审专家所在单位是该需求的发榜企业，须回避",
            "Conflict of interest: the expert's organisation posted this need",
            code="conflict_of_interest",
        )
    if expert.org_id in repository.applicant_org_ids(session, [need.id]).get(need.id, set()):
        raise Conflict(
            "利益冲突：评审专家所在单位是该需求的揭榜申请单位或联合体成员，须回避",
            "Conflict of interest: the expert's organisation applied to this need",
            code="conflict_of_interest",
        )
