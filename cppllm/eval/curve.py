"""Compile rate against training steps, next to bigram/unigram baselines and the reference ceiling.

    python -m cppllm.eval.curve --run runs/demo-long [--data data/demo-long] [--samples 48]

One prompt set is chosen once (held-out files, checked in their tree's build context, kept where the real
continuation compiles: `cppllm.eval.context`), then every checkpoint `RUN/ckpt/step_*` completes it with
the same sampling settings and seed, and so does a bigram model of the same training split
(`cppllm.eval.ngram`) and a unigram model, measured in the same run. Every point is tested against the
baselines on the same prompts (`compare`: one-sided Fisher's exact test, and the exact McNemar test on the
prompts where the two disagree); the verdict is read at the last checkpoint only (fixed in advance, so the
earlier points are descriptive, not a search for the best p-value): its 95% interval excludes 0 and
Fisher's p < 0.05 against the bigram. Writes `RUN/compile_curve.json` after every point (a rerun skips the
points already measured, so it can follow a training run that is still going) and `RUN/compile_curve.png`.
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


ALPHA = 0.05
BASELINES = ("bigram", "unigram")


def _point(section: dict[str, Any]) -> dict[str, Any]:
    keep = ("n", "ok", "rate", "ci95", "errors", "ends", "by_kind", "oks")
    return {k: section[k] for k in keep if k in section}


def compare(model_oks: list[bool], baseline_oks: list[bool], *, alpha: float = ALPHA) -> dict[str, Any]:
    """One-sided tests that the model compiles more often than a baseline on the same prompts.

    `p_fisher`: Fisher's exact test on the 2x2 table of compiles/fails (as if the two were independent
    samples: conservative here). `p_mcnemar`: exact McNemar test, a binomial test on the prompts where
    exactly one of the two compiles (uses the pairing). `above`: `p_fisher < alpha`.
    """
    from scipy.stats import binomtest, fisher_exact

    if len(model_oks) != len(baseline_oks):
        raise ValueError(f"not the same prompts: {len(model_oks)} vs {len(baseline_oks)} results")
    n, a, b = len(model_oks), sum(model_oks), sum(baseline_oks)
    _, p_fisher = fisher_exact([[a, n - a], [b, n - b]], alternative="greater")
    only_model = sum(m and not x for m, x in zip(model_oks, baseline_oks, strict=True))
    only_base = sum(x and not m for m, x in zip(model_oks, baseline_oks, strict=True))
    disc = only_model + only_base
    p_mcnemar = binomtest(only_model, disc, 0.5, alternative="greater").pvalue if disc else 1.0
    return {
        "n": n,
        "model_ok": a,
        "baseline_ok": b,
        "only_model": only_model,
        "only_baseline": only_base,
        "p_fisher": float(p_fisher),
        "p_mcnemar": float(p_mcnemar),
        "alpha": alpha,
        "above": bool(p_fisher < alpha),
    }


def add_tests(curve: dict[str, Any]) -> dict[str, Any] | None:
    """Test every point against the baselines (`vs_bigram`, `vs_unigram`) and set `curve["verdict"]`:
    the last checkpoint's interval excludes 0 and it is above the bigram (Fisher, one-sided, 5%)."""
    for pt in curve.get("steps", {}).values():
        for key in BASELINES:
            base = curve.get(key, {})
            if "oks" in pt and "oks" in base:
                pt[f"vs_{key}"] = compare(pt["oks"], base["oks"])
    last = max(curve.get("steps", {}).values(), key=lambda p: p["step"], default=None)
    if last is None or "vs_bigram" not in last:
        curve.pop("verdict", None)
        return None
    verdict = {
        "step": last["step"],
        "ok": last["ok"],
        "n": last["n"],
        "ci95": last["ci95"],
        "ci95_excludes_zero": last["ci95"][0] > 0,
        **{f"vs_{k}": last[f"vs_{k}"] for k in BASELINES if f"vs_{k}" in last},
    }
    verdict["shown"] = verdict["ci95_excludes_zero"] and verdict["vs_bigram"]["above"]
    curve["verdict"] = verdict
    return verdict


def verdict_line(v: dict[str, Any]) -> str:
    """The verdict in one sentence (the CLI, the demo headline and the report print it)."""
    lo, hi = v["ci95"]
    parts = [f"step {v['step']}: {v['ok']}/{v['n']} compile [95% CI {lo:.1%}, {hi:.1%}]"]
    for key in BASELINES:
        t = v.get(f"vs_{key}")
        if t:
            parts.append(
                f"vs {key} {t['baseline_ok']}/{t['n']}: Fisher p={t['p_fisher']:.2g}, "
                f"McNemar p={t['p_mcnemar']:.2g} ({t['only_model']} prompts only the model, "
                f"{t['only_baseline']} only the {key})"
            )
    shown = "shown" if v["shown"] else "NOT shown"
    return "; ".join(parts) + f". Above zero and above the bigram at 95%: {shown}."


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
    for key, style, ls, label in (
        ("bigram", "tab:red", "--", "bigram baseline"),
        ("unigram", "tab:orange", ":", "unigram baseline"),
        ("reference", "tab:gray", "--", "reference ceiling"),
    ):
        s = curve.get(key)
        if s and s.get("rate") is not None:
            ax.axhline(s["rate"], color=style, ls=ls, label=f"{label} {s['ok']}/{s['n']}")
            if key == "bigram":
                ax.axhspan(s["ci95"][0], s["ci95"][1], color=style, alpha=0.1)
    ax.set(
        xlabel="training step",
        ylabel="share of completions compiling",
        xlim=(0, max([p["step"] for p in pts], default=1) * 1.05),
        ylim=(0, 1.05),
        title=f"compile rate in build context ({curve['n_prompts']} held-out prompts)",
    )
    v = curve.get("verdict")
    if v:
        t = v["vs_bigram"]
        ax.text(
            0.99,
            0.02,
            f"step {v['step']} vs bigram: Fisher p={t['p_fisher']:.2g}, McNemar p={t['p_mcnemar']:.2g}",
            transform=ax.transAxes,
            ha="right",
            fontsize=8,
        )
    ax.legend(loc="upper left", fontsize=8)
    _save(fig, path)


