"""Compile rate against training steps, next to a bigram baseline and the reference ceiling.

    python -m cppllm.eval.curve --run runs/demo-long [--data data/demo-long] [--samples 48]

One prompt set is chosen once (held-out files, checked in their tree's build context, kept where the real
continuation compiles: `cppllm.eval.context`), then every checkpoint `RUN/ckpt/step_*` completes it with
the same sampling settings and seed, and so does a bigram model of the same training split
(`cppllm.eval.ngram`), measured in the same run. Writes `RUN/compile_curve.json` after every point (a
rerun skips the points already measured, so it can follow a training run that is still going) and
`RUN/compile_curve.png`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from cppllm.atomic import write_text


def checkpoints(run: Path) -> list[tuple[int, Path]]:
    """(step, folder) of every complete `RUN/ckpt/step_*` checkpoint, by step."""
    out = []
    for d in sorted((run / "ckpt").glob("step_*")):
        cfg = d / "config.json"
        if cfg.is_file() and any((d / f).is_file() for f in ("model.safetensors", "model.pt")):
            out.append((int(d.name.split("_")[1]), d))
    return sorted(out)


def _point(section: dict[str, Any]) -> dict[str, Any]:
    keep = ("n", "ok", "rate", "ci95", "errors", "ends", "by_kind")
    return {k: section[k] for k in keep if k in section}


def plot_curve(curve: dict[str, Any], path: Path) -> None:
    from cppllm.eval.report import _plt, _save

    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    pts = sorted(curve["steps"].values(), key=lambda p: p["step"])
    if pts:
        xs = [p["step"] for p in pts]
        ys = [p["rate"] for p in pts]
        err = [[p["rate"] - p["ci95"][0] for p in pts], [p["ci95"][1] - p["rate"] for p in pts]]
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=4, color="tab:green", label="model (95% CI)")
    for key, style, label in (
        ("bigram", "tab:red", "bigram baseline"),
        ("reference", "tab:gray", "reference ceiling"),
    ):
        s = curve.get(key)
        if s and s.get("rate") is not None:
            ax.axhline(s["rate"], color=style, ls="--", label=f"{label} {s['ok']}/{s['n']}")
            if key == "bigram":
                ax.axhspan(s["ci95"][0], s["ci95"][1], color=style, alpha=0.1)
    ax.set(
        xlabel="training step",
        ylabel="share of completions compiling",
        ylim=(0, 1.05),
        title=f"compile rate in build context ({curve['n_prompts']} held-out prompts)",
    )
    ax.legend(loc="upper left", fontsize=8)
    _save(fig, path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cppllm.eval.curve", description=__doc__.split("\n")[0])
    p.add_argument("--run", required=True, help="run folder with ckpt/step_* checkpoints")
    p.add_argument("--data", help="pipeline output folder (default: from the run's config.json)")
    p.add_argument("--tokenizer", help="tokenizer folder (default: from the run or the data folder)")
    p.add_argument("--samples", type=int, default=48, help="prompts (one completion each per point)")
    p.add_argument("--max-new-tokens", type=int, default=96, help="sampled tokens per completion")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature")
    p.add_argument("--top-p", type=float, default=0.95, help="nucleus sampling mass")
    p.add_argument("--pool", type=int, default=6, help="candidate prompts per kept one")
    p.add_argument("--max-docs", type=int, default=2000, help="held-out documents decoded for prompts")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel compiler jobs")
    p.add_argument("--seed", type=int, default=0, help="prompt selection and sampling seed")
    p.add_argument("--every", type=int, default=1, help="measure every k-th checkpoint (the last always)")
    args = p.parse_args(argv)

    import numpy as np
    import torch

    from cppllm.eval.__main__ import _SafeDecode, _with_metadata, resolve_inputs
    from cppllm.eval.completion import ModelCompleter, evaluate_compile
    from cppllm.eval.context import select_in_context, with_context
    from cppllm.eval.ngram import BigramCompleter
    from cppllm.eval.prompts import cut_prompts, load_heldout
    from cppllm.eval.syntax_check import CompileChecker
    from cppllm.model.checkpoint import load_checkpoint_model
    from cppllm.pipeline.pretokenize.indexed import IndexedReader
    from cppllm.tokenizer.tokenizer import CppTokenizer

    run = Path(args.run)
    paths = resolve_inputs(
        argparse.Namespace(run=str(run), ckpt=None, data=args.data, tokenizer=args.tokenizer)
    )
    if paths["val"] is None or paths["tokenizer"] is None:
        print(f"error: no val split or tokenizer found for {run} (pass --data)", file=sys.stderr)
        return 2
    out_path = run / "compile_curve.json"
    settings = {k: getattr(args, k) for k in ("samples", "max_new_tokens", "temperature", "top_p", "seed")}
    curve: dict[str, Any] = json.loads(out_path.read_text()) if out_path.is_file() else {}
    if curve.get("settings") != settings:
        curve = {"settings": settings, "steps": {}}
    tok = CppTokenizer.load(paths["tokenizer"])
    counts: dict[str, Any] = {}
    docs, counts = load_heldout(paths["val"], tok.decode, max_docs=args.max_docs)
    docs = _with_metadata(docs, paths["val"], counts)
    checker = CompileChecker()
    try:
        pool, contexts = with_context(cut_prompts(docs, args.samples * args.pool, seed=args.seed), docs)
        order = np.random.default_rng(args.seed).permutation(len(pool))
        prompts, picked = select_in_context([pool[i] for i in order], args.samples, checker, jobs=args.jobs)
        if not prompts:
            print(f"error: no prompt compiles in context: {picked}", file=sys.stderr)
            return 1
        curve.update(n_prompts=len(prompts), heldout=counts, selection={"contexts": dict(contexts), **picked})
        print(f"[curve] {len(prompts)} prompts; selection {picked}", file=sys.stderr)

        def measure(completer) -> dict[str, Any]:
            return evaluate_compile(
                prompts,
                completer,
                checker,
                max_new_tokens=args.max_new_tokens,
                seed=args.seed,
                reference=False,
                keep_samples=4,
                jobs=args.jobs,
            )

        def save() -> None:
            write_text(out_path, json.dumps(curve, indent=2))
            plot_curve(curve, run / "compile_curve.png")

        if "reference" not in curve:
            from cppllm.eval.completion import rate_summary
            from cppllm.eval.context import reference_unit

            refs = checker.check_many(
                [reference_unit(q) for q in prompts], jobs=args.jobs, flags=[q.flags for q in prompts]
            )
            curve["reference"] = rate_summary([r.ok for r in refs], [r.category for r in refs])
        if "bigram" not in curve:
            t0 = time.time()
            bigram = BigramCompleter(IndexedReader(paths["train"]).tokens, tok)
            curve["bigram"] = {**_point(measure(bigram)), "train_tokens": bigram.train_tokens}
            print(
                f"[curve] bigram baseline {curve['bigram']['ok']}/{curve['bigram']['n']} "
                f"({time.time() - t0:.0f} s)",
                file=sys.stderr,
            )
            save()
        ckpts = checkpoints(run)
        todo = [c for i, c in enumerate(ckpts) if i % args.every == 0 or i == len(ckpts) - 1]
        for step, folder in todo:
            if str(step) in curve["steps"]:
                continue
            t0 = time.time()
            model = load_checkpoint_model(folder)
            completer = ModelCompleter(
                model, _SafeDecode(tok), temperature=args.temperature, top_p=args.top_p
            )
            with torch.inference_mode():
                section = measure(completer)
            curve["steps"][str(step)] = {"step": step, **_point(section), "samples": section["samples"]}
            print(
                f"[curve] step {step}: {section['ok']}/{section['n']} compile ({time.time() - t0:.0f} s)",
                file=sys.stderr,
            )
            save()
        save()
    finally:
        checker.close()
    print(f"[curve] wrote {out_path} and {run / 'compile_curve.png'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
