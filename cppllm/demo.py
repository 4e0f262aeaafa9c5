"""`make demo`: the whole job on the embedded corpus, on CPU, in minutes.

    python -m cppllm.demo [--fresh] [--data data/demo] [--run runs/demo]

Stages, each skipped when its output is already complete (so a rerun is fast; `--fresh` starts over):

1. data       `python -m pipelines.m0` on a deterministic subset of the embedded corpus (your g++'s
              libstdc++ headers and torch's C++ headers): read, normalize, filters, PII/secrets, license,
              exact dedup, tokenizer training, FIM `.bin/.idx`.
2. tokenizer  efficiency report against tiktoken's encodings (bytes/token on held-out files).
3. train      the `tiny` preset for a few hundred steps, with val bits-per-byte along the way.
4. eval       bits per byte vs a unigram baseline, compile rate, FIM, samples.
5. report     `runs/demo/report.md` with plots.

`--long` (`make demo-long`, about an hour on 2 cores) is the CPU recipe for a model that writes C++ that
compiles: a larger corpus subset, `LONG_STEPS` training steps with every checkpoint kept, and one more
stage before the report,
   curve      compile rate of every checkpoint on one set of held-out prompts checked in their tree's build
              context, next to bigram and unigram baselines of the same data, with the last checkpoint
              tested against them (`cppllm.eval.curve`): `compile_curve.{json,png}`.
Its outputs go to `data/demo-long` and `runs/demo-long`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cppllm.eval import tasks as eval_tasks
from cppllm.eval.tasks import DEFAULT_TASKS


@dataclass(frozen=True, kw_only=True)
class DemoConfig:
    data: Path
    run: Path
    max_bytes: int = 6_000_000
    vocab_size: int = 8192
    steps: int = 200
    compile_samples: int = 24
    fim_samples: int = 12
    tasks: int = 2
    val_fraction: float = 0.05  # a few repositories more than M0's 1%: enough eval prompts
    ckpt_every: int | None = None  # None: steps // 3
    keep_ckpts: int = 2  # 0: all (the long recipe's curve evaluates every checkpoint)
    long: bool = False

    @property
    def tokenizer_report(self) -> Path:
        return self.run / "tokenizer_report"


@dataclass(frozen=True, kw_only=True)
class Stage:
    name: str
    done: Callable[[DemoConfig], bool]
    run: Callable[[DemoConfig], int]
    artefact: Callable[[DemoConfig], Path]


def _data(c: DemoConfig) -> int:
    from pipelines.m0 import main

    return main(
        [
            "--output", str(c.data),
            "--max-bytes", str(c.max_bytes),
            "--tasks", str(c.tasks),
            "--workers", str(c.tasks),
            "--vocab-size", str(c.vocab_size),
            "--val-fraction", str(c.val_fraction),
        ]
    )  # fmt: skip


def _tokenizer_report(c: DemoConfig) -> int:
    from cppllm.tokenizer.report import main

    return main(
        ["--tokenizer", str(c.data / "tokenizer"), "--data", str(c.data), "--out", str(c.tokenizer_report)]
    )


def _train(c: DemoConfig) -> int:
    from cppllm.train.__main__ import main

    args = [
        "--preset", "tiny",
        "--data", str(c.data),
        "--out", str(c.run),
        "--steps", str(c.steps),
        "--eval-every", str(max(1, c.steps // 6)),
        "--ckpt-every", str(c.ckpt_every or max(1, c.steps // 3)),
        "--keep-ckpts", str(c.keep_ckpts),
        "--resume", "auto",  # an interrupted demo continues from its last complete checkpoint
    ]  # fmt: skip
    return main(args)


def _eval(c: DemoConfig) -> int:
    from cppllm.eval.__main__ import main

    return main(
        [
            "--run", str(c.run),
            "--data", str(c.data),
            "--tasks", ",".join(DEFAULT_TASKS),
            "--compile-samples", str(c.compile_samples),
            "--fim-samples", str(c.fim_samples),
            "--max-new-tokens", "96",
            "--bpb-tokens", "65536",
        ]
    )  # fmt: skip


def _report(c: DemoConfig) -> int:
    from cppllm.eval.report import main

    return main(
        ["--run", str(c.run), "--tokenizer-report", str(c.tokenizer_report / "tokenizer_report.json")]
    )


def _curve(c: DemoConfig) -> int:
    from cppllm.eval.curve import main

    return main(["--run", str(c.run), "--data", str(c.data), "--samples", str(c.compile_samples)])


def _curve_done(c: DemoConfig) -> bool:
    from cppllm.eval.curve import checkpoints

    path = c.run / "compile_curve.json"
    if not path.is_file():
        return False
    curve = json.loads(path.read_text())
    measured = curve.get("steps", {})  # a point from before the paired tests (no "oks") is not done
    return "verdict" in curve and all("oks" in measured.get(str(step), {}) for step, _ in checkpoints(c.run))


def _train_done(c: DemoConfig) -> bool:
    cfg = c.run / "config.json"
    metrics = c.run / "metrics.jsonl"
    if not (cfg.is_file() and metrics.is_file()):
        return False
    steps = [json.loads(ln).get("step", 0) for ln in metrics.read_text().splitlines() if ln.strip()]
    return bool(steps) and max(steps) >= c.steps and (c.run / "ckpt").is_dir()


def _eval_done(c: DemoConfig) -> bool:
    path = c.run / "eval.json"  # written after every task, so check that all of them are in
    return path.is_file() and all(t in json.loads(path.read_text()) for t in DEFAULT_TASKS)


STAGES = (
    Stage(
        name="data",
        done=lambda c: (c.data / "stats.json").is_file() and (c.data / "bin" / "val.idx").is_file(),
        run=_data,
        artefact=lambda c: c.data,
    ),
    Stage(
        name="tokenizer report",
        done=lambda c: (c.tokenizer_report / "tokenizer_report.json").is_file(),
        run=_tokenizer_report,
        artefact=lambda c: c.tokenizer_report / "tokenizer_report.md",
    ),
    Stage(name="train", done=_train_done, run=_train, artefact=lambda c: c.run / "metrics.jsonl"),
    Stage(
        name="eval",
        done=_eval_done,
        run=_eval,
        artefact=lambda c: c.run / "eval.json",
    ),
    Stage(
        name="report",
        done=lambda c: (c.run / "report.md").is_file(),
        run=_report,
        artefact=lambda c: c.run / "report.md",
    ),
)


CURVE = Stage(name="curve", done=_curve_done, run=_curve, artefact=lambda c: c.run / "compile_curve.png")

# The long recipe: ~60 min on 2 dedicated cores (see README "make demo-long"); measured figures there.
LONG_STEPS = 1000
LONG = {
    "max_bytes": 20_000_000,
    "steps": LONG_STEPS,
    "ckpt_every": 250,
    "keep_ckpts": 0,
    "val_fraction": 0.1,
    "compile_samples": 48,
}


def headline(c: DemoConfig) -> str:
    """One line of headline numbers from the artefacts."""
    parts = []
    if (c.run / "eval.json").is_file():
        ev = json.loads((c.run / "eval.json").read_text())
        parts += [eval_tasks.headline(t, ev[t]) for t in DEFAULT_TASKS if t in ev]
    rep = c.tokenizer_report / "tokenizer_report.json"
    if rep.is_file():
        goals = json.loads(rep.read_text()).get("goals", {})
        parts += [
            f"tokenizer {g['ratio']:.2f}x fewer tokens than {name}"
            for name, g in goals.items()
            if g.get("ratio") is not None
        ]
    curve = c.run / "compile_curve.json"
    if curve.is_file():
        from cppllm.eval.curve import verdict_line

        cv = json.loads(curve.read_text())
        if cv.get("verdict"):
            parts.append(f"compile rate in context, {verdict_line(cv['verdict'])}")
    return "; ".join(parts) or "no numbers yet"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cppllm.demo", description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=Path("data/demo"), help="pipeline output folder")
    p.add_argument("--run", type=Path, default=Path("runs/demo"), help="training run folder")
    p.add_argument("--fresh", action="store_true", help="delete earlier demo outputs and start over")
    p.add_argument("--max-bytes", type=int, default=DemoConfig.max_bytes, help="corpus subset size")
    p.add_argument("--steps", type=int, default=DemoConfig.steps, help="training steps of the tiny model")
    p.add_argument("--vocab-size", type=int, default=DemoConfig.vocab_size, help="tokenizer vocabulary")
    p.add_argument(
        "--long",
        action="store_true",
        help=f"the ~1 h CPU recipe: {LONG_STEPS} steps, every checkpoint's compile rate (data/demo-long)",
    )
    args = p.parse_args(argv)
    given = {k: getattr(args, k) for k in ("max_bytes", "steps") if getattr(args, k) != p.get_default(k)}
    if args.long:
        data = args.data if args.data != p.get_default("data") else Path("data/demo-long")
        run = args.run if args.run != p.get_default("run") else Path("runs/demo-long")
        c = DemoConfig(data=data, run=run, vocab_size=args.vocab_size, long=True, **(LONG | given))
    else:
        c = DemoConfig(
            data=args.data,
            run=args.run,
            max_bytes=args.max_bytes,
            steps=args.steps,
            vocab_size=args.vocab_size,
        )
    if args.fresh:
        for d in (c.data, c.run):
            shutil.rmtree(d, ignore_errors=True)
    t_all = time.monotonic()
    # the long recipe measures its curve before the report, so that the report shows it
    for stage in (*STAGES[:-1], CURVE, STAGES[-1]) if c.long else STAGES:
        if stage.done(c):
            print(f"[demo] {stage.name}: already complete, skipped ({stage.artefact(c)})", flush=True)
            continue
        print(f"[demo] {stage.name} ...", flush=True)
        t0 = time.monotonic()
        rc = stage.run(c)
        if rc != 0 or not stage.done(c):
            print(f"[demo] {stage.name} failed (exit {rc}); rerun `make demo` to resume", file=sys.stderr)
            return rc or 1
        print(
            f"[demo] {stage.name}: done in {time.monotonic() - t0:.0f} s -> {stage.artefact(c)}", flush=True
        )
    print(f"[demo] finished in {time.monotonic() - t_all:.0f} s")
    print(f"[demo] data: {c.data}  run: {c.run}  report: {c.run / 'report.md'}")
    print(f"[demo] {headline(c)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
