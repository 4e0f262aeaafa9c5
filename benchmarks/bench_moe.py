"""MoE + MLA (`moe-tiny`) against the dense model of equal *active* parameters (`tiny`), on the same work.

`moe-tiny` (MLA, 16 routed experts top-2 + 2 shared, first layer dense) uses 3.10M non-embedding
parameters per token; `tiny` (GQA, SwiGLU) has 3.15M. Both get the same batches, the same optimizer
(Muon + AdamW, the trainer's `build_optimizers` and LRs), fp32, the same thread count.

1. Throughput: median training-step tok/s (forward, backward, clip, optimizer), the two models' steps
   interleaved so machine noise hits both alike; peak RSS from a fresh subprocess per model.
2. Learning: both trained for `--train-steps` steps on the same token stream (C++ from this machine's
   libstdc++ and torch headers, a 2048-token BPE trained on it; in-distribution: the held-back windows
   come from the same headers), reporting train loss and held-back loss per step count, MoE load balance
   (max / mean expert load, aux-loss-free bias only) and, with `--aux-alpha`, the sequence balance loss
   next to the LM loss.

    .venv/bin/python benchmarks/bench_moe.py [--steps 5] [--train-steps 150] [--threads 1] [--device cuda]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import torch

from cppllm.model.config import get_preset
from cppllm.model.gpt import GPT, count_params
from cppllm.train.muon import build_optimizers
from cppllm.train.trainer import TrainModule

LRS = dict(matrix_lr=0.02, embed_lr=0.2, head_lr=0.004, scalar_lr=0.004)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores, {cpu}"


def build(
    preset: str,
    vocab: int,
    device: torch.device,
    aux_alpha: float = 0.0,
    seq: int = 256,
    bias_rate: float | None = None,
):
    over = {"vocab_size": vocab, "max_seq_len": seq}
    if preset.startswith("moe"):
        over["aux_loss_alpha"] = aux_alpha
        if bias_rate is not None:
            over["router_bias_rate"] = bias_rate
    gpt = GPT(get_preset(preset, **over)).to(device)
    module = TrainModule(gpt, loss_impl="chunked", chunk=256 if device.type == "cpu" else 4096)
    groups = gpt.param_groups()
    if gpt.config.tie_embeddings:  # as the trainer: a tied embedding takes the head's LR
        LRS_ = {**LRS, "embed_lr": LRS["head_lr"]}
    else:
        LRS_ = LRS
    opts = build_optimizers(groups, optimizer="muon", weight_decay=0.0, fused=True, **LRS_)
    params = list(module.parameters())
    autocast = device.type == "cuda"

    def step(x, y, optimizer: bool = True) -> float:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            loss = module(x, y)
        loss.backward()
        if optimizer:
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            for o in opts:
                o.step()
            gpt.update_router_bias()
        for o in opts:
            o.zero_grad(set_to_none=True)
        return float(loss.detach())

    return gpt, step


def throughput(
    steps: int, batch: int, seq: int, vocab: int, device: torch.device, optimizer: bool = True
) -> dict[str, float]:
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, vocab, (batch, seq), generator=g).to(device)
    y = torch.randint(0, vocab, (batch, seq), generator=g).to(device)
    runs = {p: build(p, vocab, device, seq=seq)[1] for p in ("tiny", "moe-tiny")}
    times: dict[str, list[float]] = {p: [] for p in runs}
    for i in range(steps + 1):
        for p, step in runs.items():
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            step(x, y, optimizer)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if i:
                times[p].append(time.perf_counter() - t0)
    return {p: batch * seq / statistics.median(t) for p, t in times.items()}


def memory_worker(preset: str, batch: int, seq: int, vocab: int) -> float:
    _, step = build(preset, vocab, torch.device("cpu"), seq=seq)
    x = torch.randint(0, vocab, (batch, seq))
    step(x, x)
    step(x, x)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:"))


def peak_rss(preset: str, batch: int, seq: int, vocab: int, threads: int) -> float:
    cmd = [sys.executable, __file__, "--worker", preset, "--batch", str(batch), "--seq", str(seq)]
    cmd += ["--vocab", str(vocab), "--threads", str(threads)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


def corpus_tokens(vocab: int) -> tuple[torch.Tensor, int]:
    from cppllm.pipeline.readers.corpus import embedded_roots
    from cppllm.tokenizer.tokenizer import train_tokenizer

    texts = []
    for root in embedded_roots():
        files = sorted(p for p in root.path.rglob("*") if p.is_file() and p.stat().st_size < 200_000)
        for p in files[:: max(1, len(files) // 150)][:150]:
            try:
                texts.append(p.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                continue
    tok = train_tokenizer(texts, vocab)
    ids = [i for ids in tok.encode_batch(texts) for i in ids]
    return torch.tensor(ids), tok.vocab_size


def learning(
    train_steps: int, batch: int, seq: int, vocab: int, aux_alpha: float, bias_rate: float | None
) -> None:
    ids, v = corpus_tokens(vocab)
    n_win = ids.numel() // (seq + 1)
    windows = ids[: n_win * (seq + 1)].view(n_win, seq + 1)
    g = torch.Generator().manual_seed(0)
    windows = windows[torch.randperm(n_win, generator=g)]
    held, train = windows[:16], windows[16:]
    print(f"   corpus: {ids.numel():,} tokens, {n_win} windows of {seq} (16 held back, same headers)")
    models = {p: build(p, v, torch.device("cpu"), aux_alpha, seq, bias_rate) for p in ("tiny", "moe-tiny")}
    for p, (gpt, _) in models.items():
        c = count_params(gpt.config)
        print(
            f"   {p:9s} active non-embedding {c['active_non_embedding'] / 1e6:.2f}M, total {c['total'] / 1e6:.2f}M"
        )
    marks = sorted({train_steps // 4, train_steps // 2, train_steps})
    curves: dict[str, dict[int, tuple[float, float]]] = {p: {} for p in models}
    for s in range(1, train_steps + 1):
        rows = torch.arange((s - 1) * batch, s * batch) % train.shape[0]
        x, y = train[rows, :-1], train[rows, 1:]
        for p, (gpt, step) in models.items():
            loss = step(x, y)
            if s in marks:
                gpt.eval()
                with torch.no_grad():
                    held_loss = float(gpt(held[:, :-1], held[:, 1:]))
                gpt.train()
                curves[p][s] = (loss, held_loss)
    print(f"   {'step':>5} | {'tiny train':>10} {'held':>7} | {'moe-tiny train':>14} {'held':>7}")
    for s in marks:
        (a, ah), (b, bh) = curves["tiny"][s], curves["moe-tiny"][s]
        print(f"   {s:>5} | {a:10.3f} {ah:7.3f} | {b:14.3f} {bh:7.3f}")
    gpt = models["moe-tiny"][0]
    stats = gpt.expert_stats()
    loads = {k: round(v, 2) for k, v in stats.items() if k.endswith("/load_max")}
    rate = gpt.config.router_bias_rate
    print(f"   moe-tiny expert load (max / mean, last step; 1.0 = balanced; bias rate {rate}): {loads}")
    if aux_alpha > 0:
        aux = max(v for k, v in stats.items() if k.endswith("/aux"))
        print(f"   sequence balance loss (alpha {aux_alpha}): {aux:.2e} per layer vs LM loss {b:.3f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=5, help="timed training steps per model (median counts)")
    ap.add_argument("--batch", type=int, default=8, help="rows per step")
    ap.add_argument("--seq", type=int, default=256, help="sequence length (the presets' max is 256)")
    ap.add_argument("--vocab", type=int, default=2048, help="vocabulary size (a BPE trained on the corpus)")
    ap.add_argument("--train-steps", type=int, default=150, help="steps of the learning comparison (0: skip)")
    ap.add_argument("--aux-alpha", type=float, default=0.0, help="sequence balance loss weight for moe-tiny")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads, both models")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="throughput device (cuda: bf16)")
    ap.add_argument("--no-throughput", action="store_true", help="skip part 1 (tok/s, memory)")
    ap.add_argument(
        "--bias-rate", type=float, default=None, help="moe-tiny's router_bias_rate (default: preset's)"
    )
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.worker:
        print(json.dumps({"peak_mib": memory_worker(args.worker, args.batch, args.seq, args.vocab)}))
        return 0
    device = torch.device(args.device)
    where = torch.cuda.get_device_name() if device.type == "cuda" else machine()
    print(f"== machine: {where}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    if not args.no_throughput:
        print(f"== 1. training step, batch {args.batch} x {args.seq}, vocab {args.vocab}, Muon + AdamW, "
              f"{'bf16 autocast' if device.type == 'cuda' else 'fp32'}")  # fmt: skip
        tps = throughput(args.steps, args.batch, args.seq, args.vocab, device)
        per_core = "" if device.type == "cuda" else f" ({tps['moe-tiny'] / args.threads:,.0f} per thread)"
        print(f"   tiny (dense, GQA):        {tps['tiny']:10,.0f} tok/s")
        print(f"   moe-tiny (MoE + MLA):     {tps['moe-tiny']:10,.0f} tok/s{per_core}")
        print(f"   ratio moe-tiny / tiny:    {tps['moe-tiny'] / tps['tiny']:10.2f}x")
        fb = throughput(args.steps, args.batch, args.seq, args.vocab, device, optimizer=False)
        print(
            f"   forward + backward only:  tiny {fb['tiny']:,.0f} tok/s, moe-tiny {fb['moe-tiny']:,.0f} tok/s, "
            f"ratio {fb['moe-tiny'] / fb['tiny']:.2f}x (the optimizer steps all {count_params(get_preset('moe-tiny', vocab_size=args.vocab))['total'] / 1e6:.1f}M "
            "parameters, not only the active ones)"
        )
        if device.type == "cpu":
            mem = {
                p: peak_rss(p, args.batch, args.seq, args.vocab, args.threads) for p in ("tiny", "moe-tiny")
            }
            print(
                f"   peak RSS (2 steps, fresh process): tiny {mem['tiny']:,.0f} MiB, moe-tiny {mem['moe-tiny']:,.0f} MiB"
            )
    if args.train_steps:
        print(f"== 2. learning, {args.train_steps} steps x {args.batch} x {args.seq} tokens, same stream")
        learning(args.train_steps, args.batch, args.seq, args.vocab, args.aux_alpha, args.bias_rate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
