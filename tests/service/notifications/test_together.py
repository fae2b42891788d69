"""Notices sent in a `together` block are written at its end, in one statement, each to its
own audience; a failing block writes none of them; a block inside another leaves them to it."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Notification, User
from service.models.enums import Role
from service.notifications.service import notify, notify_admins, notify_orgs, together
from tests.factories import create_user
from tests.service.statements import statements


def _kinds(session: Session, user_id: int) -> list[str]:
    statement = select(Notification.kind).where(Notification.user_id == user_id)
    return list(session.scalars(statement.order_by(Notification.id)))


def test_a_block_writes_its_notices_at_its_end_in_one_statement(session: Session) -> None:
    staff = create_user(session, Role.enterprise)
    admin = create_user(session, Role.admin)
    assert staff.org_id is not None
    session.flush()
    with statements(session) as seen:
        with together(session):
            assert notify_orgs(session, [staff.org_id], "a", "甲") == []  # not written yet
            with together(session):  # an inner block leaves its notice to the outer one
                notify_admins(session, "b", "乙")
            assert seen == []
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("INSERT INTO NOTIFICATIONS")
    assert _kinds(session, staff.id) == ["a"]
    assert _kinds(session, admin.id) == ["b"]


def _failing_step(session: Session, org_id: int) -> None:
    with together(session):
        notify_orgs(session, [org_id], "a", "甲")
        raise RuntimeError("the step failed")


def test_a_failing_block_writes_none(session: Session) -> None:
    staff = create_user(session, Role.enterprise)
    assert staff.org_id is not None
    session.flush()
    with pytest.raises(RuntimeError):
        _failing_step(session, staff.org_id)
    notify_orgs(session, [staff.org_id], "c", "丙")  # after the block: written at once again
    assert _kinds(session, staff.id) == ["c"]


def test_a_column_of_users_or_an_expression_needs_the_rows_it_is_over(session: Session) -> None:
    """`notify` with `per` sends about each row (review conflicts); a column or an expression
    without its rows is a programming error, refused before any SQL."""
    user = create_user(session, Role.expert)
    rows = select(User.id.label("uid"), User.username).where(User.id == user.id).subquery()
    with pytest.raises(ValueError, match="per"):
        notify(session, rows.c.uid, "review_conflict", "标题")
    with pytest.raises(ValueError, match="per"):
        notify(session, [user.id], "review_conflict", rows.c.username)
    sent = notify(session, rows.c.uid, "review_conflict", "标题", rows.c.username, per=rows)
    assert [(n.user_id, n.body) for n in sent] == [(user.id, user.username)]
