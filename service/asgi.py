"""ASGI entry point for uvicorn workers: `uvicorn service.asgi:app`."""

import os

# One OpenMP thread per worker process, set before FAISS and the embedding model load their
# OpenMP runtimes (each reads it once, at load). A request encodes one query and searches
# one vector: with a thread per core, every parallel region waits for the other core, which
# the other worker, PostgreSQL and the background jobs hold. Measured at 100k, load 2–3 on
# 2 cores: a query's embedding p50 97 ms / p99 1.3 s with the default (2 threads), 43 / 76 ms
# with one; the vectors are bit for bit the same (matching/BENCHMARKS.md §12). A deployment
# that sets OMP_NUM_THREADS keeps its value; bulk jobs (`jiebang reindex`) are not workers.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from service.app import create_app  # noqa: E402
from service.config import get_settings  # noqa: E402

# The served app runs the in-app deadline tick unless JIEBANG_SCHEDULER_ENABLED=false.
app = create_app(scheduler=get_settings().scheduler_enabled)
