"""Control characters are refused in every text field, and old ones cannot break an export.

Every string a request takes (body leaves and query parameters) is found in the OpenAPI
document, so a new field is covered: each must carry a pattern that refuses control
characters, and the service must answer 422 naming the field.
"""

import csv
import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from service.models.enums import Role
from tests.factories import auth, create_need, create_user, need_payload
from tests.service.openapi_walk import body_schema, leaves, place

CONTROLS = ["\x00", "\x01", "\x1b", "\x7f"]
MULTILINE_OK = "第一行\n\t第二行\r\n"
FORM = "application/x-www-form-urlencoded"


def _strings(document: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path, where, schema) of every free-text string the API takes."""
    found = []
    for path, method, operation in operations_of(document):
        for param in operation.get("parameters", []):
            schema = param["schema"]
            options = schema.get("anyOf", [schema])
            for option in options:
                if option.get("type") == "string" and not {"enum", "format"} & set(option):
                    found.append((method, path, f"query:{param['name']}", option))
        for media, prefix in (("application/json", ""), (FORM, "form:")):
            schema = body_schema(document, operation, media)
            for where, leaf in leaves(document, schema) if schema else []:
                if leaf.get("type") == "string" and not {"enum", "format"} & set(leaf):
                    found.append((method, path, prefix + ".".join(map(str, where)), leaf))
    return found


def operations_of(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if path.startswith("/api/")
    ]


def test_every_text_field_refuses_control_characters_in_its_schema(client: TestClient) -> None:
    strings = _strings(client.app.openapi())  # type: ignore[attr-defined]
    assert len(strings) > 60
    for method, path, where, schema in strings:
        pattern = schema.get("pattern")
        assert pattern, (method, path, where)
        for control in CONTROLS:
            assert not re.search(pattern, f"ab{control}cd"), (method, path, where, control)


def test_every_body_text_field_is_refused_with_a_control_character(
    client: TestClient, session: Session
) -> None:
    tokens = [auth(create_user(session, role)) for role in Role]
    document = client.app.openapi()  # type: ignore[attr-defined]
    checked = 0
    for method, path, where, schema in _strings(document):
        if where.startswith(("query:", "form:")) or where.endswith("<key>"):
            continue
        url = re.sub(r"\{\w+\}", "1", path)
        size = min(max(schema.get("minLength", 0), 12), schema.get("maxLength", 1000))
        value = "ab12" * 50
        value = value[: size // 2] + "\x00" + value[: size - size // 2 - 1]  # long enough
        body = place(tuple(int(w) if w.isdigit() else w for w in where.split(".")), value)
        refused = False
        for headers in tokens:
            response = client.request(method, url, headers=headers, json=body)
            assert response.status_code < 500, (method, path, where, response.text)
            if response.status_code == 422:
                fields = {f["field"]: f for f in response.json()["fields"]}
                refused = where in fields
                break
        assert refused, (method, path, where)
        checked += 1
    assert checked > 50


@pytest.mark.parametrize("control", CONTROLS)
def test_query_text_with_a_control_character_is_refused(client: TestClient, control: str) -> None:
    response = client.get("/api/v1/needs", params={"q": f"ab{control}"})
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "q"


def test_multiline_text_keeps_newlines_and_tabs_single_line_text_does_not(
    client: TestClient, session: Session
) -> None:
    owner = auth(create_user(session, Role.enterprise))
    ok = client.post("/api/v1/needs", headers=owner, json=need_payload(problem=MULTILINE_OK * 3))
    assert ok.status_code == 201, ok.text
    assert "\n\t第二行" in ok.json()["problem"]
    bad = client.post("/api/v1/needs", headers=owner, json=need_payload(title="标题\n第二行"))
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "title"
    assert bad.json()["fields"][0]["message"] == "不能包含换行、制表符等控制字符"
    nul = client.post("/api/v1/needs", headers=owner, json=need_payload(problem="正文\x00" * 5))
    assert nul.status_code == 422 and nul.json()["fields"][0]["message"] == "不能包含控制字符"


def test_exports_drop_control_characters_stored_before_the_rule(
    client: TestClient, session: Session
) -> None:
    owner = create_user(session, Role.enterprise)
    create_need(session, owner, title="旧数据\x01\x1b标题\x7f", problem="第一行\n第二行\x08")
    admin = auth(create_user(session, Role.admin))
    xlsx = client.get("/api/v1/exports/needs.xlsx", headers=admin)
    assert xlsx.status_code == 200, xlsx.text
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert any("旧数据标题" in str(cell) for row in rows for cell in row)
    text = client.get("/api/v1/exports/needs.csv", headers=admin).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "旧数据标题" in cells
    assert not any(re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", c) for c in cells)


@pytest.mark.parametrize("field", ["username", "password"])
def test_login_with_a_control_character_is_refused_not_a_500(
    client: TestClient, field: str
) -> None:
    form = {"username": "someone", "password": "Passw0rd!", field: "ab\x00cd"}
    response = client.post("/api/v1/auth/token", data=form)
    assert response.status_code in (401, 422), response.text
