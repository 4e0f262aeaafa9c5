"""CLaRa-style latent compression of code chunks (a small version of Apple's CLaRa, 2025).

CLaRa compresses each document into a few continuous "memory tokens" with a compressor LLM, trains it so
that a generator LLM can reconstruct and answer from them, and retrieves in the same latent space. Here:

- compressor: a copy of our GPT reads `<bos> chunk` followed by `k` learned memory-token embeddings; the
  final hidden states at those `k` positions, through a linear projector, are the chunk's `k` memory
  vectors (input-embedding space of the generator);
- generator: the parent GPT, frozen, reads `[memory vectors] <bos> target` as input embeddings;
- training (reconstruction, CLaRa's compressor pretraining without its LLM-written QA data): the target
  is the chunk itself, loss = cross-entropy of the chunk's tokens given its memory vectors, plus
  `--retrieval-weight` x InfoNCE between the mean memory vector of a pair's query and of its code, so the
  same latents serve retrieval (in-batch negatives);
- evaluation on held-out pairs: reconstruction bits per byte of the chunk with its memory vectors vs
  another chunk's memory vectors (the control for a content-free soft-prompt gain) vs without any context
  (the frozen generator alone); "answer" bits per byte of the pair's query text (a
  doc comment) given the code's memory vectors vs given the raw code tokens vs nothing (prompt tokens
  saved = raw code tokens - k); recall@1 / MRR of query -> code over the latents (cosine of mean memory
  vectors).

python -m cppllm.index.latent --init-from runs/base --data pairs_out --out runs/latent -k 8 --steps 200
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cppllm.model.gpt import GPT


@dataclass(frozen=True, kw_only=True)
class LatentConfig:
    memory_tokens: int = 8
    max_tokens: int = 128  # chunk tokens the compressor reads (and the generator reconstructs)
    retrieval_weight: float = 0.1
    temperature: float = 0.05


def hidden_from_embeddings(gpt: GPT, x: torch.Tensor) -> torch.Tensor:
    """`gpt`'s final normalised hidden states (B, T, C) for input embeddings x (B, T, C)."""
    cos, sin = gpt._cos_sin(x.shape[1], None, x.device)
    for block in gpt.blocks:
        x = block(x, cos, sin)
    return gpt.norm(x)


class Compressor(nn.Module):
    """GPT + k memory-token embeddings + projector: chunk ids (B, T), lengths (B,) -> (B, k, C)."""

    def __init__(self, gpt: GPT, cfg: LatentConfig) -> None:
        super().__init__()
        self.gpt, self.cfg = gpt, cfg
        c = gpt.config.n_embd
        std = float(gpt.embed.weight.detach().std())
        self.memory = nn.Parameter(torch.randn(cfg.memory_tokens, c) * std)
        self.proj = nn.Linear(c, c, bias=False)
        with torch.no_grad():
            self.proj.weight.copy_(torch.eye(c) * std)  # memory vectors start at the scale of embeddings

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        b, t = ids.shape
        k = self.cfg.memory_tokens
        x = self.gpt.embed(ids)  # (B, T, C)
        # memory tokens right after each row's last real token (padding stays behind them)
        pos = lengths[:, None] + torch.arange(k, device=ids.device)[None, :]  # (B, k)
        x = torch.cat([x, torch.zeros(b, k, x.shape[-1], device=x.device, dtype=x.dtype)], dim=1)
        x = x.scatter(
            1, pos[..., None].expand(-1, -1, x.shape[-1]), self.memory.expand(b, -1, -1).to(x.dtype)
        )
        h = hidden_from_embeddings(self.gpt, x)  # (B, T + k, C)
        mem = h.gather(1, pos[..., None].expand(-1, -1, h.shape[-1]))  # (B, k, C)
        return self.proj(mem)


