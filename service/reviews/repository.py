from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, exists, func, select
from sqlalchemy.orm import Session, joinedload, selectinload, with_expression

from service.kit.pagination import PageParams, paginate
from service.kit.repository import Reader, equal
from service.models import (
    Application,
    ApplicationMember,
    Need,
    Organization,
    Review,
    ReviewAssignment,
    ReviewCriterion,
    ReviewScore,
    User,
)
from service.models.enums import ApplicationStatus, MemberStatus, ReviewStatus
from service.reviews.lifecycle import LIVE_STATES
from service.reviews.schemas import AssignmentFilter

# Applications an expert reviews, and whose organisations are interested parties.
REVIEWABLE = (ApplicationStatus.submitted.value, ApplicationStatus.shortlisted.value)
# Applications that count (not withdrawn, not a consortium still forming or never formed).
COUNTED = tuple(
    s.value
    for s in ApplicationStatus
    if s
    not in (ApplicationStatus.withdrawn, ApplicationStatus.forming, ApplicationStatus.dissolved)
)


def _with_relations(statement: Select[Any]) -> Select[Any]:
    return statement.options(
        selectinload(ReviewAssignment.expert).selectinload(User.org),
        selectinload(ReviewAssignment.reviews).selectinload(Review.scores),
    )


# The expert's organisation is in a counted application to the assignment's need (lead or
# confirmed consortium member): the interested parties of `_applicant_rows`, as a condition.
_EXPERT_APPLIES = exists().where(
    Application.need_id == ReviewAssignment.need_id,
    Application.status.in_(COUNTED),
    ApplicationMember.application_id == Application.id,
    ApplicationMember.status == MemberStatus.confirmed,
    ApplicationMember.org_id
    == select(User.org_id)
    .where(User.id == ReviewAssignment.expert_id)
    .correlate(ReviewAssignment)
    .scalar_subquery(),
)
# The active criteria a sheet has no score for.
_UNSCORED = (
    select(func.count())
    .select_from(ReviewCriterion)
    .where(
        ReviewCriterion.is_active.is_(True),
        ~exists()
        .where(
            ReviewScore.review_id == Review.id, ReviewScore.criterion_code == ReviewCriterion.code
        )
        .correlate(Review, ReviewCriterion),
    )
    .correlate(Review)
    .scalar_subquery()
)

# The expert (with organisation) joined; the sheets, with their scores and applications, in
# one more query. Read for a change, the locking statement also reads the need and whether
# the expert's organisation applied since (the conflict check), and each sheet how many
# active criteria it lacks; the sheets stay a query of their own, run after the lock, so a
# save committed while the lock was awaited is seen (PostgreSQL gives a joined row as it was
# before the wait).
RELATIONS = (
    joinedload(ReviewAssignment.expert, innerjoin=True).joinedload(User.org),
    selectinload(ReviewAssignment.reviews).options(
        joinedload(Review.scores), joinedload(Review.application, innerjoin=True)
    ),
)
_LOCKED = (
    joinedload(ReviewAssignment.need, innerjoin=True),
    with_expression(ReviewAssignment.expert_applies, _EXPERT_APPLIES),
    selectinload(ReviewAssignment.reviews).with_expression(Review.unscored, _UNSCORED),
)


# The assignment if `readable`, locked for a change with `for_update`.
get = Reader(ReviewAssignment, RELATIONS, locked_options=_LOCKED)


def live_for(session: Session, need_id: int, expert_id: int) -> ReviewAssignment | None:
    return session.scalar(
        select(ReviewAssignment).where(
            ReviewAssignment.need_id == need_id,
            ReviewAssignment.expert_id == expert_id,
            ReviewAssignment.status.in_(LIVE_STATES),
        )
    )


def list_page(
    session: Session, readable: ColumnElement[bool], filters: AssignmentFilter, page: PageParams
) -> tuple[list[ReviewAssignment], int]:
    statement = select(ReviewAssignment).where(readable)
    statement = statement.where(*equal(ReviewAssignment, filters, "need_id", "status"))
    return paginate(session, _with_relations(statement.order_by(ReviewAssignment.id.desc())), page)


def for_need(session: Session, need_id: int) -> Sequence[ReviewAssignment]:
    statement = select(ReviewAssignment).where(ReviewAssignment.need_id == need_id)
    return session.scalars(_with_relations(statement.order_by(ReviewAssignment.id))).all()


