"""揭榜结果公示: who won the public needs, for how much and when — the same for every caller,
signed in or not (needs/auth.in_results says which needs)."""

from sqlalchemy.orm import Session

from service.kit.pagination import Page, PageParams, page_of
from service.needs import auth, presenters, repository
from service.needs.schemas import AwardResult


def award_results(session: Session, page: PageParams) -> Page[AwardResult]:
    rows, total = repository.award_results(session, auth.in_results(), page)
    return page_of([presenters.award_result(app, at) for app, at in rows], total, page)
