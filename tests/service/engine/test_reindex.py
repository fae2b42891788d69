"""`jiebang reindex`: embeds what is missing or stale in length-bucketed batches, written
beside the model; resumes after a kill without embedding anything twice; rebuilds and saves
the index."""

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from matching.embedders import HashEmbedder, load_embedder
from matching.generations import read_pointer
from service.engine.reindex import reindex
from service.engine.repository import failures
from service.engine.store import IndexStore
from service.kit.db import make_engine
from service.models import KeywordDoc, PostingVector
from service.models.enums import OrgKind, Role
from tests.factories import create_org, create_user
from tests.service.engine_support import (
    PoisonEmbedder,
    committed_database_url,
    eval_capability,
    eval_need,
)


@pytest.fixture
def committed_engine(tmp_path: Path) -> Iterator[Engine]:
    for url in committed_database_url(tmp_path, "reindex"):
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_reindex_is_resumable_and_saves_the_index(committed_engine: Engine, tmp_path: Path) -> None:
    sm = sessionmaker(bind=committed_engine, expire_on_commit=False)
    with sm() as s:
        enterprise = create_user(s, Role.enterprise)
        lab = create_user(s, Role.researcher, org=create_org(s, OrgKind.university))
        eval_need(s, enterprise, "N001")
        eval_need(s, enterprise, "N002", title="无法编码☠的需求")
        for key in ("C189", "C044", "C144"):
            eval_capability(s, lab, key)
        s.commit()
    embedder = PoisonEmbedder("☠")
    lines: list[str] = []
    counts = reindex(sm, embedder, IndexStore(embedder, tmp_path / "index"), lines.append)
    assert (counts["embedded"], counts["failed"], counts["current"]) == (4, 1, 0)
    progress = [line for line in lines if "[" in line]
    assert "5/5" in progress[-1] and "条/秒" in progress[-1] and "剩余约" in progress[-1]
    assert (counts["indexed_needs"], counts["indexed_capabilities"]) == (1, 3)
    meta = read_pointer(tmp_path / "index" / "capability")
    assert meta is not None and (meta.model_id, meta.count) == (embedder.model_id, 3)

    again = reindex(sm, embedder, IndexStore(embedder, tmp_path / "index"), lines.append)
    assert (again["embedded"], again["current"], again["failed"]) == (0, 4, 1)  # skips current
    with Session(committed_engine) as s:
        [failure] = failures(s)
        assert failure.attempts == 2


class RecordingEmbedder(HashEmbedder):
    """A real embedder that records the texts of each model call."""

    def __init__(self) -> None:
        super().__init__(dim=64)
        self.calls: list[list[str]] = []

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return super().encode_documents(texts)


def _lab(s: Session) -> None:
    enterprise = create_user(s, Role.enterprise)
    lab = create_user(s, Role.researcher, org=create_org(s, OrgKind.university))
    for key in ("N001", "N002"):
        eval_need(s, enterprise, key)
    for key in ("C189", "C044", "C144", "C001", "C002", "C003", "C004", "C005"):
        eval_capability(s, lab, key)
    s.commit()


def test_batches_hold_texts_of_about_the_same_length(
    committed_engine: Engine, tmp_path: Path
) -> None:
    sm = sessionmaker(bind=committed_engine, expire_on_commit=False)
    with sm() as s:
        _lab(s)
    embedder = RecordingEmbedder()
    counts = reindex(sm, embedder, IndexStore(embedder, tmp_path / "index"), print, batch=3)
    assert counts["embedded"] == 10
    # the needs' second views (as passages), then the capabilities' vectors
    lengths = [sorted(len(t) for t in call) for call in embedder.calls]
    assert [len(call) for call in lengths] == [2, 3, 3, 2]
    lengths = lengths[1:]  # the capabilities
    for shorter, longer in zip(lengths, lengths[1:], strict=False):
        assert shorter[-1] <= longer[0]  # shortest first, no batch mixes short and long


_KILLED = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from sqlalchemy.orm import sessionmaker
    from matching.embedders import load_embedder
    from service.engine.reindex import reindex
    from service.engine.store import IndexStore
    from service.kit.db import make_engine

    shown = []

    def echo(line):
        print(line, flush=True)
        if "[" in line:  # a progress line: a batch was committed
            shown.append(line)
        if len(shown) == 2:  # the model is on a later batch meanwhile
            os.kill(os.getpid(), signal.SIGKILL)

    sessions = sessionmaker(bind=make_engine(sys.argv[1]), expire_on_commit=False)
    embedder = load_embedder("hash")
    reindex(sessions, embedder, IndexStore(embedder, Path(sys.argv[2])), echo, batch=2)
    """
)


def test_a_killed_reindex_resumes_without_embedding_anything_twice(
    committed_engine: Engine, tmp_path: Path
) -> None:
    sm = sessionmaker(bind=committed_engine, expire_on_commit=False)
    with sm() as s:
        _lab(s)
    url = committed_engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    run = subprocess.run(
        [sys.executable, "-c", _KILLED, url, str(tmp_path / "index")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == -9, run.stderr  # killed mid-run
    assert "2/10" in run.stdout and "10/10" not in run.stdout

    def held() -> tuple[int, int]:
        with sm() as s:
            return (
                s.scalar(select(func.count()).select_from(PostingVector)) or 0,
                s.scalar(select(func.count()).select_from(KeywordDoc)) or 0,
            )

    vectors_kept, keywords_kept = held()
    assert (vectors_kept, keywords_kept) == (4, 4)  # the two batches committed, and only them
    embedder = load_embedder("hash")
    lines: list[str] = []
    again = reindex(sm, embedder, IndexStore(embedder, tmp_path / "index"), lines.append)
    # the rest, and only the rest, is embedded; nothing is lost
    assert again["embedded"] == 10 - vectors_kept and again["current"] == vectors_kept
    assert held() == (10, 10)
    assert (again["indexed_needs"], again["indexed_capabilities"]) == (2, 8)
    assert any(f"待嵌入 {10 - vectors_kept} 条" in line for line in lines)