def conflicted(need_id: int, org_ids: Iterable[int]) -> Subquery:
    """The live assignments to `need_id` whose expert belongs to one of `org_ids` (id,
    expert_id, display_name, submitted): a subquery, for the statement that tells of them."""
    return (
        select(
            ReviewAssignment.id,
            ReviewAssignment.expert_id,
            User.display_name,
            (ReviewAssignment.status == ReviewStatus.submitted).label("submitted"),
        )
        .join(User, User.id == ReviewAssignment.expert_id)
        .where(
            ReviewAssignment.need_id == need_id,
            ReviewAssignment.status.in_(LIVE_STATES),
            User.org_id.in_(sorted(set(org_ids))),
        )
        .subquery("conflicted")
    )


def applications(session: Session, application_ids: Iterable[int]) -> dict[int, Application]:
    statement = (
        select(Application)
        .where(Application.id.in_(set(application_ids)))
        .options(
            selectinload(Application.org),
            selectinload(Application.members).selectinload(ApplicationMember.org),
        )
    )
    return {a.id: a for a in session.scalars(statement)}


def reviewable_application_ids(session: Session, need_id: int) -> list[int]:
    statement = (
        select(Application.id)
        .where(Application.need_id == need_id, Application.status.in_(REVIEWABLE))
        .order_by(Application.id)
    )
    return list(session.scalars(statement))


def _applicant_rows(need_ids: Iterable[int]) -> Select[int, int, str]:
    """Every organisation (lead or confirmed consortium member) of an application that
    counts — the interested parties an expert must not belong to."""
    return (
        select(Application.need_id, ApplicationMember.org_id, Organization.name)
        .join(ApplicationMember, ApplicationMember.application_id == Application.id)
        .join(Organization, Organization.id == Application.org_id)
        .where(
            Application.need_id.in_(set(need_ids)),
            Application.status.in_(COUNTED),
            ApplicationMember.status == MemberStatus.confirmed,
        )
    )


def applicant_org_ids(session: Session, need_ids: Iterable[int]) -> dict[int, set[int]]:
    """Per need: the interested parties' organisation ids."""
    orgs: dict[int, set[int]] = {}
    for need_id, org_id, _ in session.execute(_applicant_rows(need_ids)):
        orgs.setdefault(need_id, set()).add(org_id)
    return orgs


def applicant_lead_names(session: Session, need_id: int, org_id: int) -> list[str]:
    """The lead organisations of the counted applications to `need_id` that `org_id` is in."""
    statement = _applicant_rows([need_id]).where(ApplicationMember.org_id == org_id)
    return sorted({name for _, _, name in session.execute(statement)})


def criterion(session: Session, code: str) -> ReviewCriterion | None:
    return session.get(ReviewCriterion, code)


def criteria(session: Session, include_inactive: bool = False) -> Sequence[ReviewCriterion]:
    statement = select(ReviewCriterion).order_by(ReviewCriterion.sort_order, ReviewCriterion.code)
    if not include_inactive:
        statement = statement.where(ReviewCriterion.is_active.is_(True))
    return session.scalars(statement).all()


def score_sums(session: Session, need_id: int) -> list[tuple[int, str, int, int]]:
    """(application_id, criterion, sum, count) over the submitted assignments of a need."""
    statement = (
        select(
            Review.application_id,
            ReviewScore.criterion_code,
            func.sum(ReviewScore.score),
            func.count(ReviewScore.id),
        )
        .join(Review, Review.id == ReviewScore.review_id)
        .join(ReviewAssignment, ReviewAssignment.id == Review.assignment_id)
        .where(
            ReviewAssignment.need_id == need_id,
            ReviewAssignment.status == ReviewStatus.submitted,
        )
        .group_by(Review.application_id, ReviewScore.criterion_code)
    )
    return [(a, c, int(s), int(n)) for a, c, s, n in session.execute(statement)]


def needs_by_id(session: Session, need_ids: Iterable[int]) -> dict[int, Need]:
    statement = (
        select(Need)
        .where(Need.id.in_(set(need_ids)))
        .options(selectinload(Need.org), selectinload(Need.field))
    )
    return {n.id: n for n in session.scalars(statement)}


def need_applications(session: Session, need_id: int) -> Sequence[Application]:
    """The need's applications that count (what review results rank)."""
    statement = (
        select(Application)
        .where(Application.need_id == need_id, Application.status.in_(COUNTED))
        .options(selectinload(Application.org))
        .order_by(Application.id)
    )
    return session.scalars(statement).all()
