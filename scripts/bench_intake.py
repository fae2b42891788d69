"""Time a 10,000-row intake through the real app: build the xlsx, check it (dry run),
download the marked report, then import step by step as the web page does.

    python scripts/bench_intake.py [--rows 10000] [--database-url URL]

Without --database-url it runs on a fresh SQLite file built from the migrations.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    os.environ["JIEBANG_DATABASE_URL"] = url
    os.environ.setdefault("JIEBANG_ENGINE_BACKGROUND", "0")
    sys.path.insert(0, str(ROOT))

    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.kit.db import get_sessionmaker
    from service.kit.migrate import upgrade_head
    from service.models.enums import Role
    from tests.factories import auth, create_user
    from tests.service.intake.sheets import need_row, xlsx

    upgrade_head(url)
    with get_sessionmaker()() as session:
        user = create_user(session, Role.enterprise, username=f"bench{time.time_ns()}")
        session.commit()

    def headers() -> dict[str, str]:  # a fresh token each call: the run outlasts one
        return auth(user)

    started = time.perf_counter()
    content = xlsx([need_row(f"B-{i:05d}") for i in range(args.rows)])
    print(f"xlsx of {args.rows} rows: {len(content) / 2**20:.1f} MB, {_since(started)}")
    with TestClient(create_app()) as client:
        started = time.perf_counter()
        files = {"file": ("bench.xlsx", content, "application/octet-stream")}
        r = client.post("/api/v1/intake/needs/check", files=files, headers=headers())
        r.raise_for_status()
        batch = r.json()
        print(f"check: {batch['valid_rows']} valid of {batch['total_rows']}, {_since(started)}")
        started = time.perf_counter()
        r = client.get(f"/api/v1/intake/batches/{batch['id']}/report.xlsx", headers=headers())
        r.raise_for_status()
        print(f"marked report: {len(r.content) / 2**20:.1f} MB, {_since(started)}")
        started = time.perf_counter()
        steps, slowest = 0, 0.0
        while batch["status"] != "imported":
            step = time.perf_counter()
            r = client.post(f"/api/v1/intake/batches/{batch['id']}/import", headers=headers())
            r.raise_for_status()
            batch = r.json()
            steps, slowest = steps + 1, max(slowest, time.perf_counter() - step)
        print(
            f"import: {batch['created']} created in {steps} steps, {_since(started)} "
            f"(slowest step {slowest:.2f} s)"
        )
    return 0


def _since(started: float) -> str:
    """Wall time, and this process's CPU time since the last call (a fairer figure on a
    shared, loaded machine)."""
    global _cpu
    cpu, _cpu = time.process_time() - _cpu, time.process_time()
    return f"{time.perf_counter() - started:.1f} s wall, {cpu:.1f} s CPU"


_cpu = time.process_time()


if __name__ == "__main__":
    raise SystemExit(main())
