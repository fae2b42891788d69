"""`jiebang reindex`: embeds what is missing or stale, resumes, rebuilds and saves the index."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from matching.generations import read_pointer
from service.engine.reindex import reindex
from service.engine.repository import failures
from service.engine.store import IndexStore
from service.kit.db import make_engine
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
    assert any("成果 [" in line and "3/3" in line for line in lines)
    assert (counts["indexed_needs"], counts["indexed_capabilities"]) == (1, 3)
    meta = read_pointer(tmp_path / "index" / "capability")
    assert meta is not None and (meta.model_id, meta.count) == (embedder.model_id, 3)

    again = reindex(sm, embedder, IndexStore(embedder, tmp_path / "index"), lines.append)
    assert (again["embedded"], again["current"], again["failed"]) == (0, 4, 1)  # skips current
    with Session(committed_engine) as s:
        [failure] = failures(s)
        assert failure.attempts == 2
