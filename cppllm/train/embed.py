"""`--stage embed`: contrastive fine-tuning of a trained GPT into a code embedder (InfoNCE).

python -m cppllm.train --stage embed --init-from runs/base --data data/pairs_out --out runs/embed

Data: the pair miner's `DIR/pairs/{train,val}.jsonl` (`cppllm.pipeline.pairs`; `--data` may also name the
`pairs` folder or a `.jsonl` file). Loss: InfoNCE (van den Oord et al., arXiv 1807.03748) of each query
against every positive of the batch (in-batch negatives) plus every mined hard negative of the batch,
temperature `tau` (DPR, arXiv 2004.04906; E5, arXiv 2212.03533). The model is the parent's GPT (weights and
config unchanged: `stages.STAGE_MAY_CHANGE["embed"]` is empty) with the pooling/head of
`cppllm.model.embedder`. `symmetric` adds the reverse direction, each positive against every query of the
batch (the "bidirectional" loss of GTE, arXiv 2308.03281). Optimizer: AdamW, linear warmup then linear decay to 0.

Every `--eval-every` steps and at the end, the held-out pairs (other repositories) are scored by
recall@1 and MRR of query -> positive among all held-out positives, logged to `metrics.jsonl`. The run
writes `config.json` (with the parent's lineage) and `ckpt/latest/` (an embedder checkpoint). Resuming
an embed run is not supported (runs are minutes long); rerunning starts over.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from cppllm.atomic import write_text


@dataclass(frozen=True, kw_only=True)
class EmbedTrainConfig:
    init_from: str
    data: str
    out: str
    pooling: str = "mean"
    dim: int | None = None
    max_tokens: int = 256
    batch_size: int = 16
    steps: int = 200
    lr: float = 1e-4
    warmup_frac: float = 0.05
    weight_decay: float = 0.0
    temperature: float = 0.05
    split_identifiers: bool = False  # EmbedConfig input normalisation (stored with the embedder)
    query_prefix: str = ""
    doc_prefix: str = ""
    symmetric: bool = False  # add the code -> query direction (in-batch queries as its negatives)
    hard_negatives: bool = True
    kinds: tuple[str, ...] = ()  # pair kinds to train on (default: all)
    eval_every: int = 50
    eval_pairs: int = 512  # held-out pairs scored per evaluation
    device: str = "auto"
    seed: int = 0
    threads: int | None = None
    progress: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def info_nce(
    q: torch.Tensor, p: torch.Tensor, n: torch.Tensor | None = None, *, temperature: float
) -> torch.Tensor:
    """InfoNCE of queries q (B, D) against positives p (B, D): row i's positive is p[i], every other
    p[j] and every hard negative n (M, D) are its negatives. Mean over rows of
    -log(exp(q.p_i / t) / sum_k exp(q.c_k / t)). Inputs are expected L2-normalised (cosine scores)."""
    cands = p if n is None else torch.cat([p, n], dim=0)  # (B + M, D)
    logits = q @ cands.T / temperature  # (B, B + M)
    return F.cross_entropy(logits, torch.arange(q.shape[0], device=q.device))


def contrastive_loss(
    q: torch.Tensor, p: torch.Tensor, n: torch.Tensor | None, *, temperature: float, symmetric: bool
) -> torch.Tensor:
    """The embed stage's loss: `info_nce(q, p, n)`, averaged with `info_nce(p, q)` (each positive against
    every query of the batch) when `symmetric`."""
    loss = info_nce(q, p, n, temperature=temperature)
    if symmetric:
        loss = (loss + info_nce(p, q, temperature=temperature)) / 2
    return loss


def pairs_file(data: str | Path, split: str) -> Path:
    """`DIR/pairs/{split}.jsonl`, `DIR/{split}.jsonl` or, for split "train", a `.jsonl` file itself."""
    d = Path(data)
    if d.is_file():
        if split != "train":
            raise FileNotFoundError(f"{d} is one file: no {split} split next to it")
        return d
    for cand in (d / "pairs" / f"{split}.jsonl", d / f"{split}.jsonl"):
        if cand.is_file():
            return cand
    raise FileNotFoundError(f"--data {data}: no pairs/{split}.jsonl (run python -m cppllm.pipeline.pairs)")


def load_pairs(path: Path, kinds: tuple[str, ...] = ()) -> list[dict]:
    rows = []
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            if not kinds or row["kind"] in kinds:
                rows.append(row)
    return rows


@torch.no_grad()
def pair_retrieval(model, tok, rows: list[dict], device) -> dict[str, float]:
    """recall@1, recall@10 and MRR of each query's positive among all positives of `rows`."""
    from cppllm.model.embedder import encode_texts

    if not rows:
        return {}
    q = encode_texts(model, tok, [r["query"] for r in rows], role="query", device=device)
    p = encode_texts(model, tok, [r["positive"] for r in rows], role="doc", device=device)
    scores = q @ p.T
    rank = (scores > scores.diag()[:, None]).sum(1)  # 0 = the positive scores highest
    return {
        "recall@1": (rank < 1).float().mean().item(),
        "recall@10": (rank < 10).float().mean().item(),
        "mrr": (1.0 / (rank + 1).float()).mean().item(),
    }


