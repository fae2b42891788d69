"""HTTP plumbing of the app: compression and caching of the built web app."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import FRONTEND_DIST


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
