"""Walk the live OpenAPI document: operations, their parameters and the leaves of their bodies.

Tests built on it cover a new operation or field without being edited.
"""

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

Leaf = tuple[tuple[str | int, ...], dict[str, Any]]  # where in the body, the leaf's schema


def operations(app: FastAPI) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _variants(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    schema = resolve(document, schema)
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return [resolve(document, o) for o in options if o.get("type") != "null"]


def body_schema(
    document: dict[str, Any], operation: dict[str, Any], media: str = "application/json"
) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get(media, {}).get("schema")
    return resolve(document, schema) if schema else None


def leaves(document: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Iterator[Leaf]:
    """Every scalar leaf of a body schema (through objects, arrays and dict values)."""
    for variant in _variants(document, schema):
        kind = variant.get("type")
        if kind == "object" and depth < 4:
            for name, sub in variant.get("properties", {}).items():
                for where, leaf in leaves(document, sub, depth + 1):
                    yield (name, *where), leaf
            extra = variant.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                key = variant.get("propertyNames", {"type": "string"})
                yield ("<key>",), key
                for where, leaf in leaves(document, extra, depth + 1):
                    yield ("k", *where), leaf
        elif kind == "array" and depth < 4:
            for where, leaf in leaves(document, variant.get("items", {}), depth + 1):
                yield (0, *where), leaf
        elif kind in ("integer", "string"):
            yield (), variant


def place(where: tuple[str | int, ...], value: Any) -> Any:
    """The smallest JSON value with `value` at `where` ("<key>" puts it as a dict key)."""
    if not where:
        return value
    head, rest = where[0], where[1:]
    if head == 0:
        return [place(rest, value)]
    if head == "<key>":
        return {value: 1}
    return {head: place(rest, value)}