def train_embed(cfg: EmbedTrainConfig) -> dict[str, Any]:
    """Run the embed stage; returns the final summary (also the last `metrics.jsonl` record)."""
    from tqdm.auto import tqdm

    from cppllm.device import pick_device
    from cppllm.model.checkpoint import load_checkpoint_model
    from cppllm.model.embedder import EmbedConfig, Embedder, batch_ids, save_embedder
    from cppllm.tokenizer.tokenizer import CppTokenizer
    from cppllm.train.stages import find_parent

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    parent = find_parent(cfg.init_from)
    tok_path = parent.tokenizer_path
    if tok_path is None:
        raise FileNotFoundError(f"--init-from {cfg.init_from}: the parent's tokenizer folder is gone")
    tok = CppTokenizer.load(tok_path)
    dev = pick_device(cfg.device).device
    torch.manual_seed(cfg.seed)
    gpt = load_checkpoint_model(parent.ckpt)
    ecfg = EmbedConfig(
        pooling=cfg.pooling, dim=cfg.dim, max_tokens=min(cfg.max_tokens, gpt.config.max_seq_len),
        split_identifiers=cfg.split_identifiers, query_prefix=cfg.query_prefix, doc_prefix=cfg.doc_prefix,
    )  # fmt: skip
    model = Embedder(gpt, ecfg)
    head = parent.ckpt / "embed_head.safetensors"
    if head.is_file() and parent.config.get("embed", {}).get("dim") == cfg.dim:  # continue an embed run
        from safetensors.torch import load_file

        model.head.weight.data.copy_(load_file(str(head))["weight"])
    model = model.to(dev)
    train_rows = load_pairs(pairs_file(cfg.data, "train"), cfg.kinds)
    try:
        val_rows = load_pairs(pairs_file(cfg.data, "val"), cfg.kinds)
    except FileNotFoundError:
        val_rows = []
    if not train_rows:
        raise ValueError(f"--data {cfg.data}: no training pairs")
    rng = random.Random(cfg.seed)
    val_rows = rng.sample(val_rows, min(cfg.eval_pairs, len(val_rows)))
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    run_config = {
        "train": {**cfg.to_dict(), "stage": "embed", "tokenizer": str(tok_path)},
        "embed": ecfg.to_dict(),
        "model": gpt.config.to_dict(),
        "parent": parent.lineage(),
        "tokenizer_hash": tok.hash(),
        "pairs": {"train": len(train_rows), "val": len(val_rows)},
    }
    write_text(out / "config.json", json.dumps(run_config, indent=2))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.95))
    warm = max(1, int(cfg.warmup_frac * cfg.steps))

    def lr_mult(step: int) -> float:
        return min(1.0, (step + 1) / warm) * min(1.0, (cfg.steps - step) / max(1, cfg.steps - warm))

    def encode(texts: list[str], role: str) -> torch.Tensor:
        ids = tok.encode_batch([ecfg.prepare(t, role) for t in texts])
        x, lengths = batch_ids(ids, bos=tok.bos_id, eos=tok.eos_id, pad=tok.pad_id,
                               max_tokens=ecfg.max_tokens)  # fmt: skip
        return model(x.to(dev), lengths.to(dev))

    metrics = (out / "metrics.jsonl").open("w")
    order: list[int] = []
    summary: dict[str, Any] = {}

    def log(rec: dict) -> None:
        metrics.write(json.dumps(rec) + "\n")
        metrics.flush()

    before = pair_retrieval(model, tok, val_rows, dev)
    log({"step": 0, **{f"val_{k}": v for k, v in before.items()}})
    t0 = time.perf_counter()
    bar = tqdm(range(cfg.steps), desc="embed", disable=not cfg.progress)
    for step in bar:
        model.train()
        if len(order) < cfg.batch_size:
            order += rng.sample(range(len(train_rows)), len(train_rows))
        batch = [train_rows[order.pop()] for _ in range(min(cfg.batch_size, len(train_rows)))]
        for g in opt.param_groups:
            g["lr"] = cfg.lr * lr_mult(step)
        q = encode([r["query"] for r in batch], "query")
        p = encode([r["positive"] for r in batch], "doc")
        negs = [r["negative"] for r in batch if r.get("negative")] if cfg.hard_negatives else []
        n = encode(negs, "doc") if negs else None
        loss = contrastive_loss(q, p, n, temperature=cfg.temperature, symmetric=cfg.symmetric)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        rec: dict[str, Any] = {"step": step + 1, "loss": loss.item(), "lr": cfg.lr * lr_mult(step)}
        if val_rows and ((step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps):
            rec.update({f"val_{k}": v for k, v in pair_retrieval(model, tok, val_rows, dev).items()})
        rec["elapsed_s"] = time.perf_counter() - t0
        log(rec)
        bar.set_postfix(loss=f"{loss.item():.3f}")
        summary = rec
    metrics.close()
    save_embedder(model, out / "ckpt" / "latest", {**run_config, "step": cfg.steps})
    summary = {**summary, **{f"val_{k}_before": v for k, v in before.items()}}
    write_text(out / "summary.json", json.dumps(summary, indent=2))
    if not math.isfinite(summary.get("loss", 0.0)):
        raise FloatingPointError(f"embed stage diverged: loss {summary['loss']}")
    return summary
