"""The 专家论证 criteria: data the bureau extends, reweights or retires.

A change applies to reviews not yet submitted: submitting needs every active criterion
scored, and results show the active criteria only.
"""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from service.kit.db import unique_or
from service.kit.errors import Conflict, found
from service.models import ReviewCriterion
from service.reviews import repository
from service.reviews.schemas import CriterionCreate, CriterionUpdate


def listed(session: Session, include_inactive: bool = False) -> Sequence[ReviewCriterion]:
    """The criteria in their order (the inactive ones too for admins)."""
    return repository.criteria(session, include_inactive)


def create(session: Session, data: CriterionCreate) -> ReviewCriterion:
    exists = Conflict("评审项代码已存在", "Criterion exists", code="criterion_exists")
    if repository.criterion(session, data.code) is not None:
        raise exists
    criterion = ReviewCriterion(**data.model_dump(), is_active=True)
    with unique_or(session, exists):
        session.add(criterion)
        session.flush()
    return criterion


def update(session: Session, code: str, data: CriterionUpdate) -> ReviewCriterion:
    criterion = found(repository.criterion(session, code), ("评审项不存在", "Criterion not found"))
    for key, value in data.model_dump(exclude_none=True).items():
        setattr(criterion, key, value)
    session.flush()
    return criterion
