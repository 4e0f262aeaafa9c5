"""`make rl-demo`: pretrain -> SFT -> RL on generated function-completion tasks, on CPU in minutes.

1. `complete.py` writes 400 training and 40 held-out tasks (a doc comment and a signature; tests);
2. a 512-token BPE and a tiny GPT are trained on the reference programs of the training tasks (pretrain),
   then on the tasks as chats (SFT), each briefly: the model learns the reply format and part of the skill;
3. RL (GRPO, rewards from g++ and the tests in the sandbox) on the training tasks;
4. `curve.png` plots reward mean and pass rate per step and held-out pass@1; `summary.json` the figures.

Held-out = tasks never trained on (other argument names, other functions), same skill: in distribution.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from cppllm.atomic import write_text


def _corpus(tasks_dir: Path) -> list[str]:
    rows = [json.loads(line) for line in (tasks_dir / "train.jsonl").read_text().splitlines()]
    return [r["prompt"].split("\n")[0] + "\n" + r["solution"] + "\n" + r["tests"] for r in rows]


def build_pretrain_data(root: Path, texts: list[str], vocab_size: int) -> None:
    from cppllm.pipeline.pretokenize.indexed import IndexedWriter
    from cppllm.tokenizer.special import BOS_ID, EOS_ID
    from cppllm.tokenizer.tokenizer import train_tokenizer

    tok = train_tokenizer(texts, vocab_size)
    tok.save(root / "tokenizer")
    (root / "bin").mkdir(parents=True, exist_ok=True)
    n_val = max(1, len(texts) // 20)
    for split, docs in (("val", texts[:n_val]), ("train", texts[n_val:])):
        with IndexedWriter(root / "bin" / split, np.uint16) as w:
            for ids in tok.encode_batch(docs):
                w.add_document([BOS_ID, *ids, EOS_ID])
    write_text(root / "manifest.json", json.dumps({"tokenizer_hash": tok.hash()}))


def plot(metrics: Path, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    recs = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
    train = [r for r in recs if "reward_mean" in r]
    held = [r for r in recs if "heldout_pass@1" in r]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(
        [r["step"] for r in train], [r["reward_mean"] for r in train], label="reward mean (train rollouts)"
    )
    ax.plot(
        [r["step"] for r in train], [r["pass_rate"] for r in train], label="tests pass rate (train rollouts)"
    )
    ax.plot(
        [r["step"] for r in held], [r["heldout_pass@1"] for r in held], "o-", label="held-out pass@1 (greedy)"
    )
    ax.set_xlabel("RL step")
    ax.set_ylim(0, max(1.5, max((r["reward_mean"] for r in train), default=1) + 0.1))
    ax.set_title("GRPO on generated C++ completion tasks (tiny GPT, CPU)")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cppllm.train.rl.demo", description=__doc__.split("\n")[0])
    p.add_argument("--out", default="runs/rl-demo", help="folder for data, runs and the curve")
    p.add_argument("--pretrain-steps", type=int, default=80, help="pretrain steps")
    p.add_argument("--sft-steps", type=int, default=20, help="SFT steps")
    p.add_argument("--rl-steps", type=int, default=40, help="RL steps")
    p.add_argument("--model", action="append", default=["n_layer=2", "n_embd=128", "n_head=4", "n_kv_head=4"],
                   help="model override KEY=VALUE (repeatable)")  # fmt: skip
    p.add_argument("--png", help="also copy the curve here (e.g. docs/rl_demo.png)")
    args = p.parse_args(argv)
    from cppllm.train.__main__ import main as train_main
    from cppllm.train.rl.complete import write_tasks

    out = Path(args.out)
    t0 = time.perf_counter()
    tasks = out / "tasks"
    write_tasks(tasks, n_train=400, n_heldout=40, seed=0)
    data = out / "data"
    build_pretrain_data(data, _corpus(tasks), vocab_size=512)
    model = [x for kv in args.model for x in ("--model", kv)]
    common = ["--optimizer", "adamw", "--no-progress", "--device", "cpu", "--keep-ckpts", "1"]
    steps = {}

    def run(name: str, argv: list[str]) -> None:
        t = time.perf_counter()
        if train_main(argv + common) != 0:
            raise SystemExit(f"{name} failed")
        steps[name] = round(time.perf_counter() - t, 1)
        print(f"[rl-demo] {name}: {steps[name]} s", file=sys.stderr)

    run("pretrain", ["--data", str(data), "--out", str(out / "base"), "--steps", str(args.pretrain_steps),
                     "--seq-len", "256", "--batch-tokens", str(8 * 256), "--matrix-lr", "3e-3", "--val-tokens", "4096",
                     *model])  # fmt: skip
    run("sft", ["--stage", "sft", "--init-from", str(out / "base"), "--data", str(tasks / "sft"),
                "--out", str(out / "sft"), "--steps", str(args.sft_steps), "--batch-tokens", str(16 * 256),
                "--seq-len", "256", "--matrix-lr", "3e-3", "--val-tokens", "4096"])  # fmt: skip
    run("rl", ["--stage", "rl", "--init-from", str(out / "sft"), "--tasks", f"complete:{tasks}",
               "--out", str(out / "rl"), "--steps", str(args.rl_steps), "--seq-len", "256",
               "--batch-tokens", str(16 * 256), "--tasks-per-step", "8", "--group-size", "8",
               "--max-new-tokens", "48", "--matrix-lr", "5e-4", "--embed-lr", "5e-4", "--head-lr", "5e-4",
               "--max-draws", "2",
               "--warmup-frac", "0", "--decay-frac", "0", "--eval-every", "10"])  # fmt: skip
    plot(out / "rl" / "metrics.jsonl", out / "curve.png")
    if args.png:
        plot(out / "rl" / "metrics.jsonl", Path(args.png))
    ev = json.loads((out / "rl" / "eval.json").read_text())
    recs = [json.loads(x) for x in (out / "rl" / "metrics.jsonl").read_text().splitlines() if x.strip()]
    train = [r for r in recs if "reward_mean" in r]
    k = max(1, len(train) // 5)
    summary = {
        "reward_mean_first_steps": float(np.mean([r["reward_mean"] for r in train[:k]])),
        "reward_mean_last_steps": float(np.mean([r["reward_mean"] for r in train[-k:]])),
        "pass_rate_first_steps": float(np.mean([r["pass_rate"] for r in train[:k]])),
        "pass_rate_last_steps": float(np.mean([r["pass_rate"] for r in train[-k:]])),
        "heldout_pass@1_before": ev["before"]["pass@1"],
        "heldout_pass@1_after": ev["after"]["pass@1"],
        "averaged_over_steps": k,
        "seconds": steps | {"total": round(time.perf_counter() - t0, 1)},
    }
    write_text(out / "summary.json", json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
