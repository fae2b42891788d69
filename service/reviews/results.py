"""Aggregated review results: mean per criterion, weighted overall, count, ranking.

Only submitted assignments count. One whose expert's organisation became an applicant after
the submission is never silently dropped: it still counts, flagged (`conflict_of_interest` on
the sheet, `conflicted_count` per application), and the admins were told; an admin decides by
withdrawing the assignment (its scores then stop counting) or letting it stand.
Admins see every expert's sheet by name; the posting enterprise sees
the aggregate only (no names, no individual scores, no comments) — it decides the award with
the admins, but experts judge freely only when the enterprise cannot see who said what.
"""

from collections import Counter
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from service.config import get_settings
from service.kit.errors import Forbidden
from service.models import ReviewCriterion, User
from service.models.enums import ApplicationStatus, NeedStatus, ReviewStatus
from service.needs import service as needs
from service.postings.schemas import OrgBrief
from service.reviews import auth, conflicts, repository
from service.reviews.schemas import (
    ApplicationResult,
    CriterionMean,
    CriterionRead,
    ExpertBrief,
    ExpertSheet,
    ReviewResults,
)

TWO_PLACES = Decimal("0.01")


def _round(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def weighted_overall(means: dict[str, Decimal], criteria: list[ReviewCriterion]) -> Decimal | None:
    """Weighted mean of the criterion means that have scores (unrounded in, rounded out)."""
    weights = {c.code: c.weight for c in criteria if c.code in means}
    total = sum(weights.values(), Decimal(0))
    if not total:
        return None
    return _round(sum((means[code] * w for code, w in weights.items()), Decimal(0)) / total)


def results(session: Session, user: User, need_id: int) -> ReviewResults:
    need = needs.get_readable(session, user, need_id)
    view = auth.results_view(user, need)
    if view is None:
        raise Forbidden(
            "只有管理员和发榜企业可以查看专家论证结果",
            "Only admins and the posting enterprise see review results",
            code="not_allowed",
        )
    criteria = list(repository.criteria(session))
    assignments = repository.for_need(session, need.id)
    submitted = [a for a in assignments if a.status == ReviewStatus.submitted]
    # An expert whose organisation applied after they submitted: counted, flagged.
    applicants = repository.applicant_org_ids(session, [need.id]).get(need.id, set())
    conflicted = {a.id for a in submitted if conflicts.is_conflicted(a.expert, need, applicants)}
    sums: dict[int, dict[str, tuple[int, int]]] = {}
    for app_id, code, total, count in repository.score_sums(session, need.id):
        sums.setdefault(app_id, {})[code] = (total, count)

    rows: list[ApplicationResult] = []
    for app in repository.need_applications(session, need.id):
        means = {
            c.code: Decimal(sums[app.id][c.code][0]) / sums[app.id][c.code][1]
            for c in criteria
            if c.code in sums.get(app.id, {})
        }
        sheets = [
            (a, r) for a in submitted for r in a.reviews if r.application_id == app.id and r.scores
        ]
        rows.append(
            ApplicationResult(
                application_id=app.id,
                org=OrgBrief.of(app.org),
                status=ApplicationStatus(app.status),
                review_count=len(sheets),
                conflicted_count=sum(1 for a, _ in sheets if a.id in conflicted),
                criteria=[
                    CriterionMean(
                        code=c.code,
                        name=c.name,
                        mean=_round(means[c.code]) if c.code in means else None,
                    )
                    for c in criteria
                ],
                overall=weighted_overall(means, criteria),
                rank=None,
                sheets=[
                    ExpertSheet(
                        assignment_id=a.id,
                        expert=ExpertBrief.build(a.expert),
                        scores={s.criterion_code: s.score for s in r.scores},
                        comment=r.comment,
                        overall_comment=a.comment,
                        submitted_at=a.submitted_at,
                        conflict_of_interest=a.id in conflicted,
                    )
                    for a, r in sheets
                ]
                if view == "full"
                else None,
            )
        )
    return ReviewResults(
        need_id=need.id,
        need_title=need.title,
        view=view,
        need_status=need.status,
        need_status_label=NeedStatus(need.status).label,
        deadline=need.deadline,
        results_due=need.deadline + timedelta(days=get_settings().review_period_days),
        criteria=[CriterionRead.model_validate(c) for c in criteria],
        assignments=dict(Counter(a.status for a in assignments)),
        applications=rank(rows),
    )


def rank(rows: list[ApplicationResult]) -> list[ApplicationResult]:
    """Best overall first; equal scores share a rank (1, 1, 3); unreviewed ones last, unranked."""
    scored = sorted(
        (r for r in rows if r.overall is not None),
        key=lambda r: (-(r.overall or 0), r.application_id),
    )
    previous: Decimal | None = None
    for position, row in enumerate(scored, start=1):
        row.rank = position if row.overall != previous else scored[position - 2].rank
        previous = row.overall
    return scored + [r for r in rows if r.overall is None]
