"""Every route of the open data API answers only a valid key (the separate, key-authenticated
router; tests/service/auth/test_public_routes.py covers the session-authenticated ones)."""

import re

from fastapi.testclient import TestClient

from tests.service.openapi_walk import operations
from tests.service.opendata.conftest import KeyMaker

OPEN = "/api/open/v1"


def _open_routes(client: TestClient) -> list[tuple[str, str]]:
    return [
        (method, re.sub(r"\{[^}]+\}", "1", path))
        for path, method, _ in operations(client.app)  # type: ignore[arg-type]
        if path.startswith(OPEN)
    ]


def test_the_open_api_holds_the_documented_routes(client: TestClient) -> None:
    paths = {path for _, path in _open_routes(client)}
    assert paths == {
        f"{OPEN}/needs",
        f"{OPEN}/needs/1",
        f"{OPEN}/capabilities",
        f"{OPEN}/capabilities/1",
        f"{OPEN}/results",
        f"{OPEN}/fields/stats",
        f"{OPEN}/export.jsonl",
        f"{OPEN}/removed",
    }
    assert {method for method, _ in _open_routes(client)} == {"get"}


def test_every_open_route_refuses_a_caller_without_a_key(client: TestClient) -> None:
    for method, url in _open_routes(client):
        response = client.request(method, url)
        assert response.status_code == 401, url
        body = response.json()
        assert body["error"] == "api_key_required"
        assert body["detail"].startswith("缺少 API 密钥")
        assert response.headers["WWW-Authenticate"] == 'ApiKey header="X-Api-Key"'


def test_every_open_route_refuses_an_unknown_key_and_a_session_token(
    client: TestClient, make_key: KeyMaker
) -> None:
    make_key()
    for method, url in _open_routes(client):
        response = client.request(method, url, headers={"X-Api-Key": "jb_no-such-key-0000"})
        assert response.status_code == 401
        assert response.json()["error"] == "api_key_invalid"
        assert response.json()["detail"] == "API 密钥无效，请检查是否完整复制"
    # A signed-in session is not a key.
    response = client.get(f"{OPEN}/needs", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401 and response.json()["error"] == "api_key_required"
