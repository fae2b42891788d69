"""The parties to an awarded need: finding them (with the refusals) and telling them."""

from sqlalchemy import literal, select, true
from sqlalchemy.orm import Session

from service.kit.errors import Forbidden, NotFound
from service.milestones import auth, repository
from service.models import Application, Need, User
from service.needs import auth as needs_auth
from service.needs import repository as needs_repository
from service.notifications.service import notify_orgs


def need_for_party(session: Session, user: User, need_id: int) -> tuple[Need, list[Application]]:
    """The need and its winners, if `user` is a party to it: else 404 (can't see) or 403."""
    need = needs_repository.get(session, need_id, true())
    if need is None:
        raise NotFound("需求不存在或无权查看", "Need not found")
    winners = list(repository.winners(session, need.id))
    visible = needs_repository.get(session, need_id, needs_auth.readable(user)) is not None
    if auth.is_admin(user) and not visible:  # admins never see other people's drafts
        raise NotFound("需求不存在或无权查看", "Need not found")
    if not auth.is_party(user, need, winners):
        if not visible:
            raise NotFound("需求不存在或无权查看", "Need not found")
        raise Forbidden(
            "只有发榜企业、揭榜方和管理员可以查看里程碑与台账",
            "Only the posting enterprise, the winners and admins",
            code="not_a_party",
        )
    return need, winners


def announce(session: Session, need: Need, kind: str, title: str, body: str = "") -> None:
    """Tell the posting enterprise and every winning organisation (lead and members)."""
    orgs = repository.winner_org_ids(need.id).union(select(literal(need.org_id)))
    notify_orgs(session, orgs, kind, title, body, link=f"/needs/{need.id}", obj=("need", need.id))
