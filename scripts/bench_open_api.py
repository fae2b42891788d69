"""Measure the open data API on a fresh SQLite database: N public needs, then the time of a
full cursor walk (200 a page) and of the JSON Lines export, and the export's peak Python
memory (tracemalloc), which stays flat as N grows because the export is streamed in batches.

    PYTHONPATH=. python scripts/bench_open_api.py [N]
"""

import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(n: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-open-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    os.environ.update(
        JIEBANG_DATABASE_URL=url, JIEBANG_VAR_DIR=str(tmp), JIEBANG_ENGINE_BACKGROUND="0"
    )
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from service.app import create_app
    from service.kit.db import make_engine
    from service.kit.migrate import upgrade_head
    from service.models.enums import Role
    from tests.factories import auth, create_need, create_user

    upgrade_head(url)
    engine = make_engine(url)
    with Session(engine) as session:
        owner = create_user(session, Role.enterprise)
        for i in range(n):
            create_need(session, owner, title=f"公开需求第{i}号：动力电池热管理")
        session.commit()
        headers = auth(owner)
    with TestClient(create_app()) as client:
        secret = client.post(
            "/api/v1/api-keys", json={"name": "测量", "rate_limit_per_minute": 600}, headers=headers
        ).json()["secret"]
        key = {"X-Api-Key": secret}
        started, seen, cursor, pages = time.perf_counter(), 0, None, 0
        while True:
            params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
            page = client.get("/api/open/v1/needs", params=params, headers=key).json()
            seen, pages = seen + len(page["items"]), pages + 1
            if not page["has_more"]:
                break
            cursor = page["next_cursor"]
        walk = time.perf_counter() - started
        tracemalloc.start()
        started, lines, size = time.perf_counter(), 0, 0
        with client.stream(
            "GET", "/api/open/v1/export.jsonl", params={"kind": "needs"}, headers=key
        ) as r:
            for line in r.iter_lines():
                lines, size = lines + 1, size + len(line.encode())
        export = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(f"{n} needs: cursor walk {pages} pages in {walk:.1f} s ({seen / walk:.0f} needs/s)")
    print(
        f"export {lines - 1} lines, {size / 1e6:.1f} MB in {export:.1f} s; "
        f"peak Python memory during the export {peak / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
