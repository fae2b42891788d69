"""Shared pieces of the engine tests: stores, a failing embedder, realistic eval postings."""

import json
import os
import re
import uuid
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from matching.documents import normalise_field
from matching.embedders import HashEmbedder
from service.engine import vectors
from service.engine.documents import KINDS
from service.kit.migrate import upgrade_head
from service.models import Capability, Need, User
from tests.factories import create_capability, create_need

EVAL = Path(__file__).resolve().parents[2] / "eval"


class PoisonEmbedder(HashEmbedder):
    """A real embedder that raises on any text containing `poison` (a model failing on input)."""

    def __init__(self, poison: str = "☠", dim: int = 64) -> None:
        super().__init__(dim=dim)
        self.poison = poison

    def _check(self, texts: Sequence[str]) -> None:
        bad = [t for t in texts if self.poison in t]
        if bad:
            raise RuntimeError(f"cannot encode {len(bad)} text(s)")

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self._check(texts)
        return super().encode_queries(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self._check(texts)
        return super().encode_documents(texts)


@lru_cache
def eval_rows(name: str) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in (EVAL / name).read_text(encoding="utf-8").splitlines()]
    return {r["id"]: r for r in rows if r}


def eval_need(session: Session, owner: User, key: str, **kw: Any) -> Need:
    row = eval_rows("needs.jsonl")[key]
    values: dict[str, Any] = {
        "title": row["title"][:100],
        "problem": row["problem"],
        "key_difficulty": row["key_difficulty"],
        "expected_goal": row["expected_goal"],
        "field_code": normalise_field(row["field"]),
        "keywords": row.get("keywords", [])[:5],
        "indicators": row.get("indicators", []),
    }
    values.update(kw)
    return create_need(session, owner, **values)


def eval_capability(session: Session, owner: User, key: str, **kw: Any) -> Capability:
    row = eval_rows("capabilities.jsonl")[key]
    values: dict[str, Any] = {
        "title": row["title"][:100],
        "description": row["description"],
        "field_code": normalise_field(row["field"]),
        "keywords": row.get("keywords", [])[:5],
        "indicators": row.get("indicators", []),
    }
    values.update(kw)
    return create_capability(session, owner, **values)


def embed_all(session: Session, embedder: Any) -> None:
    """Embed every posting in the test transaction (what the worker does after a commit)."""
    from service.engine import repository

    for kind in KINDS:
        vectors.embed_postings(session, kind, repository.all_ids(session, kind), embedder)


def committed_database_url(tmp_path: Path, name: str) -> Iterator[str]:
    """A fresh, migrated database whose commits are real (the worker reads them from its own
    connections): a temp SQLite file, or a new database on the test PostgreSQL server."""
    base = os.environ.get("JIEBANG_TEST_DATABASE_URL")
    if not base:
        url = f"sqlite:///{tmp_path / f'{name}.db'}"
        upgrade_head(url)
        yield url
        return
    admin_url = make_url(base)
    db_name = f"{admin_url.database}_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    url = admin_url.set(database=db_name).render_as_string(hide_password=False)
    upgrade_head(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()


def use_committed_database(tmp_path: Path, name: str) -> Iterator[str]:
    """`committed_database_url`, made the service's own database (JIEBANG_DATABASE_URL): what
    opens sessions by itself (the job queue's thread, a tick) reads and writes it."""
    from service.config import get_settings
    from service.kit import db

    mp = pytest.MonkeyPatch()
    for url in committed_database_url(tmp_path, name):
        mp.setenv("JIEBANG_DATABASE_URL", url)
        mp.setenv("JIEBANG_VAR_DIR", str(tmp_path / "var"))
        caches = (get_settings, db.get_engine, db.get_sessionmaker)
        for cached in caches:
            cached.cache_clear()
        try:
            yield url
        finally:
            db.get_engine().dispose()
            mp.undo()
            for cached in caches:
                cached.cache_clear()


_DECIMAL = re.compile(r"\d\.\d")  # outside a requirement line, a decimal is a raw similarity
_INTERNAL = re.compile(r"\de-\d|[a-z]+_[a-z]+")  # 1e-06, snake_case names
_CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_readable(reasons: Sequence[str]) -> None:
    """Reason lines are Chinese sentences with no raw similarity, exponent or internal string."""
    assert reasons
    for line in reasons:
        assert _CJK.search(line), line
        assert not _INTERNAL.search(line), line
        assert "要求" in line or not _DECIMAL.search(line), line
        assert "语义相似度" not in line and "演示数据" not in line and "未计算" not in line, line
