"""Security headers on every HTTP response: the web app's Content-Security-Policy (only our
own scripts, no framing), nosniff, no referrer. The API docs pages load Swagger UI / ReDoc
from their CDN with an inline script, so they get a policy of their own."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_PREFIXES = ("/docs", "/redoc")

_COMMON = {
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Vue, Element Plus and ECharts run from /assets without eval or inline code; the styles they
# set from script go through CSSOM, which style-src does not restrict (checked in Chromium by
# tests/e2e, which fail on any console error, CSP violations included).
APP_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    **_COMMON,
}
_CDN = "https://cdn.jsdelivr.net"
DOCS_POLICY = {
    "default-src": "'self'",
    "script-src": f"'self' 'unsafe-inline' {_CDN}",
    "style-src": f"'self' 'unsafe-inline' {_CDN} https://fonts.googleapis.com",
    "font-src": "'self' data: https://fonts.gstatic.com",
    "img-src": "'self' data: https:",
    "worker-src": "'self' blob:",
    "connect-src": "'self'",
    **_COMMON,
}


def _policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


FIXED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeaders:
    """Pure ASGI middleware (no response buffering, streaming stays streaming)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.app_policy = _policy(APP_POLICY)
        self.docs_policy = _policy(DOCS_POLICY)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope["path"]).startswith(DOCS_PREFIXES)
        policy = self.docs_policy if docs else self.app_policy

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                for name, value in FIXED.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
