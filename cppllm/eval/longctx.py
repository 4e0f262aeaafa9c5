"""Long-context evaluation on held-out repository-level documents (`cppllm.pipeline.pretokenize.repodocs`).

Two measurements, for a model and (side by side) the model it was extended from:

- **bits per byte by position**: documents at least `ctx + 1` tokens long, tiled by windows of that length,
  each target's nats and bytes summed per position bucket (0-1K, 1-2K, ... tokens). A model that
  uses distant context gets better (lower) bpb at later positions; one that cannot (a base model run past
  its trained context without scaling) gets worse.
- **identifier recall by distance**: a function defined in real held-out code, then the code that
  followed it for `d` tokens (in which the name does not occur again), then a use: a new line with the
  first characters of the function's name. Does greedy decoding complete the exact name? The same probe
  with the definition cut out is the control (what guessing from the prefix alone gets).

Context beyond a model's `max_seq_len` is allowed here on purpose (the base-model comparison): the
model is loaded with a larger `max_seq_len`, its RoPE unscaled, and the result is marked `extrapolated`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from cppllm.cppscan import find_functions
from cppllm.loss import target_bytes

_NAME = re.compile(r"([A-Za-z_]\w*)\s*\($")
_IDENT_CHAR = re.compile(r"\w")


def long_documents(
    tokens: np.ndarray, doc_starts: np.ndarray, min_len: int, max_docs: int
) -> list[np.ndarray]:
    """Up to `max_docs` documents (token arrays, BOS first) of at least `min_len` tokens, in order."""
    ends = np.append(doc_starts[1:], len(tokens))
    out = []
    for s, e in zip(doc_starts, ends, strict=True):
        if e - s >= min_len:
            out.append(np.asarray(tokens[s:e], dtype=np.int64))
            if len(out) == max_docs:
                break
    return out


@torch.no_grad()
def position_bpb(
    model: Any,
    docs: Sequence[np.ndarray],
    token_bytes: np.ndarray,
    ctx: int,
    bucket: int,
    *,
    batch_size: int = 4,
    device: torch.device | str = "cpu",
) -> list[dict[str, Any]]:
    """Bits per byte of target positions [k*bucket, (k+1)*bucket) of `ctx`-token windows: each document
    tiled by windows of `ctx + 1` tokens (the first at its start), so a position's bucket says how much
    real context precedes it."""
    windows = np.stack([d[s : s + ctx + 1] for d in docs for s in range(0, len(d) - ctx, ctx)])
    tb = torch.as_tensor(token_bytes, dtype=torch.int64, device=device)
    n_buckets = math.ceil(ctx / bucket)
    nats = torch.zeros(n_buckets, dtype=torch.float64, device=device)
    nbytes = torch.zeros(n_buckets, dtype=torch.int64, device=device)
    which = torch.arange(ctx, device=device) // bucket  # (T,) bucket of each target position
    for i in range(0, len(windows), batch_size):
        w = torch.from_numpy(windows[i : i + batch_size]).to(device)
        x, y = w[:, :-1], w[:, 1:]
        loss = model.token_nats(x, y).double()  # (B, T)
        b = target_bytes(y, tb)
        nats.index_add_(0, which, (loss * (b > 0)).sum(0))
        nbytes.index_add_(0, which, b.sum(0))
    return [
        {
            "start": k * bucket,
            "end": min((k + 1) * bucket, ctx),
            "bpb": float(nats[k] / (math.log(2) * nbytes[k])) if nbytes[k] > 0 else None,
            "bytes": int(nbytes[k]),
        }
        for k in range(n_buckets)
    ]


def recall_probes(
    texts: Sequence[str], tokenizer: Any, distances: Sequence[int], *, per_distance: int, min_name: int = 6
) -> list[dict[str, Any]]:
    """Probes {distance, name, prompt ids, control ids, answer}; at most `per_distance` per distance."""
    probes: list[dict[str, Any]] = []
    count = dict.fromkeys(distances, 0)
    for text in texts:
        for fn in find_functions(text):
            m = _NAME.search(text[fn.head : fn.open].split("(", 1)[0] + "(")
            if m is None or len(m.group(1)) < min_name:
                continue
            name = m.group(1)
            if name in text[: fn.head]:
                continue  # not the first mention: recall could come from elsewhere
            ids = tokenizer.encode(text[fn.head :])
            body_ids = len(tokenizer.encode(text[fn.head : fn.close + 1]))
            for d in distances:
                if count[d] >= per_distance or d <= body_ids + 8 or d > len(ids):
                    continue
                after = tokenizer.decode(ids[body_ids:d])
                if name in after:
                    continue  # used again in between: the far definition is not what is recalled
                keep = max(2, len(name) // 3)
                cue = tokenizer.encode("\n" + name[:keep])
                probes.append(
                    {
                        "distance": d,
                        "name": name,
                        "answer": name[keep:],
                        "prompt": ids[:d] + cue,
                        "control": ids[body_ids:d] + cue,
                    }
                )
                count[d] += 1
        if all(c >= per_distance for c in count.values()):
            break
    return probes


def _completes(text: str, answer: str) -> bool:
    return text.startswith(answer) and not _IDENT_CHAR.match(text[len(answer) : len(answer) + 1] or " ")


def recall_accuracy(model: Any, tokenizer: Any, probes: Sequence[dict[str, Any]], distances: Sequence[int]):
    """Per distance: probes, share whose greedy completion is exactly the name, and the control's share."""
    from cppllm.model.generate import generate

    rows = []
    for d in distances:
        ps = [p for p in probes if p["distance"] == d]
        if not ps:
            rows.append({"distance": d, "n": 0, "recall": None, "control": None})
            continue
        hits = {"prompt": 0, "control": 0}
        for p in ps:
            n_new = len(tokenizer.encode(p["answer"])) + 2
            for key in hits:
                out = generate(model, [p[key]], n_new, temperature=0.0)[0]
                hits[key] += _completes(
                    tokenizer.decode([t for t in out if t < tokenizer.vocab_size]), p["answer"]
                )
        rows.append(
            {
                "distance": d,
                "n": len(ps),
                "recall": hits["prompt"] / len(ps),
                "control": hits["control"] / len(ps),
            }
        )
    return rows


