"""A worker process (`uvicorn service.asgi:app`) runs FAISS and the embedding model on one
OpenMP thread each unless the deployment says otherwise: with a thread per core, a single
query's parallel regions wait for cores the other workers hold (matching/BENCHMARKS.md §12)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = (
    "import service.asgi, os, faiss; "
    "print(os.environ['OMP_NUM_THREADS'], faiss.omp_get_max_threads())"
)


def _probe(tmp_path: Path, **env: str) -> list[str]:
    base = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    base |= {
        "PYTHONPATH": str(ROOT),
        "JIEBANG_VAR_DIR": str(tmp_path),
        "JIEBANG_DATABASE_URL": f"sqlite:///{tmp_path / 'threads.db'}",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=base | env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return out.stdout.split()


def test_a_worker_process_runs_one_openmp_thread(tmp_path: Path) -> None:
    assert _probe(tmp_path) == ["1", "1"]


def test_a_deployment_s_own_thread_count_is_kept(tmp_path: Path) -> None:
    assert _probe(tmp_path, OMP_NUM_THREADS="3") == ["3", "3"]
