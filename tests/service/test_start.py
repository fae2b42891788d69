"""What a worker process (`uvicorn service.asgi:app`) does before it serves: nothing the
serving path does not need. Imports and `create_app` are most of a restart that maps its
vector generation (matching/BENCHMARKS.md §16): scipy (for fitting ranking models only)
was ~0.4 s of it and an argon2 hash made at import (the unknown-user dummy) ~0.2 s."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys
import argon2
hashed = []
real = argon2.PasswordHasher.hash
argon2.PasswordHasher.hash = lambda self, *a, **k: hashed.append(1) or real(self, *a, **k)
import service.asgi
print(sorted(m for m in ("scipy", "sklearn", "torch") if m in sys.modules), len(hashed))
"""


def test_a_worker_imports_no_fitting_library_and_hashes_nothing_at_start(tmp_path: Path) -> None:
    env = os.environ | {
        "PYTHONPATH": str(ROOT),
        "JIEBANG_VAR_DIR": str(tmp_path),
        "JIEBANG_DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.split("\n")[-2] == "[] 0"
