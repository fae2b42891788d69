"""The OpenAPI document tells the truth about errors, for every operation at once.

FastAPI documents 422 as its own list of errors; ours is the one `ErrorBody` shape. And some
refusals come from the plumbing rather than the endpoint, so endpoints cannot declare them:
a body that is not JSON (400), a missing or stale token (401), a path id that cannot exist
(404). They are added here from what the operation takes.
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if headers:
        response["headers"] = headers
    return response


_BEARER = {
    "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}},
}


def _declare(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if "422" in responses:
        responses["422"] = _error("validation_error：请求参数不合法（fields 列出各字段）")
    body = operation.get("requestBody", {}).get("content", {})
    if "application/json" in body:
        responses.setdefault("400", _error("malformed_json：请求体不是合法的 JSON"))
    if "security" in operation:  # a token is read: a missing, stale or forged one is a 401
        responses.setdefault("401", _error("not_authenticated / invalid_token"))
        responses["401"]["headers"] = _BEARER
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        responses.setdefault("404", _error("not_found"))


def install_openapi(app: FastAPI) -> None:
    """Post-process the generated document once, when it is first asked for."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    _declare(operation)
            schemas = schema.get("components", {}).get("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
