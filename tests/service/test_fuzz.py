"""Bounded fuzzing of every operation (schemathesis): no 5xx, and every answer as documented.

Each operation gets FUZZ_EXAMPLES generated requests (valid and invalid ones), each sent
anonymously or with the token of one seeded user per role, through the real app on the test
database (rolled back after each operation). A failure is any server error, a response that
does not match its declared schema, or a status the document does not declare.
"""

import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from service.app import create_app
from service.kit.db import get_session
from service.models.enums import Role
from tests.factories import auth, create_capability, create_need, create_user

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))  # ≈ 2,300 requests, about a minute
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]

pytestmark = pytest.mark.fuzz


@pytest.fixture
def seeded(session: Session) -> list[dict[str, str]]:
    """Anonymous plus one token per role, and a little data for the ids to find."""
    users = {role: create_user(session, role) for role in Role}
    researcher = users[Role.researcher]
    for _ in range(2):
        create_need(session, users[Role.enterprise])
        create_capability(session, researcher)
    return [{}, *(auth(user) for user in users.values())]


# One app for the module (schemathesis reads its document at collection); each operation's
# requests run in that test's `session` (a transaction rolled back afterwards).
_bound: dict[str, Session] = {}


def _session() -> Iterator[Session]:
    session = _bound["session"]
    session.commit()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


app = create_app()
app.dependency_overrides[get_session] = _session
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(autouse=True)
def _bind(session: Session) -> Iterator[None]:
    _bound["session"] = session
    yield
    _bound.clear()


@schema.parametrize()
@schema.given(who=st.integers(min_value=0, max_value=len(Role)))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests every run: a failure is reproducible
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_under_fuzzing(
    case: schemathesis.Case, who: int, seeded: list[dict[str, str]]
) -> None:
    case.call_and_validate(headers=seeded[who], checks=CHECKS)
