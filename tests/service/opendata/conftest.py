"""Keys made through the real endpoint, and the header that carries them."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.models import User
from service.models.enums import Role
from tests.factories import auth, create_user

KeyMaker = Callable[..., dict[str, str]]


@pytest.fixture
def make_key(client: TestClient, session: Session) -> KeyMaker:
    """A new key (of `user`, or of a new enterprise user), as the X-Api-Key header."""

    def make(
        user: User | None = None, rate: int = 60, name: str = "省科技厅数据同步"
    ) -> dict[str, str]:
        owner = user or create_user(session, Role.enterprise)
        response = client.post(
            "/api/v1/api-keys",
            json={"name": name, "rate_limit_per_minute": rate},
            headers=auth(owner),
        )
        assert response.status_code == 201, response.text
        return {"X-Api-Key": response.json()["secret"]}

    return make