def _rows(tok, texts: list[str], max_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    from cppllm.model.embedder import batch_ids

    x, lengths = batch_ids(tok.encode_batch(texts), bos=tok.bos_id, eos=tok.eos_id, pad=tok.pad_id,
                           max_tokens=max_tokens)  # fmt: skip
    return x, lengths


def target_nats(
    gen: GPT, prefix: torch.Tensor | None, ids: torch.Tensor, lengths: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token nats (B, T-1) of ids[:, 1:] given `prefix` embeddings (B, P, C) and ids[:, :-1], and the
    mask of real targets (the `<bos> text <eos>` rows of `_rows`; eos is scored, padding is not)."""
    x = gen.embed(ids[:, :-1])
    if prefix is not None:
        x = torch.cat([prefix.to(x.dtype), x], dim=1)
    h = hidden_from_embeddings(gen, x)
    if prefix is not None:
        h = h[:, prefix.shape[1] :]
    logits = h @ gen.lm_head.weight.T  # (B, T-1, V)
    y = ids[:, 1:]
    nats = F.cross_entropy(logits.float().flatten(0, 1), y.flatten(), reduction="none").view_as(y)
    mask = torch.arange(y.shape[1], device=y.device)[None, :] < (lengths[:, None] - 1)
    return nats, mask


def _bpb(
    nats: torch.Tensor, mask: torch.Tensor, ids: torch.Tensor, token_bytes: torch.Tensor
) -> tuple[float, int]:
    from cppllm.loss import target_bytes

    b = target_bytes(torch.where(mask, ids[:, 1:], -1), token_bytes)
    return float((nats * (b > 0)).sum()), int(b.sum())


def _mean_latent(mem: torch.Tensor) -> torch.Tensor:
    return F.normalize(mem.mean(1).float(), dim=-1)


@torch.no_grad()
def evaluate(comp: Compressor, gen: GPT, tok, rows: list[dict], cfg: LatentConfig, batch: int = 16) -> dict:
    """Held-out bits per byte (reconstruction, answer) and latent retrieval; see the module docstring."""
    comp.eval()
    tb = torch.as_tensor(tok.token_bytes(), dtype=torch.int64)
    names = ("recon_mem", "recon_other", "recon_none", "ans_mem", "ans_other", "ans_raw", "ans_none")
    sums: dict[str, list[float]] = {k: [0.0, 0] for k in names}
    raw_tokens = 0
    q_lat, c_lat = [], []
    for s in range(0, len(rows), batch):
        part = rows[s : s + batch]
        code, clen = _rows(tok, [r["positive"] for r in part], cfg.max_tokens)
        query, qlen = _rows(tok, [r["query"] for r in part], cfg.max_tokens)
        mem = comp(code, clen)
        # control: another chunk's memory vectors (a learned prefix that helps whatever it encodes would
        # help here too; only content-specific information makes "mem" beat "other")
        other = mem.roll(1, dims=0) if len(part) > 1 else mem
        for name, prefix in (("recon_mem", mem), ("recon_other", other), ("recon_none", None)):
            nats, mask = target_nats(gen, prefix, code, clen)
            a, b = _bpb(nats, mask, code, tb)
            sums[name][0] += a
            sums[name][1] += b
        raw = gen.embed(code[:, :-1])  # the raw code as the prompt (each row's padding masked out below)
        for name, prefix in (("ans_mem", mem), ("ans_other", other), ("ans_none", None)):
            nats, mask = target_nats(gen, prefix, query, qlen)
            a, b = _bpb(nats, mask, query, tb)
            sums[name][0] += a
            sums[name][1] += b
        for i in range(len(part)):  # raw text per row: no padding inside the prompt
            n = int(clen[i]) - 1
            raw_tokens += n
            nats, mask = target_nats(gen, raw[i : i + 1, :n], query[i : i + 1], qlen[i : i + 1])
            a, b = _bpb(nats, mask, query[i : i + 1], tb)
            sums["ans_raw"][0] += a
            sums["ans_raw"][1] += b
        q_lat.append(_mean_latent(comp(query, qlen)))
        c_lat.append(_mean_latent(mem))
    out = {f"bpb_{k}": v[0] / (math.log(2) * max(1, v[1])) for k, v in sums.items()}
    scores = torch.cat(q_lat) @ torch.cat(c_lat).T
    rank = (scores > scores.diag()[:, None]).sum(1)
    out["latent_recall@1"] = (rank < 1).float().mean().item()
    out["latent_mrr"] = (1.0 / (rank + 1).float()).mean().item()
    out["prompt_tokens_raw"] = raw_tokens / max(1, len(rows))
    out["prompt_tokens_memory"] = cfg.memory_tokens
    out["pairs"] = len(rows)
    return out


def train_latent(args: argparse.Namespace) -> dict[str, Any]:
    from tqdm.auto import tqdm

    from cppllm.atomic import write_text
    from cppllm.model.checkpoint import load_checkpoint_model
    from cppllm.tokenizer.tokenizer import CppTokenizer
    from cppllm.train.embed import info_nce, load_pairs, pairs_file
    from cppllm.train.stages import find_parent

    torch.manual_seed(args.seed)
    parent = find_parent(args.init_from)
    if parent.tokenizer_path is None:
        raise FileNotFoundError(f"--init-from {args.init_from}: the parent's tokenizer folder is gone")
    tok = CppTokenizer.load(parent.tokenizer_path)
    cfg = LatentConfig(memory_tokens=args.memory_tokens, max_tokens=args.max_tokens,
                       retrieval_weight=args.retrieval_weight)  # fmt: skip
    gen = load_checkpoint_model(parent.ckpt)
    for p in gen.parameters():
        p.requires_grad_(False)
    comp = Compressor(load_checkpoint_model(parent.ckpt), cfg).train()
    kinds = tuple(k for k in args.kinds.split(",") if k)
    rng = random.Random(args.seed)
    train = load_pairs(pairs_file(args.data, "train"), kinds)
    val = load_pairs(pairs_file(args.data, "val"), kinds)
    val = rng.sample(val, min(args.eval_pairs, len(val)))
    opt = torch.optim.AdamW([p for p in comp.parameters() if p.requires_grad], lr=args.lr, betas=(0.9, 0.95))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    before = evaluate(comp, gen, tok, val, cfg)
    t0 = time.perf_counter()
    log = []
    for step in tqdm(range(args.steps), desc="latent", disable=args.no_progress):
        comp.train()
        batch = rng.sample(train, min(args.batch_size, len(train)))
        code, clen = _rows(tok, [r["positive"] for r in batch], cfg.max_tokens)
        mem = comp(code, clen)
        nats, mask = target_nats(gen, mem, code, clen)
        recon = (nats * mask).sum() / mask.sum()
        loss = recon
        if cfg.retrieval_weight > 0:
            query, qlen = _rows(tok, [r["query"] for r in batch], cfg.max_tokens)
            ret = info_nce(_mean_latent(comp(query, qlen)), _mean_latent(mem), temperature=cfg.temperature)
            loss = loss + cfg.retrieval_weight * ret
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(comp.parameters(), 1.0)
        for g in opt.param_groups:
            g["lr"] = args.lr * min(1.0, (step + 1) / max(1, args.steps // 20))
        opt.step()
        log.append({"step": step + 1, "loss": loss.item(), "recon_nats": recon.item()})
    after = evaluate(comp, gen, tok, val, cfg)
    report = {
        "config": asdict(cfg),
        "parent": parent.lineage(),
        "steps": args.steps,
        "train_pairs": len(train),
        "seconds": time.perf_counter() - t0,
        "before_training": before,
        "after_training": after,
        "train_log_tail": log[-5:],
    }
    write_text(out / "latent_report.json", json.dumps(report, indent=2))
    torch.save({"state": comp.state_dict(), "config": asdict(cfg)}, out / "compressor.pt")
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cppllm.index.latent",
                                description="Train and evaluate CLaRa-style memory-vector compression of code chunks")  # fmt: skip
    p.add_argument(
        "--init-from", required=True, help="trained GPT run or checkpoint (compressor + generator)"
    )
    p.add_argument("--data", required=True, help="pair miner output (DIR/pairs/{train,val}.jsonl)")
    p.add_argument("--out", required=True, help="output folder: latent_report.json, compressor.pt")
    p.add_argument("-k", "--memory-tokens", type=int, default=8, help="memory vectors per chunk")
    p.add_argument("--max-tokens", type=int, default=128, help="chunk tokens read and reconstructed")
    p.add_argument("--retrieval-weight", type=float, default=0.1, help="weight of the latent InfoNCE term")
    p.add_argument("--kinds", default="doc", help="pair kinds (query = its text, code = the positive)")
    p.add_argument("--steps", type=int, default=200, help="optimizer steps")
    p.add_argument("--batch-size", type=int, default=8, help="pairs per step")
    p.add_argument("--lr", type=float, default=3e-4, help="AdamW learning rate of the compressor")
    p.add_argument("--eval-pairs", type=int, default=128, help="held-out pairs evaluated")
    p.add_argument("--seed", type=int, default=0, help="seed")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    r = train_latent(args)
    a, b = r["after_training"], r["before_training"]
    print(json.dumps({"after": a, "before": b}))
    print(
        f"[latent] reconstruction bpb: {a['bpb_recon_mem']:.3f} with {r['config']['memory_tokens']} memory vectors "
        f"vs {a['bpb_recon_other']:.3f} another chunk's vs {a['bpb_recon_none']:.3f} none; answer bpb: memory {a['bpb_ans_mem']:.3f}, other {a['bpb_ans_other']:.3f}, raw text "
        f"{a['bpb_ans_raw']:.3f} ({a['prompt_tokens_raw']:.0f} prompt tokens), none {a['bpb_ans_none']:.3f}; "
        f"latent retrieval recall@1 {b['latent_recall@1']:.3f} -> {a['latent_recall@1']:.3f}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
