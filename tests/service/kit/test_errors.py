"""Every refusal in the one shape, with the headers HTTP asks for, and the document agrees."""

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.app import create_app
from service.models.enums import Role
from tests.factories import auth, create_user, need_payload
from tests.service.openapi_walk import operations


def _is_error(response: Any, status: int, code: str) -> None:
    body = response.json()
    assert response.status_code == status and body["error"] == code, response.text
    assert body["detail"] and any("\u4e00" <= c <= "\u9fff" for c in body["detail"])  # zh-CN


def test_wrong_method_names_the_allowed_ones(client: TestClient) -> None:
    response = client.put("/api/v1/me")
    _is_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


def test_missing_or_stale_token_asks_for_bearer(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    mine = client.get("/api/v1/needs", params={"mine": "true"})
    _is_error(mine, 401, "not_authenticated")
    assert mine.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("body", [b'{"title": ', b'{"title": "\xff\xfe"}', b"\xc3\x28"])
def test_malformed_or_non_utf8_json_is_a_chinese_400(
    client: TestClient, session: Session, body: bytes
) -> None:
    headers = {**auth(create_user(session, Role.enterprise)), "Content-Type": "application/json"}
    _is_error(client.post("/api/v1/needs", content=body, headers=headers), 400, "malformed_json")


def test_an_unexpected_failure_is_a_logged_500_in_the_one_shape(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    app.router.routes.insert(0, app.router.routes.pop())  # before the web app's catch-all

    with caplog.at_level(logging.ERROR), TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/boom")
    _is_error(response, 500, "internal_error")
    assert response.headers["content-type"] == "application/json"
    assert "RuntimeError: boom" in caplog.text


def test_a_unique_index_no_service_guards_is_a_409_not_a_500() -> None:
    app = create_app()

    @app.get("/duplicate")
    def duplicate() -> None:
        raise IntegrityError("INSERT …", {}, Exception("UNIQUE constraint failed: t.name"))

    app.router.routes.insert(0, app.router.routes.pop())
    with TestClient(app, raise_server_exceptions=False) as c:
        _is_error(c.get("/duplicate"), 409, "conflict")


@pytest.mark.parametrize("value", ["0", "1700000000", "2026-1-1", "2026/01/01"])
def test_date_parameters_are_days_not_epoch_numbers(client: TestClient, value: str) -> None:
    response = client.get("/api/v1/needs", params={"deadline_to": value})
    _is_error(response, 422, "validation_error")
    assert response.json()["fields"][0]["field"] == "deadline_to"
    assert client.get("/api/v1/needs", params={"deadline_to": "2026-01-01"}).status_code == 200


def test_a_deadline_in_a_body_is_a_day_too(client: TestClient, session: Session) -> None:
    headers = auth(create_user(session, Role.enterprise))
    response = client.post("/api/v1/needs", headers=headers, json=need_payload(deadline=0))
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "deadline"


def test_the_document_declares_the_real_error_shape_and_statuses(client: TestClient) -> None:
    document = client.app.openapi()  # type: ignore[attr-defined]
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorBody"]["properties"]) == {"error", "detail", "detail_en", "fields"}
    for path, method, operation in operations(client.app):  # type: ignore[arg-type]
        responses = operation["responses"]
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, status)
        if "security" in operation:
            assert responses["401"]["headers"]["WWW-Authenticate"], (method, path)
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            assert "400" in responses, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
    register = schemas["RegisterIn"]["properties"]["password"]
    assert register["pattern"] and register["minLength"] == 8