def default_distances(ctx: int) -> list[int]:
    """64, 128, 256, ... below the context, and ctx - 32 (room for the cue and the answer)."""
    out, d = [], 64
    while d < ctx - 32:
        out.append(d)
        d *= 2
    return [*out, ctx - 32] if ctx > 96 else [ctx // 2]


def evaluate_longctx(
    model: Any,
    tokenizer: Any,
    docs: Sequence[np.ndarray],
    token_bytes: np.ndarray,
    *,
    ctx: int,
    bucket: int,
    probes_per_distance: int,
    batch_size: int = 4,
    device: torch.device | str = "cpu",
) -> dict[str, Any]:
    """The longctx section of one model: bpb per position bucket and recall per distance."""
    distances = default_distances(ctx)
    lo, hi = tokenizer.n_special, tokenizer.vocab_size  # specials (BOS, EOS) and the model's padding rows
    texts = [tokenizer.decode([t for t in d.tolist() if lo <= t < hi]) for d in docs]
    probes = recall_probes(texts, tokenizer, distances, per_distance=probes_per_distance)
    return {
        "ctx": ctx,
        "model_max_seq_len": model.config.max_seq_len,
        "rope_scaling": model.config.rope_scaling,
        "documents": len(docs),
        "windows": sum((len(d) - 1) // ctx for d in docs),
        "position_bpb": position_bpb(
            model, docs, token_bytes, ctx, bucket, batch_size=batch_size, device=device
        ),
        "recall": recall_accuracy(model, tokenizer, probes, distances),
    }
