"""Context-parallel training against one process: the same run, the same numbers, and what it costs on CPU.

Runs `python -m cppllm.train` three times on the same data with the same flags and global batch: one
process; `torchrun --nproc_per_node=2 ... --context-parallel 2` (each sequence split over 2 ranks); and,
with `--dp-cp`, 4 ranks as 2 data-parallel groups x 2 context-parallel ranks. Prints, against the one-process
run: the largest per-step loss difference, the val bits-per-byte difference, the largest final weight
difference, and tok/s (whole run and per rank; every rank gets `--threads` threads). On a CPU box CP is a
correctness check, not a speed-up: gloo all-gathers K/V in every layer and the ranks share the cores.

Data: `--data DIR` (a pipeline output folder), or by default a small folder built here from the C++ this
package embeds (a 512-token BPE on it; val windows from the same files, so bpb is in-distribution).

    .venv/bin/python benchmarks/bench_context_parallel.py [--steps 10] [--preset tiny] [--dp-cp]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from machine import machine_line
from safetensors.torch import load_file

REPO = Path(__file__).resolve().parents[1]


def build_data(root: Path) -> Path:
    """`root/{bin/{train,val}, tokenizer}` from the embedded C++ corpus (the trainer tests' recipe)."""
    import numpy as np

    from cppllm.pipeline.pretokenize.indexed import IndexedWriter
    from cppllm.pipeline.readers.corpus import embedded_roots
    from cppllm.tokenizer.special import BOS_ID, EOS_ID
    from cppllm.tokenizer.tokenizer import train_tokenizer

    texts = []
    for corpus in embedded_roots():
        files = sorted(p for p in corpus.path.rglob("*") if p.is_file() and p.stat().st_size < 200_000)
        for p in files[:: max(1, len(files) // 40)][:40]:
            try:
                texts.append(p.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                continue
    docs = [t[i : i + 4000] for t in texts if t.strip() for i in range(0, min(len(t), 40_000), 4000)]
    tok = train_tokenizer(docs, 512)
    tok.save(root / "tokenizer")
    (root / "bin").mkdir(parents=True, exist_ok=True)
    n_val = max(1, len(docs) // 10)
    for split, part in (("val", docs[:n_val]), ("train", docs[n_val:])):
        with IndexedWriter(root / "bin" / split, np.uint16) as w:
            for ids in tok.encode_batch(part):
                w.add_document([BOS_ID, *ids, EOS_ID])
    return root


def run(ranks: int, cp: int, args: argparse.Namespace, data: Path, out: Path) -> float:
    """One training run; returns its wall time in seconds."""
    train = ["-m", "cppllm.train", "--preset", args.preset, "--data", str(data), "--out", str(out),
             "--steps", str(args.steps), "--seq-len", str(args.seq_len), "--batch-tokens", str(args.batch_tokens),
             "--micro-batch", str(args.micro_batch), "--eval-every", str(args.steps), "--log-every", "1",
             "--no-progress", "--device", "cpu"]  # fmt: skip
    if ranks > 1:
        launch = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={ranks}"]
        train = [*launch, *train, "--context-parallel", str(cp)]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "PYTHONPATH": str(REPO)}
    env.pop("RANK", None)
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, *train], cwd=REPO, env=env, capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"run failed ({ranks} ranks, cp {cp}):\n{res.stderr[-3000:]}")
    return time.perf_counter() - t0


def compare(one: Path, other: Path) -> dict[str, float]:
    recs = [
        [json.loads(line) for line in (d / "metrics.jsonl").read_text().splitlines()] for d in (one, other)
    ]
    loss = [(a["loss"], b["loss"]) for a, b in zip(*recs, strict=True) if a["loss"] is not None]
    bpb = [(a["val_bpb"], b["val_bpb"]) for a, b in zip(*recs, strict=True) if "val_bpb" in a]
    wa, wb = (load_file(str(d / "ckpt" / "latest" / "model.safetensors")) for d in (one, other))
    tok_s = [r["tok_per_s"] for r in recs[1] if r.get("tok_per_s")]
    return {
        "loss_max_abs_diff": max(abs(a - b) for a, b in loss),
        "loss_max_rel_diff": max(abs(a - b) / abs(a) for a, b in loss),
        "final_loss": loss[-1][1],
        "val_bpb_max_abs_diff": max(abs(a - b) for a, b in bpb),
        "weight_max_abs_diff": max(float((wa[k] - wb[k]).abs().max()) for k in wa),
        "weight_max_abs": max(float(w.abs().max()) for w in wa.values()),
        "median_tok_s": sorted(tok_s)[len(tok_s) // 2],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, help="pipeline output folder (default: built from the embedded C++)")
    p.add_argument("--preset", default="tiny", help="model preset (tiny, moe-tiny, ...)")
    p.add_argument("--steps", type=int, default=10, help="optimizer steps per run")
    p.add_argument("--seq-len", type=int, default=256, help="sequence length (a multiple of 4 x CP)")
    p.add_argument("--batch-tokens", type=int, default=4096, help="global batch in tokens")
    p.add_argument("--micro-batch", type=int, default=8, help="rows per forward/backward")
    p.add_argument("--threads", type=int, default=1, help="torch threads per rank (OMP_NUM_THREADS)")
    p.add_argument("--dp-cp", action="store_true", help="also 4 ranks: 2 data-parallel x 2 context-parallel")
    args = p.parse_args(argv)
    print(machine_line())
    print(f"torch {torch.__version__}; {args.preset}, {args.steps} steps x {args.batch_tokens} tokens, "
          f"seq {args.seq_len}, micro-batch {args.micro_batch}, fp32, {args.threads} thread(s) per rank")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = args.data or build_data(root / "data")
        layouts = [("1 process", 1, 1), ("CP=2 (2 ranks)", 2, 2)] + (
            [("DP=2 x CP=2 (4 ranks)", 4, 2)] if args.dp_cp else []
        )
        wall = {}
        for name, ranks, cp in layouts:
            wall[name] = run(ranks, cp, args, data, root / name.split()[0])
        base = compare(root / "1", root / "1")
        print(f"{'layout':<24} {'max |loss diff|':>16} {'max |bpb diff|':>15} {'max |w diff|':>13} "
              f"{'tok/s':>8} {'tok/s/rank':>11} {'wall s':>7}")  # fmt: skip
        for name, ranks, _ in layouts:
            r = compare(root / "1", root / name.split()[0])
            print(f"{name:<24} {r['loss_max_abs_diff']:>16.2e} {r['val_bpb_max_abs_diff']:>15.2e} "
                  f"{r['weight_max_abs_diff']:>13.2e} {r['median_tok_s']:>8.0f} {r['median_tok_s'] / ranks:>11.0f} "
                  f"{wall[name]:>7.1f}")  # fmt: skip
        print(f"final loss {base['final_loss']:.4f}; largest weight {base['weight_max_abs']:.3f} (for scale)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
