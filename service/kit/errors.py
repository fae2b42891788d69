"""One error base class, one handler, one response shape: {"error": code, "detail": message}."""

from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException


class ErrorBody(BaseModel):
    error: str
    detail: str
    detail_en: str | None = None
    fields: list[dict[str, Any]] | None = None


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


class Forbidden(JiebangError):
    status_code = 403
    code = "forbidden"


class NotFound(JiebangError):
    status_code = 404
    code = "not_found"


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


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


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


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(JiebangError)
    async def _jiebang(_: Request, exc: JiebangError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error_response(
                400, "malformed_json", "请求体不是合法的 JSON", detail_en="Malformed JSON body"
            )
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
        codes = {
            404: ("not_found", "资源不存在"),
            405: ("method_not_allowed", "不支持该请求方法"),
            401: ("not_authenticated", "请先登录"),
        }
        code, zh = codes.get(exc.status_code, ("http_error", str(exc.detail)))
        return _error_response(exc.status_code, code, zh, detail_en=str(exc.detail))
