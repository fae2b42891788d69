"""Two routers. `router` (/api/v1/api-keys, signed in): organisations make, list and revoke
their keys and read their usage; admins see every key. `open_router` (/api/open/v1): the open
data API, authenticated by an API key in the X-Api-Key header instead of a session, and
mounted apart from /api/v1 (service/app.py), so the signed-in check never applies to it and
no route of it answers without a key (tests/service/opendata/test_open_routes.py)."""

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from service.kit import errors as e
from service.kit.db import SessionDep, get_session, primary_reads
from service.kit.routes import GUARDED_ERRORS, Resource, create_route, list_route, route
from service.opendata import service, throttle
from service.opendata.cursors import InvalidCursor
from service.opendata.lifecycle import API_KEY_MACHINE
from service.opendata.schemas import (
    UPDATED_SINCE,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    ApiKeyUsageRead,
    CursorPage,
    OpenCapability,
    OpenFieldStats,
    OpenList,
    OpenNeed,
    OpenRemovedList,
    OpenResult,
    RemovedPosting,
    aware,
)

# ---- key management (signed in) ---------------------------------------------------------

router = APIRouter(prefix="/api-keys", tags=["开放接口密钥 api-keys"])
item = Resource(router, "/{key_id}", "api_key", ApiKeyRead, service.get_key)

list_route(
    router, "", ApiKeyRead, service.list_keys, name="list_api_keys", errors=GUARDED_ERRORS,
    summary="开放接口密钥列表（本单位的；管理员看全部）及用量",
)  # fmt: skip
create_route(
    router, "", ApiKeyCreated, service.create_key, ApiKeyCreate, name="create_api_key",
    summary="创建开放接口密钥（企业用户、科研人员；完整密钥只返回这一次）",
    errors=e.responses(e.NotAuthenticated, e.Forbidden, e.Conflict),
)  # fmt: skip
item.detail("开放接口密钥详情", GUARDED_ERRORS)
route(
    router, "GET", "/{key_id}/usage", service.usage, ApiKeyUsageRead, name="api_key_usage",
    summary="密钥近 30 天每日用量（本单位人员和管理员）", errors=GUARDED_ERRORS,
)  # fmt: skip


item.actions(API_KEY_MACHINE, service.transition)


# ---- the open data API (an API key per request) -----------------------------------------

_key_header = APIKeyHeader(
    name=throttle.HEADER,
    auto_error=False,
    scheme_name="ApiKey",
    description="开放接口密钥：登录平台后在「开放接口」页面创建",
)


def open_key(session: SessionDep, secret: Annotated[str | None, Depends(_key_header)]) -> None:
    """Authenticate the key and count the request. The count is committed here, before the
    answer, so a 429 keeps it (a raised error rolls the request's transaction back) and the
    read that follows does not hold the write lock."""
    if not secret:
        raise throttle.missing()
    refusal = throttle.admit(session, secret.strip())
    session.commit()
    if refusal is not None:
        raise refusal


open_router = APIRouter(
    prefix="/api/open/v1",
    tags=["开放数据 open data"],
    # the key check counts the request (a write): these reads use the primary, not a replica
    dependencies=[Depends(primary_reads), Depends(open_key)],
    responses=e.responses(throttle.ApiKeyRefused, throttle.RateLimited),
)

_LIST_ERRORS = e.responses(InvalidCursor)
_EXPORT_LINES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/x-ndjson": {
                "example": (
                    '{"type": "meta", "data": {"generated_at": "2026-12-02T08:00:00+00:00", '
                    '"updated_since": null, "kinds": ["needs"]}}\n'
                    '{"type": "need", "data": {"id": 42, '
                    '"title": "五轴联动数控机床主轴热变形补偿", "…": "…"}}\n'
                )
            }
        },
        "description": "JSON Lines：首行 meta，其后每行一条 need / capability / result",
    }
}


