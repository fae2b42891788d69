"""One error base class, one handler, one response shape: {"error": code, "detail": message}.

Every refusal uses it: our own errors, FastAPI's validation (422, with `fields`), malformed
bodies (400 `malformed_json`), unknown routes and methods (404, 405 with `Allow`), and
unexpected failures (500 `internal_error`, logged with the traceback).
"""

import logging
from typing import Any, ClassVar, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.kit.db import is_unique_violation
from service.kit.inputs import PATTERN_MESSAGES

log = logging.getLogger(__name__)


class FieldError(BaseModel):
    field: str
    message: str
    type: str | None = None


class ErrorBody(BaseModel):
    """Every error response: stable code, Chinese message, English message, bad fields (422)."""

    error: str
    detail: str
    detail_en: str | None = None
    fields: list[FieldError] | None = None


class JiebangError(Exception):
    """A refusal the client can act on: HTTP status, stable machine code, Chinese message."""

    status_code = 400
    code = "bad_request"
    headers: dict[str, str] | None = None  # sent with the response (e.g. Retry-After)
    openapi_headers: ClassVar[dict[str, Any]] = {}  # how `headers` are documented

    def __init__(self, detail: str, detail_en: str | None = None, *, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.detail_en = detail_en
        if code:
            self.code = code


class BadRequest(JiebangError):
    status_code = 400
    code = "bad_request"


class NotAuthenticated(JiebangError):
    status_code = 401
    code = "not_authenticated"
    headers = {"WWW-Authenticate": "Bearer"}  # RFC 6750: the scheme the client must use


class Forbidden(JiebangError):
    status_code = 403
    code = "forbidden"


class NotFound(JiebangError):
    status_code = 404
    code = "not_found"


T = TypeVar("T")


def found(row: T | None, missing: tuple[str, str]) -> T:
    """`row`, or the 404 saying (zh-CN, English) what was not found or is not the caller's
    to see."""
    if row is None:
        raise NotFound(*missing)
    return row


class Conflict(JiebangError):
    status_code = 409
    code = "conflict"


class TooManyRequests(JiebangError):
    """Throttled: try again after `retry_after` seconds (sent as the Retry-After header)."""

    status_code = 429
    code = "too_many_attempts"
    openapi_headers: ClassVar[dict[str, Any]] = {
        "Retry-After": {"description": "再试前须等待的秒数", "schema": {"type": "integer"}}
    }

    def __init__(self, detail: str, detail_en: str | None = None, *, retry_after: int):
        super().__init__(detail, detail_en)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class InvalidTransition(JiebangError):
    status_code = 409
    code = "invalid_transition"


class StaleVersion(JiebangError):
    status_code = 409
    code = "stale_version"


def responses(*errors: type[JiebangError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entry for the errors an endpoint may raise."""
    return {
        e.status_code: {"model": ErrorBody, "description": e.code}
        | ({"headers": e.openapi_headers} if e.openapi_headers else {})
        for e in errors
    }


_MESSAGES = {
    "missing": "必填项缺失",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "too_long": "最多 {max_length} 项",
    "too_short": "至少 {min_length} 项",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}",
    "decimal_max_places": "小数位数不能超过 {decimal_places} 位",
    "decimal_max_digits": "数字位数过多",
    "decimal_parsing": "不是合法的数字",
    "decimal_type": "不是合法的数字",
    "int_parsing": "不是合法的整数",
    "int_type": "不是合法的整数",
    "date_from_datetime_parsing": "不是合法的日期（YYYY-MM-DD）",
    "date_parsing": "不是合法的日期（YYYY-MM-DD）",
    "date_type": "不是合法的日期（YYYY-MM-DD）",
    "enum": "取值不在允许范围内：{expected}",
    "literal_error": "取值不在允许范围内：{expected}",
    "extra_forbidden": "不允许的字段",
    "string_type": "必须是字符串",
    "list_type": "必须是列表",
    "dict_type": "必须是对象",
    "model_type": "必须是对象",
    "bool_parsing": "必须是布尔值",
    "string_pattern_mismatch": "格式不正确",
    "value_error": "{msg}",
    "assertion_error": "{msg}",
}


def _zh_message(err: dict[str, Any]) -> str:
    if err.get("type") == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern")
        if pattern in PATTERN_MESSAGES:
            return PATTERN_MESSAGES[pattern]
    template = _MESSAGES.get(err.get("type", ""))
    if template is None:
        return str(err.get("msg", "取值不合法"))
    ctx = dict(err.get("ctx") or {})
    ctx.setdefault("msg", err.get("msg", ""))
    try:
        message = template.format(**ctx)
    except (KeyError, IndexError):
        message = str(err.get("msg", "取值不合法"))
    return message.removeprefix("Value error, ")


def zh_messages(exc: ValidationError) -> list[tuple[tuple[Any, ...], str]]:
    """(loc, zh-CN message) per error of a schema checked outside a request (a sheet row)."""
    return [(tuple(e.get("loc", ())), _zh_message(dict(e))) for e in exc.errors()]


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


# A path value out of range or of the wrong shape names nothing that can exist: 404, not 422.
_UNREACHABLE_PATH = {
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "string_pattern_mismatch",
}


def _error_response(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"error": code, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(status_code=status, content=body, headers=headers)


def error_response(exc: JiebangError) -> JSONResponse:
    """The one error shape for `exc`, for an endpoint that answers a refusal without raising
    (so its request still commits what the refusal must keep, e.g. a failed-login count)."""
    return _error_response(
        exc.status_code, exc.code, exc.detail, exc.headers, detail_en=exc.detail_en
    )


def _malformed() -> JSONResponse:
    return _error_response(
        400, "malformed_json", "请求体不是合法的 JSON", detail_en="Malformed JSON body"
    )


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(JiebangError)
    async def _jiebang(_: Request, exc: JiebangError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return _malformed()
        path_errors = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("path",)]
        if path_errors and all(e.get("type") in _UNREACHABLE_PATH for e in path_errors):
            return _error_response(404, "not_found", "资源不存在", detail_en="Not found")
        fields = [
            {
                "field": _field_name(tuple(e.get("loc", ()))),
                "message": _zh_message(e),
                "type": e.get("type"),
            }
            for e in errors
        ]
        summary = "；".join(f"{f['field']}：{f['message']}" for f in fields[:5])
        return _error_response(
            422,
            "validation_error",
            f"请求参数不合法：{summary}",
            detail_en="Request validation failed",
            fields=fields,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            return _malformed()  # FastAPI's body parsing: JSON that is not UTF-8
        if exc.status_code == 400 and exc.__cause__ is not None:
            return _error_response(
                400, "malformed_body", "请求体无法解析", detail_en="Unparseable request body"
            )
        codes = {
            404: ("not_found", "资源不存在"),
            405: ("method_not_allowed", "不支持该请求方法"),
            401: ("not_authenticated", "请先登录"),
        }
        code, zh = codes.get(exc.status_code, ("http_error", str(exc.detail)))
        headers = dict(exc.headers) if exc.headers else None  # 405 carries Allow
        return _error_response(exc.status_code, code, zh, headers, detail_en=str(exc.detail))

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A unique index no domain check guards (services use kit.db.unique_or for theirs).
        if is_unique_violation(exc):
            return _error_response(409, "conflict", "数据已存在或已被修改", detail_en="Conflict")
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error_response(
            500, "internal_error", "服务器内部错误，请稍后重试", detail_en="Internal server error"
        )
