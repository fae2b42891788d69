"""One strict spelling of decimal amounts: no separators, spaces, signs or exponents."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.models.enums import Role
from tests.factories import auth, create_user, need_payload

LENIENT = ["1_000", " 10 ", "10 ", "-0", "-5", "+5", "1e3", ".5", "5.", "0x10", "１０", True]


@pytest.fixture
def owner(session: Session) -> dict[str, str]:
    return auth(create_user(session, Role.enterprise))


@pytest.mark.parametrize("bounty", [*LENIENT, "0", 0, "0.000", -0.0])
def test_a_bounty_is_a_plain_positive_amount(
    client: TestClient, owner: dict[str, str], bounty: Any
) -> None:
    response = client.post("/api/v1/needs", headers=owner, json=need_payload(bounty_wan=bounty))
    assert response.status_code == 422, response.text
    assert response.json()["fields"][0]["field"] == "bounty_wan"


@pytest.mark.parametrize("invest", LENIENT)
def test_other_amounts_share_the_same_spelling(
    client: TestClient, owner: dict[str, str], invest: Any
) -> None:
    payload = need_payload(own_investment_wan=invest)
    response = client.post("/api/v1/needs", headers=owner, json=payload)
    assert response.status_code == 422, response.text
    assert response.json()["fields"][0]["field"] == "own_investment_wan"


@pytest.mark.parametrize(
    ("bounty", "invest", "shown"),
    [("85.5", "0", "85.5"), ("0.000001", "-0.0", "0.000001"), (300, 0, "300")],
)
def test_plain_amounts_are_kept_exactly(
    client: TestClient, owner: dict[str, str], bounty: Any, invest: Any, shown: str
) -> None:
    payload = need_payload(bounty_wan=bounty, own_investment_wan=invest)
    if invest == "-0.0":
        payload["own_investment_wan"] = -0.0  # a JSON number: read as zero, never "-0"
    response = client.post("/api/v1/needs", headers=owner, json=payload)
    assert response.status_code == 201, response.text
    assert response.json()["bounty_wan"] == shown
    assert response.json()["own_investment_wan"] == "0"


def test_the_document_states_the_spelling(client: TestClient) -> None:
    schema = client.app.openapi()["components"]["schemas"]["NeedCreate"]  # type: ignore[attr-defined]
    number, text = schema["properties"]["bounty_wan"]["anyOf"]
    assert number["exclusiveMinimum"] == 0 and text["pattern"].startswith("^")
