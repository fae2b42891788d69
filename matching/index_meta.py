"""Index metadata sidecar and atomic file writes, shared by every index backend."""

from __future__ import annotations

import json
import os
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT_VERSION",
    "IndexMeta",
    "StaleIndexError",
    "Watermark",
    "file_crc",
    "meta_path",
    "read_meta",
    "write_json",
]

FORMAT_VERSION = 1
Watermark = str | int | None


class StaleIndexError(Exception):
    """The saved index is missing, corrupt, or built for another model or dimension."""


@dataclass(frozen=True)
class IndexMeta:
    """The JSON sidecar written next to every saved index."""

    kind: str
    model_id: str
    dim: int
    count: int
    watermark: Watermark
    created_at: str
    format_version: int = FORMAT_VERSION
    index_bytes: int = 0
    crc32: int = 0
    params: dict[str, int] = field(default_factory=dict)


def meta_path(path: str | Path) -> Path:
    """The metadata sidecar of an index file: ``<path>.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def read_meta(path: str | Path) -> IndexMeta:
    """Read and validate the sidecar; :class:`StaleIndexError` when absent or unreadable."""
    try:
        raw = json.loads(meta_path(path).read_text(encoding="utf-8"))
        meta = IndexMeta(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise StaleIndexError(f"index metadata unreadable: {exc}") from exc
    if meta.format_version != FORMAT_VERSION:
        raise StaleIndexError(f"unsupported index format {meta.kind}/{meta.format_version}")
    return meta


def file_crc(path: Path) -> tuple[int, int]:
    crc, size = 0, 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)
        os.fsync(f.fileno())
    return size, crc


def write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
