"""Ids out of range (≥ 2^31 on PostgreSQL, ≥ 2^63 on SQLite) are refused, never a 500.

Every operation that takes an id is found in the OpenAPI document, so a new one is covered.
A path id that cannot exist is a 404; a query or body id a 422 naming the field.
"""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from service.kit.inputs import MAX_ID
from service.models.enums import Role
from service.opendata.schemas import ApiKeyCreate
from service.opendata.service import create_key
from tests.factories import auth, create_user
from tests.service.openapi_walk import body_schema, leaves, operations, place

TOO_BIG = (2**31, 2**63, 2**64 + 1)


@pytest.fixture
def tokens(session: Session) -> list[dict[str, str]]:
    """A session of every role, and a key to the open data API (service/opendata)."""
    users = {role: create_user(session, role) for role in Role}
    key = create_key(session, users[Role.enterprise], ApiKeyCreate(name="编号测试"))
    return [auth(user) for user in users.values()] + [{"X-Api-Key": key.secret}]


def _is_id(name: str | int) -> bool:
    return isinstance(name, str) and (name.endswith(("_id", "_ids")) or name == "version")


def _send(client: TestClient, method: str, url: str, headers: dict[str, str], **kw: Any) -> Any:
    response = client.request(method, url, headers=headers, **kw)
    assert response.status_code < 500, (method, url, response.status_code, response.text)
    return response


def _id_operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    return [op for op in operations(client.app) if op[0].startswith("/api/")]  # type: ignore[arg-type]


def test_path_ids_out_of_range_are_not_found(
    client: TestClient, tokens: list[dict[str, str]]
) -> None:
    checked = 0
    for path, method, operation in _id_operations(client):
        params = [p for p in operation.get("parameters", []) if p["in"] == "path"]
        ints = [p["name"] for p in params if p["schema"].get("type") == "integer"]
        if not ints:
            continue
        assert all(p["schema"].get("maximum") == MAX_ID for p in params if p["name"] in ints), path
        for big in TOO_BIG:
            url = path
            for param in params:
                value = str(big) if param["name"] in ints else "x"
                url = url.replace(f"{{{param['name']}}}", value)
            statuses = {_send(client, method, url, h, json={}).status_code for h in [{}, *tokens]}
            assert 404 in statuses and statuses <= {401, 403, 404}, (method, path, statuses)
        checked += 1
    assert checked >= 40  # the document really lists them


def _refused_field(
    client: TestClient, tokens: list[dict[str, str]], method: str, url: str, field: str, **kw: Any
) -> bool:
    for headers in tokens:
        response = _send(client, method, url, headers, **kw)
        if response.status_code == 422:
            fields = {f["field"]: f["type"] for f in response.json()["fields"]}
            return fields.get(field) == "less_than_equal"
    return False


def test_query_ids_out_of_range_are_refused(
    client: TestClient, tokens: list[dict[str, str]]
) -> None:
    checked = []
    for path, method, operation in _id_operations(client):
        url = re.sub(r"\{\w+\}", "1", path)
        for param in operation.get("parameters", []):
            if param["in"] != "query" or not _is_id(param["name"]):
                continue
            for big in TOO_BIG:
                params = {param["name"]: str(big)}
                assert _refused_field(client, tokens, method, url, param["name"], params=params), (
                    method,
                    path,
                    param["name"],
                )
            checked.append((path, param["name"]))
    assert len(checked) >= 8


def test_body_ids_out_of_range_are_refused(
    client: TestClient, tokens: list[dict[str, str]]
) -> None:
    document = client.app.openapi()  # type: ignore[attr-defined]
    checked = []
    for path, method, operation in _id_operations(client):
        schema = body_schema(document, operation)
        if schema is None:
            continue
        url = re.sub(r"\{\w+\}", "1", path)
        for where, leaf in leaves(document, schema):
            names = [w for w in where if isinstance(w, str)]
            if leaf.get("type") != "integer" or not names or not _is_id(names[-1]):
                continue
            assert leaf.get("maximum") == MAX_ID, (path, where)
            field = ".".join(str(w) for w in where)
            for big in TOO_BIG:
                body = place(where, big)
                assert _refused_field(client, tokens, method, url, field, json=body), (
                    method,
                    path,
                    field,
                )
            checked.append((path, field))
    assert len(checked) >= 20
