"""HTTP plumbing of the app: compression, caching of the built web app, security headers,
the API docs setting."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import FRONTEND_DIST, create_app
from service.config import get_settings


def test_large_api_responses_are_gzip_compressed(client: TestClient) -> None:
    response = client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "paths" in response.json()  # httpx decompresses transparently


def test_small_responses_stay_uncompressed(client: TestClient) -> None:
    response = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.content  # a real, small answer
    assert "content-encoding" not in response.headers


@pytest.mark.skipif(
    not (FRONTEND_DIST / "index.html").exists(), reason="web app not built (make test builds it)"
)
def test_hashed_assets_are_cached_for_a_year_and_index_revalidates(client: TestClient) -> None:
    asset = next(Path(FRONTEND_DIST / "assets").glob("*.js"))
    response = client.get(f"/assets/{asset.name}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    page = client.get("/needs/1")  # a history-mode route falls back to index.html
    assert page.status_code == 200 and "<div id=" in page.text
    assert page.headers["cache-control"] == "no-cache"
    assert client.get("/assets/missing.js").status_code == 404
    unknown = client.get("/api/v1/no-such-thing")
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_endpoint"


@pytest.mark.parametrize("path", ["/", "/needs/1", "/api/v1/needs", "/api/v1/no-such-thing"])
def test_pages_and_api_answers_carry_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    policy = headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


def test_the_docs_page_may_load_swagger_ui_from_its_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "cdn.jsdelivr.net" in page.text
    policy = page.headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in policy and "frame-ancestors 'none'" in policy


@pytest.fixture
def docs_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JIEBANG_DOCS_ENABLED", "false")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.usefixtures("docs_off")
def test_docs_and_schema_can_be_turned_off_for_production() -> None:
    with TestClient(create_app()) as off:
        for path in ("/docs", "/redoc", "/openapi.json"):
            response = off.get(path)
            assert response.status_code == 404, path
            assert "swagger" not in response.text.lower() and '"paths"' not in response.text
        assert off.get("/healthz").status_code == 200  # the app itself still answers
