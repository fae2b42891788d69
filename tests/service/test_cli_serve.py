"""`jiebang serve` on an empty database serves an empty marketplace: no demo accounts.
(`jiebang serve --demo`, what `make run` runs, is what the browser tests start.)"""

import sys
from pathlib import Path

import httpx

from service.demo.seed import DEMO_PASSWORD
from tests.service.engine_support import committed_database_url
from tests.service.live_server import running

SERVE = [sys.executable, "-m", "service.cli", "serve", "--port", "{port}"]


def test_serve_alone_loads_no_demo_data(tmp_path: Path) -> None:
    for url in committed_database_url(tmp_path, "serve"):
        with running(url, tmp_path, command=SERVE) as server:
            assert httpx.get(f"{server.base}/api/v1/needs").json()["total"] == 0
            data = {"username": "admin", "password": DEMO_PASSWORD}
            assert httpx.post(f"{server.base}/api/v1/auth/token", data=data).status_code == 401
            assert "jiebang create-admin" in server.log.read_text()