_LIST_DESCRIPTION = (
    "按 (updated_at, id) 升序。把返回的 next_cursor 原样作为 cursor 传回即得下一页；"
    "分页之间新增或修改的条目排在后面，不会造成重复或遗漏。增量同步：记下上次同步开始的"
    "时刻，下次以 updated_since 传入。"
)


def _postings(kind: str) -> Callable[[Session, OpenList], Any]:
    return lambda session, q: service.postings_page(
        session, kind, q.cursor, q.since(), q.field, q.limit
    )


def _posting(kind: str) -> Callable[[Session, int], Any]:
    return lambda session, posting_id: service.posting(session, kind, posting_id)


route(
    open_router, "GET", "/needs", _postings("needs"), CursorPage[OpenNeed], name="open_needs",
    summary="公开需求（游标分页，按更新时间增量同步）", errors=_LIST_ERRORS, user=None,
    description="揭榜中及以后、可见范围为「公开」的需求，" + _LIST_DESCRIPTION, filters=OpenList,
)  # fmt: skip
route(
    open_router, "GET", "/needs/{need_id}", _posting("needs"), OpenNeed, name="open_need",
    summary="公开需求详情", errors=e.responses(e.NotFound), user=None,
)  # fmt: skip
route(
    open_router, "GET", "/capabilities", _postings("capabilities"), CursorPage[OpenCapability],
    name="open_capabilities", summary="已发布成果（游标分页，按更新时间增量同步）",
    errors=_LIST_ERRORS, user=None, description="已发布的成果，" + _LIST_DESCRIPTION,
    filters=OpenList,
)  # fmt: skip
route(
    open_router, "GET", "/capabilities/{capability_id}", _posting("capabilities"),
    OpenCapability, name="open_capability", summary="已发布成果详情",
    errors=e.responses(e.NotFound), user=None,
)  # fmt: skip
route(
    open_router, "GET", "/results",
    lambda session, q: service.results_page(session, q.cursor, q.since(), q.field, q.limit),
    CursorPage[OpenResult], name="open_results", errors=_LIST_ERRORS, user=None,
    summary="揭榜结果：已授榜的公开需求（游标分页）", filters=OpenList,
)  # fmt: skip
route(
    open_router, "GET", "/fields/stats", service.field_stats, OpenFieldStats,
    name="open_field_stats", summary="各领域统计：公开需求、悬赏、成果、授榜", user=None,
)  # fmt: skip
route(
    open_router, "GET", "/removed",
    lambda session, q: service.removed_page(session, q.kind.value, q.cursor, q.since(), q.limit),
    CursorPage[RemovedPosting], name="open_removed", errors=_LIST_ERRORS, user=None,
    summary="已下架的需求或成果（曾公开、现已撤回、终止、过期或归档；同步方据此删除）",
    description=(
        "增量同步时与列表一起调用：返回 updated_since 之后离开开放数据的需求（kind=needs）"
        "或成果（kind=capabilities）的编号，游标分页同列表。"
    ),
    filters=OpenRemovedList,
)  # fmt: skip


class ExportKind(StrEnum):
    needs = "needs"
    capabilities = "capabilities"
    results = "results"


# The export streams after the endpoint returns: its session (request scope) stays open
# until the last line is sent; the key check's session (SessionDep) has committed by then.
StreamSession = Annotated[Session, Depends(get_session)]


@open_router.get(
    "/export.jsonl",
    response_class=StreamingResponse,
    responses=_EXPORT_LINES | e.responses(e.BadRequest),
    summary="公开数据批量导出（JSON Lines，流式）",
)
def open_export(
    session: StreamSession,
    updated_since: Annotated[datetime | None, Query(description=UPDATED_SINCE)] = None,
    kind: Annotated[
        list[ExportKind] | None,
        Query(description="导出哪些：needs、capabilities、results（可多选，默认全部）"),
    ] = None,
) -> StreamingResponse:
    kinds = [k.value for k in (kind or list(ExportKind))]
    lines = service.export_lines(session, aware(updated_since), kinds)
    return StreamingResponse(
        lines,
        media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="jiebang-open-data.jsonl"'},
    )