def _select_prompts(args, run: Path, paths: dict, tok, checker, curve: dict[str, Any]) -> list:
    """The curve's prompts, each compiling in its build context; chosen once and kept next to the curve.

    The selection (minutes of reference compiles in a big tree) is kept, so a rerun that follows the
    training run measures the new checkpoints only. Empty (with the reason printed) when none compiles."""
    import numpy as np

    from cppllm.eval.__main__ import _with_metadata
    from cppllm.eval.context import select_in_context, with_context
    from cppllm.eval.prompts import Prompt, cut_prompts, load_heldout

    prompts_path = run / "compile_curve_prompts.json"
    key = {k: getattr(args, k) for k in ("samples", "seed", "pool", "max_docs")} | {"val": str(paths["val"])}
    cached = json.loads(prompts_path.read_text()) if prompts_path.is_file() else {}
    if cached.get("key") == key and "selection" in curve:
        prompts = [Prompt(**{**d, "flags": tuple(d["flags"])}) for d in cached["prompts"]]
        print(f"[curve] {len(prompts)} prompts chosen before ({prompts_path})", file=sys.stderr)
        return prompts
    docs, counts = load_heldout(paths["val"], tok.decode, max_docs=args.max_docs)
    docs = _with_metadata(docs, paths["val"], counts)
    pool, contexts = with_context(cut_prompts(docs, args.samples * args.pool, seed=args.seed), docs)
    order = np.random.default_rng(args.seed).permutation(len(pool))
    prompts, picked = select_in_context([pool[i] for i in order], args.samples, checker, jobs=args.jobs)
    if not prompts:
        print(f"error: no prompt compiles in context: {picked}", file=sys.stderr)
        return []
    curve.update(heldout=counts, selection={"contexts": dict(contexts), **picked})
    write_text(prompts_path, json.dumps({"key": key, "prompts": [q.to_dict() for q in prompts]}))
    print(f"[curve] {len(prompts)} prompts; selection {picked}", file=sys.stderr)
    return prompts


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

    import torch

    from cppllm.eval.__main__ import _SafeDecode, resolve_inputs
    from cppllm.eval.completion import ModelCompleter, evaluate_compile
    from cppllm.eval.ngram import BigramCompleter, UnigramCompleter
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
    checker = CompileChecker()
    try:
        prompts = _select_prompts(args, run, paths, tok, checker, curve)
        if not prompts:
            return 1
        curve["n_prompts"] = len(prompts)

        def measure(completer) -> dict[str, Any]:
            section = evaluate_compile(
                prompts,
                completer,
                checker,
                max_new_tokens=args.max_new_tokens,
                seed=args.seed,
                reference=False,
                keep_samples=len(prompts),  # every prompt's result, in prompt order: the paired tests
                jobs=args.jobs,
            )
            section["oks"] = [s["ok"] for s in section["samples"]]
            section["samples"] = section["samples"][:4]
            return section

        def save() -> None:
            add_tests(curve)
            write_text(out_path, json.dumps(curve, indent=2))
            plot_curve(curve, run / "compile_curve.png")

        if "reference" not in curve:
            from cppllm.eval.completion import rate_summary
            from cppllm.eval.context import reference_unit

            refs = checker.check_many(
                [reference_unit(q) for q in prompts], jobs=args.jobs, flags=[q.flags for q in prompts]
            )
            curve["reference"] = rate_summary([r.ok for r in refs], [r.category for r in refs])
        for key, cls in (("bigram", BigramCompleter), ("unigram", UnigramCompleter)):
            if "oks" in curve.get(key, {}):  # a point from before the paired tests is measured again
                continue
            t0 = time.time()
            baseline = cls(IndexedReader(paths["train"]).tokens, tok)
            curve[key] = {**_point(measure(baseline)), "train_tokens": baseline.train_tokens}
            print(
                f"[curve] {key} baseline {curve[key]['ok']}/{curve[key]['n']} ({time.time() - t0:.0f} s)",
                file=sys.stderr,
            )
            save()
        ckpts = checkpoints(run)
        todo = [c for i, c in enumerate(ckpts) if i % args.every == 0 or i == len(ckpts) - 1]
        for step, folder in todo:
            if "oks" in curve["steps"].get(str(step), {}):
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
    if curve.get("verdict"):
        print(f"[curve] {verdict_line(curve['verdict'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
