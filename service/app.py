"""create_app(): routers, error handlers, and the web app at / when it has been built."""

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from service.applications.endpoints import router as applications_router
from service.audit.endpoints import router as audit_router
from service.auth.endpoints import router as auth_router
from service.capabilities.endpoints import router as capabilities_router
from service.engine.endpoints import router as engine_router
from service.engine.runtime import lifespan as engine_lifespan
from service.fields.endpoints import router as fields_router
from service.kit.errors import install_handlers
from service.needs.endpoints import router as needs_router
from service.orgs.endpoints import router as orgs_router
from service.users.endpoints import router as users_router

FRONTEND_DIST = Path(__file__).resolve().parents[1] / "frontend" / "dist"


def create_app() -> FastAPI:
    app = FastAPI(
        title="揭榜 Jiebang API",
        description=(
            '技术需求与科技成果双向匹配平台。所有错误返回 {"error": code, "detail": message}。'
        ),
        version="0.1.0",
        lifespan=engine_lifespan,
    )
    install_handlers(app)
    api = APIRouter(prefix="/api/v1")
    for router in (
        auth_router,
        users_router,
        orgs_router,
        fields_router,
        needs_router,
        capabilities_router,
        applications_router,
        audit_router,
        engine_router,
    ):
        api.include_router(router)
    app.include_router(api)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    _mount_frontend(app)
    return app


def _mount_frontend(app: FastAPI) -> None:
    """Serve the built single-page app at / (history-mode routes fall back to index.html)."""
    index = FRONTEND_DIST / "index.html"
    if not index.exists():
        return
    app.mount("/assets", StaticFiles(directory=FRONTEND_DIST / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> FileResponse:
        candidate = (FRONTEND_DIST / path).resolve()
        if path and candidate.is_file() and FRONTEND_DIST in candidate.parents:
            return FileResponse(candidate)
        return FileResponse(index)
