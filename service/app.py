"""create_app(): routers, error handlers, and the web app at / when it has been built."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from service.applications import endpoints as applications
from service.audit import endpoints as audit
from service.auth import endpoints as auth
from service.auth.deps import SIGNED_IN
from service.capabilities import endpoints as capabilities
from service.config import get_settings
from service.duplicates import endpoints as duplicates
from service.engine import endpoints as engine
from service.engine.runtime import lifespan as engine_lifespan
from service.exports import endpoints as exports
from service.fields import endpoints as fields
from service.intake import endpoints as intake
from service.kit.db import RecentWriter
from service.kit.errors import NotFound, install_handlers
from service.kit.headers import SecurityHeaders
from service.kit.jobs import running as jobs_running
from service.kit.openapi import install_openapi
from service.matches import endpoints as matches
from service.milestones import endpoints as milestones
from service.needs import endpoints as needs
from service.notifications import endpoints as notifications
from service.opendata import endpoints as opendata
from service.orgs import endpoints as orgs
from service.reviews import endpoints as reviews
from service.stats import endpoints as stats
from service.subscriptions import endpoints as subscriptions
from service.users import endpoints as users

# Each domain's `router` requires a signed-in caller; a route answers the public only when it
# is declared on the domain's `public` router (tests/service/auth/test_public_routes.py).
DOMAINS = (
    auth,
    users,
    orgs,
    fields,
    needs,
    capabilities,
    applications,
    audit,
    matches,
    stats,
    exports,
    milestones,
    notifications,
    reviews,
    engine,
    intake,
    duplicates,
    opendata,
    subscriptions,
)

FRONTEND_DIST = Path(__file__).resolve().parents[1] / "frontend" / "dist"


def create_app(*, scheduler: bool = False) -> FastAPI:
    """The API; `scheduler=True` (the served app, see asgi.py) also runs the deadline tick."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from service.tick.scheduler import start_default

        # One lifespan for the background work: the job queue's thread (committed jobs: the
        # engine's embedding hand-over, mail), the engine worker consuming its topic, and the
        # tick on the same queue.
        async with jobs_running():
            runner = start_default() if scheduler else None
            try:
                async with engine_lifespan(app):
                    yield
            finally:
                if runner is not None:
                    runner.stop()

    docs = get_settings().docs_enabled
    app = FastAPI(
        lifespan=lifespan,
        title="揭榜 Jiebang API",
        description=(
            "技术需求与科技成果双向匹配平台。所有错误返回 "
            '{"error": code, "detail": message, "detail_en": …, "fields": [...]}（fields 仅 422）。'
        ),
        version="0.1.0",
        # JIEBANG_DOCS_ENABLED=false hides the API docs and the schema (production).
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    install_handlers(app)
    install_openapi(app)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RecentWriter)  # read-your-writes with a read replica (kit/db.py)
    api = APIRouter(prefix="/api/v1")
    for domain in DOMAINS:
        public: APIRouter | None = getattr(domain, "public", None)
        if public is not None:
            api.include_router(public)
        api.include_router(domain.router, dependencies=[SIGNED_IN])
    app.include_router(api)
    # The open data API answers API keys, not sessions: apart from /api/v1 and its
    # signed-in check (service/opendata/endpoints.py).
    app.include_router(opendata.open_router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    _mount_frontend(app)
    return app


class _HashedAssets(StaticFiles):
    """Vite puts a content hash in every asset's name, so browsers may keep them for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


_DOCS_PATHS = ("docs", "redoc", "openapi.json")


def _mount_frontend(app: FastAPI) -> None:
    """Serve the built single-page app at / (history-mode routes fall back to index.html)."""
    index = FRONTEND_DIST / "index.html"
    if not index.exists():
        return
    app.mount("/assets", _HashedAssets(directory=FRONTEND_DIST / "assets"), name="assets")
    revalidate = {"Cache-Control": "no-cache"}  # index.html names the current asset hashes

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> FileResponse:
        # An unknown API path (or the docs, when turned off) is not a page.
        if path == "api" or path.startswith("api/") or path in _DOCS_PATHS:
            raise NotFound("接口不存在", f"No API endpoint /{path}", code="unknown_endpoint")
        candidate = (FRONTEND_DIST / path).resolve()
        if path and candidate.is_file() and FRONTEND_DIST in candidate.parents:
            return FileResponse(candidate, headers=revalidate)
        return FileResponse(index, headers=revalidate)
