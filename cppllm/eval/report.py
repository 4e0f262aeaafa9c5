"""`python -m cppllm.eval.report --run runs/NAME`: `runs/NAME/report.md` with PNG plots.

Reads what the run already wrote: `metrics.jsonl` (training loss, val bits per byte), `eval.json`
(`python -m cppllm.eval`), and the tokenizer efficiency record `tokenizer_report.json`
(`python -m cppllm.tokenizer.report`, looked for next to the run, the tokenizer and the data). Without that
record the efficiency bars are measured here, on held-out documents of the val split, against the tiktoken
encodings available offline (`cppllm.tokenizer.baselines`). Sections whose inputs are missing say so.

Plots (matplotlib, Agg backend): `training.png` (loss and val bpb against step, unigram baseline line),
`tokenizer.png` (bytes per token), `compile.png` (compile rate with its 95% interval, reference rate, error
categories), `fim.png` (exact match / edit similarity per mode and span kind).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cppllm.atomic import atomic_path, write_text
from cppllm.eval.sandbox import describe
from cppllm.eval.tasks import TASKS

CAT_ORDER = ("syntax", "undeclared", "type", "template", "incomplete", "redefinition", "missing_include")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110)
    _plt().close(fig)


def read_metrics(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text().splitlines():
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by a killed run
    return rows


def plot_training(metrics: list[dict[str, Any]], path: Path, unigram: float | None = None) -> dict[str, Any]:
    """Loss and val bpb curves; returns the first/last values for the text."""
    loss = [(m["step"], m["loss"]) for m in metrics if m.get("loss") is not None]
    bpb = [(m["step"], m["val_bpb"]) for m in metrics if m.get("val_bpb") is not None]
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    if loss:
        axes[0].plot(*zip(*loss, strict=True), lw=1)
    axes[0].set(title="training loss", xlabel="step", ylabel="cross-entropy (nats/token)")
    if bpb:
        axes[1].plot(*zip(*bpb, strict=True), marker="o", ms=3, label="model")
    if unigram is not None:
        axes[1].axhline(unigram, color="gray", ls="--", label=f"unigram baseline {unigram:.2f}")
    axes[1].set(title="validation bits per byte", xlabel="step", ylabel="bits / byte")
    axes[1].legend()
    _save(fig, path)
    return {
        "steps": max((m.get("step", 0) for m in metrics), default=0),
        "loss": (loss[0][1], loss[-1][1]) if loss else None,
        "val_bpb": (bpb[0][1], bpb[-1][1]) if bpb else None,
    }


def find_tokenizer_report(*dirs: Path | None) -> Path | None:
    for d in dirs:
        if d is None:
            continue
        for cand in (d / "tokenizer_report.json", d / "tokenizer" / "tokenizer_report.json"):
            if cand.is_file():
                return cand
    return None


def measure_tokenizers(tokenizer_dir: Path, val_prefix: Path, max_bytes: int = 500_000) -> dict[str, Any]:
    """Bytes per token of ours and the offline tiktoken baselines on held-out val documents (FIM ones put back in order)."""
    from cppllm.eval.prompts import load_heldout
    from cppllm.tokenizer.baselines import load_baselines
    from cppllm.tokenizer.tokenizer import CppTokenizer

    tok = CppTokenizer.load(tokenizer_dir)
    docs, _ = load_heldout(val_prefix, tok.decode)
    texts, total = [], 0
    for d in docs:
        if total >= max_bytes:
            break
        texts.append(d.text)
        total += len(d.text.encode())
    if not texts:
        raise ValueError(f"no held-out documents in {val_prefix}")
    rows = [{"name": "cppllm (ours)", "bytes_per_token": {"heldout": total / tok.count_tokens(texts)}}]
    for b in load_baselines():
        bpt = total / b.count_tokens(texts) if b.available else None
        rows.append({"name": b.name, "bytes_per_token": {"heldout": bpt}, "source": b.source})
    return {"rows": rows, "bytes": {"heldout": total}, "measured_by": "cppllm.eval.report"}


def plot_tokenizer(record: dict[str, Any], path: Path) -> list[tuple[str, float | None]]:
    sets = list(record.get("bytes", {}) or {"normalized": 1})
    key = "normalized" if "normalized" in sets else sets[0]
    bars = [(r["name"], (r.get("bytes_per_token") or {}).get(key)) for r in record["rows"]]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(1.4 * len(bars) + 2, 3.6))
    names = [n for n, _ in bars]
    vals = [v or 0 for _, v in bars]
    colors = ["tab:orange" if i == 0 else "tab:blue" for i in range(len(bars))]
    drawn = ax.bar(names, vals, color=colors)
    ax.bar_label(drawn, labels=[f"{v:.2f}" if v else "missing" for _, v in bars], fontsize=8)
    ax.set(title=f"tokenizer efficiency ({key} held-out C++)", ylabel="bytes per token (higher is better)")
    ax.tick_params(axis="x", rotation=15)
    _save(fig, path)
    return bars


def plot_compile(section: dict[str, Any], path: Path) -> None:
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    labels, rates, errs = [], [], []
    for name, s in [("model", section), ("reference", section.get("reference"))] + [
        (f"model: {k}", v) for k, v in section.get("by_kind", {}).items()
    ]:
        if s and s.get("rate") is not None:
            labels.append(name)
            rates.append(s["rate"])
            errs.append([s["rate"] - s["ci95"][0], s["ci95"][1] - s["rate"]])
    if rates:
        axes[0].bar(labels, rates, yerr=list(zip(*errs, strict=True)), capsize=4, color="tab:green")
    axes[0].set(title="compile rate (95% Wilson interval)", ylim=(0, 1), ylabel="share compiling")
    axes[0].tick_params(axis="x", rotation=15)
    errors = section.get("errors", {})
    cats = sorted(errors, key=lambda c: (CAT_ORDER.index(c) if c in CAT_ORDER else 99, c))
    axes[1].barh(cats, [errors[c] for c in cats], color="tab:red")
    axes[1].set(title="first error of failing completions", xlabel="completions")
    axes[1].invert_yaxis()
    _save(fig, path)


def plot_fim(section: dict[str, Any], path: Path) -> None:
    import numpy as np

    plt = _plt()
    modes = [m for m in ("psm", "spm") if m in section]
    spans = sorted({s for m in modes for s in section[m].get("by_span", {})})
    groups = ["all", *spans]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    x = np.arange(len(groups))
    for ax, metric in zip(axes, ("exact_match", "edit_similarity"), strict=True):
        for i, m in enumerate(modes):
            vals = [section[m][metric] or 0] + [
                section[m]["by_span"].get(s, {}).get(metric, 0) for s in spans
            ]
            ax.bar(x + i * 0.4, vals, 0.4, label=m.upper())
        ax.set_xticks(x + 0.2, groups)
        ax.set(title=metric.replace("_", " "), ylim=(0, 1))
        ax.legend()
    _save(fig, path)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _not_evaluated(result: dict | None) -> list[str]:
    """The report lines for a task that did not run, with its error when it has one."""
    return [f"Not evaluated{': ' + result['error'] if result and 'error' in result else ''}.", ""]


def _code(text: str, limit: int = 1200) -> str:
    text = text[:limit].replace("```", "` ` `")
    return f"```cpp\n{text}\n```"


def longctx_lines(sec: dict[str, Any]) -> list[str]:
    """Bpb per position bucket and identifier recall per distance, this run next to its parent."""
    if "error" in sec:
        return _not_evaluated(sec)
    models = {k: m for k, m in sec["models"].items() if "position_bpb" in m}
    if not models:
        return _not_evaluated(None)
    names = [
        f"{k} (ctx {m['model_max_seq_len']}{', extrapolated' if m['extrapolated'] else ''})"
        for k, m in models.items()
    ]
    md = [
        f"Held-out long documents `{sec['data']}`: {next(iter(models.values()))['documents']} documents tiled "
        f"into {next(iter(models.values())).get('windows', '?')} windows of {sec['ctx']} tokens.",
        "",
        "| positions | " + " | ".join(f"bpb {n}" for n in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    first = next(iter(models.values()))
    for i, b in enumerate(first["position_bpb"]):
        vals = [m["position_bpb"][i]["bpb"] for m in models.values()]
        md.append(
            f"| {b['start']}-{b['end']} | "
            + " | ".join("n/a" if v is None else f"{v:.4f}" for v in vals)
            + " |"
        )
    md += [
        "",
        "Identifier recall (a function defined `distance` tokens back, its name's first characters as the cue; "
        "control: the same prompt without the definition):",
        "",
        "| distance | probes | " + " | ".join(f"recall {n} (control)" for n in names) + " |",
        "|---:|---:|" + "---:|" * len(names),
    ]
    for i, r in enumerate(first["recall"]):
        cells = [
            f"{_pct(m['recall'][i]['recall'])} ({_pct(m['recall'][i]['control'])})" for m in models.values()
        ]
        md.append(f"| {r['distance']} | {r['n']} | " + " | ".join(cells) + " |")
    return [*md, ""]


def _bugfix_section(r: _Run, key: str) -> list[str]:
    """HumanEvalFix-C++ or nullfix (`cppllm.eval.bugfix`): pass@k, outcomes, reasoning rates."""
    sec = r.ev.get(key)
    if not sec or "error" in sec:
        return _not_evaluated(sec)
    line = f"{sec['n_problems']} problems: " + ", ".join(
        f"{k} = {_pct(v)}" for k, v in sec["pass_at_k"].items()
    )
    if key == "nullfix":
        line += (
            f"; reasoning names the faulting line or function in {_pct(sec.get('grounded_reasoning_rate'))}, "
            f"is well formed in {_pct(sec.get('well_formed_reasoning_rate'))} "
            f"(families {', '.join(sec.get('families', []))})"
        )
    return [line + ".", "", "Outcomes: " + ", ".join(f"{k} {v}" for k, v in sec["status"].items()), ""]


def _agentfix_section(r: _Run) -> list[str]:
    """agentfix (`cppllm.agent.bench`): solve rate, steps and calls per task, malformed-call rate."""
    sec = r.ev.get("agentfix")
    if not sec or "error" in sec:
        return _not_evaluated(sec)
    lo, hi = sec["ci95"]
    md = [
        f"{sec['solved']}/{sec['n']} solved = {_pct(sec['solve_rate'])} [95% CI {_pct(lo)}, {_pct(hi)}] within "
        f"{sec['max_steps']} steps; {sec['steps_per_task']:.1f} steps and {sec['tool_calls_per_task']:.1f} tool "
        f"calls per task; malformed calls {_pct(sec['malformed_call_rate'])}.",
        "",
        "Stops: " + ", ".join(f"{k} {v}" for k, v in sec["stops"].items())
        + "; final tests: " + ", ".join(f"{k} {v}" for k, v in sec["final_status"].items()),
        "",
    ]  # fmt: skip
    return md


def _selection_lines(sel: dict[str, Any] | None) -> list[str]:
    """How the compile prompts were chosen: build contexts found, and prompts skipped by reason."""
    if not sel:
        return []
    contexts = ", ".join(f"{k} {v}" for k, v in sel.get("contexts", {}).items())
    line = f"Prompts are checked in their tree's build context (candidates: {contexts or 'none'})."
    if "skipped" in sel:
        skipped = ", ".join(f"{k} {v}" for k, v in sel["skipped"].items()) or "none"
        line += (
            f" Selection checked {sel['checked']} candidate references and kept {sel['kept']} that compile;"
            f" skipped: {skipped}."
        )
    return ["", line]


def _curve_lines(run: Path) -> list[str]:
    """The compile-rate-against-steps section, when `cppllm.eval.curve` has run."""
    path = run / "compile_curve.json"
    if not path.is_file():
        return []
    cv = json.loads(path.read_text())
    md = ["## Compile rate against training steps", ""]
    md += ["| step | compile rate | 95% CI | vs bigram: Fisher p / McNemar p |", "|---:|---:|---|---|"]
    for pt in sorted(cv.get("steps", {}).values(), key=lambda p: p["step"]):
        t = pt.get("vs_bigram")
        test = f"{t['p_fisher']:.2g} / {t['p_mcnemar']:.2g}" if t else "-"
        md.append(
            f"| {pt['step']} | {pt['ok']}/{pt['n']} | {_pct(pt['ci95'][0])} - {_pct(pt['ci95'][1])} | {test} |"
        )
    for key, label in (
        ("bigram", "bigram baseline"),
        ("unigram", "unigram baseline"),
        ("reference", "reference ceiling"),
    ):
        if key in cv:
            b = cv[key]
            md.append(f"| {label} | {b['ok']}/{b['n']} | {_pct(b['ci95'][0])} - {_pct(b['ci95'][1])} | |")
    if cv.get("verdict"):
        from cppllm.eval.curve import verdict_line

        md += ["", f"Verdict (one-sided tests, the last checkpoint): {verdict_line(cv['verdict'])}"]
    md += ["", "![compile curve](compile_curve.png)", ""]
    return md


@dataclass(frozen=True)
class _Run:
    """What every report section reads: the run folder, its eval.json and config.json."""

    run: Path
    ev: dict[str, Any]
    cfg: dict[str, Any]
    tokenizer_report: Path | None = None

    @property
    def meta(self) -> dict[str, Any]:
        return self.ev.get("meta", {})

    @property
    def unigram(self) -> float | None:
        bpb = self.ev.get("bpb", {})
        return bpb.get("unigram_bpb") if "error" not in bpb else None


def _header(r: _Run) -> list[str]:
    meta, cfg = r.meta, r.cfg
    md = [f"# Report: `{r.run.name}`", ""]
    if meta:
        md += [
            f"Checkpoint `{meta.get('checkpoint')}` (step {meta.get('step')}), model `{meta.get('model')}`, "
            f"evaluated on {meta.get('device')} at {meta.get('time')}.",
            "",
        ]
    # meta is rewritten by each eval run; a section written earlier keeps the record it was run under
    sampled = [t for t, task in TASKS.items() if task.runs_model_code]
    sections = [r.ev[t] for t in sampled if isinstance(r.ev.get(t), dict)]
    sandbox = meta.get("sandbox") or next((s["sandbox"] for s in sections if s.get("sandbox")), None)
    if sandbox:
        md += [f"Sandbox: {describe(sandbox)}", ""]
    elif meta:
        md += ["Sandbox: not recorded (no task compiled or ran model output, or an older eval.json).", ""]
    if cfg.get("num_params"):
        md += [f"Parameters: {cfg['num_params']:,}; world size {cfg.get('world_size')}.", ""]
    return md


def _training_section(r: _Run) -> list[str]:
    run = r.run
    md = ["## Training", ""]
    if (run / "metrics.jsonl").is_file():
        t = plot_training(read_metrics(run / "metrics.jsonl"), run / "training.png", r.unigram)
        if t["loss"]:
            md.append(f"- loss {t['loss'][0]:.3f} -> {t['loss'][1]:.3f} over {t['steps']} steps")
        if t["val_bpb"]:
            md.append(f"- val bits per byte {t['val_bpb'][0]:.3f} -> {t['val_bpb'][1]:.3f}")
        md += ["", "![training](training.png)", ""]
    else:
        md += ["No `metrics.jsonl` in the run folder: training curves skipped.", ""]
    return md


def _bpb_section(r: _Run) -> list[str]:
    bpb, unigram, cfg = r.ev.get("bpb", {}), r.unigram, r.cfg
    md: list[str] = []
    if bpb and "error" not in bpb:
        md += [
            "| model | unigram baseline | val tokens | val bytes |",
            "|---:|---:|---:|---:|",
            f"| {bpb['bpb']:.4f} | {unigram:.4f} | {bpb['tokens']:,} | {bpb['bytes']:,} |"
            if unigram is not None
            else f"| {bpb['bpb']:.4f} | n/a | {bpb['tokens']:,} | {bpb['bytes']:,} |",
            "",
        ]
        from cppllm.eval.nanochat_ref import comparison_lines  # M1: bpb next to English nanochat's

        md += comparison_lines(bpb["bpb"], cfg.get("num_params"))
    else:
        md += _not_evaluated(bpb)
    return md


def _tokenizer_section(r: _Run) -> list[str]:
    run, meta = r.run, r.meta
    md = ["## Tokenizer efficiency", ""]
    tok_dir = Path(meta["tokenizer"]) if meta.get("tokenizer") else None
    found = r.tokenizer_report or find_tokenizer_report(run, tok_dir, tok_dir.parent if tok_dir else None)
    record = None
    if found is not None:
        record = json.loads(Path(found).read_text())
        md.append(f"From `{found}`.")
    elif tok_dir is not None and meta.get("val") not in (None, "None"):
        try:
            record = measure_tokenizers(tok_dir, Path(meta["val"]))
            md.append("No tokenizer_report.json found: measured here on held-out val documents.")
        except (FileNotFoundError, ValueError) as e:
            md.append(f"Skipped: {e}.")
    else:
        md.append(
            "Skipped: no tokenizer report and no tokenizer/val split known (run `python -m cppllm.eval`)."
        )
    if record is not None:
        bars = plot_tokenizer(record, run / "tokenizer.png")
        md += ["", "| tokenizer | bytes/token |", "|---|---:|"]
        md += [f"| {n} | {'missing' if v is None else f'{v:.3f}'} |" for n, v in bars]
        md += ["", "![tokenizer](tokenizer.png)"]
    md.append("")
    return md


def _compile_section(r: _Run) -> list[str]:
    run, meta = r.run, r.meta
    md: list[str] = []
    comp = r.ev.get("compile")
    if comp and "error" not in comp:
        plot_compile(comp, run / "compile.png")
        lo, hi = comp["ci95"]
        md += [
            f"**{comp['ok']}/{comp['n']} = {_pct(comp['rate'])}** of sampled completions compile "
            f"(95% Wilson interval {_pct(lo)} - {_pct(hi)}); "
            f"`{meta.get('args', {}).get('compiler', 'g++')} -std={meta.get('args', {}).get('std', 'c++20')} "
            "-fsyntax-only` in the sandbox.",
            "",
        ]
        ref = comp.get("reference")
        if ref:
            md.append(
                f"The files' real continuations compile in {ref['ok']}/{ref['n']} = {_pct(ref['rate'])} of the "
                f"prompts (the ceiling); on those prompts the model reaches "
                f"{_pct(comp['given_reference_ok']['rate'])}."
            )
        md += _selection_lines(comp.get("selection"))
        md += ["", "| prompt kind | n | compile rate | 95% CI |", "|---|---:|---:|---|"]
        for k, s in comp.get("by_kind", {}).items():
            md.append(f"| {k} | {s['n']} | {_pct(s['rate'])} | {_pct(s['ci95'][0])} - {_pct(s['ci95'][1])} |")
        md += [
            "",
            "First error of failing completions: " + ", ".join(f"{k} {v}" for k, v in comp["errors"].items()),
        ]
        md += ["", "Completion ends: " + ", ".join(f"{k} {v}" for k, v in comp.get("ends", {}).items())]
        md += ["", "![compile](compile.png)", ""]
    else:
        md += _not_evaluated(comp)
    return md


def _fim_section(r: _Run) -> list[str]:
    run = r.run
    md: list[str] = []
    fim = r.ev.get("fim")
    if fim and "error" not in fim:
        plot_fim(fim, run / "fim.png")
        md += [
            f"{fim['n_tasks']} hidden spans ({', '.join(f'{k} {v}' for k, v in fim['spans'].items())}); "
            f"{fim['reference_compiles']} of the original files compile.",
            "",
            "| mode | exact match | edit similarity | fills ended by EOS | compile rate (original compiles) |",
            "|---|---:|---:|---:|---:|",
        ]
        for m in ("psm", "spm"):
            if m in fim:
                s = fim[m]
                c = s["compile"]
                md.append(
                    f"| {m.upper()} | {_pct(s['exact_match'])} | {s['edit_similarity']:.3f} | {s['finished']} | "
                    f"{c['ok']}/{c['n']} = {_pct(c['rate'])} |"
                )
        md += ["", "![fim](fim.png)", ""]
    else:
        md += _not_evaluated(fim)

    return md


def _humaneval_section(r: _Run) -> list[str]:
    md: list[str] = []
    he = r.ev.get("humaneval")
    if he and "error" not in he:
        md += [
            f"{he['n_problems']} problems, {he['n_samples']} samples each: "
            + ", ".join(f"{k} = {_pct(v)}" for k, v in he["pass_at_k"].items()),
            "",
            "Outcomes: " + ", ".join(f"{k} {v}" for k, v in he["status"].items()),
            "",
        ]
        if he.get("sandbox"):
            md += [
                f"Programs ran {he['sandbox']['programs']} (sandbox backend `{he['sandbox']['backend']}`).",
                "",
            ]
    else:
        md += _not_evaluated(he)

    return md


def _samples_section(r: _Run) -> list[str]:
    md = ["## Sample completions", ""]
    comp = r.ev.get("compile")
    samples = (comp or {}).get("samples", []) if comp and "error" not in comp else []
    if samples:
        for s in samples[:4]:
            verdict = "compiles" if s["ok"] else f"fails: {s['category']}"
            md += [
                f"**{s['kind']}** ({s['end']}, {verdict})",
                "",
                "Prompt (end):",
                _code(s["prompt_tail"][-300:]),
            ]
            md += ["Completion:", _code(s["completion"]), ""]
    else:
        md += ["No samples (the compile task did not run).", ""]
    return md


# The report's section of each eval task (`cppllm.eval.tasks`), and the sections that follow some of them.
SECTIONS: dict[str, Callable[[_Run], list[str]]] = {
    "bpb": _bpb_section,
    "compile": _compile_section,
    "fim": _fim_section,
    "humaneval": _humaneval_section,
    "longctx": lambda r: longctx_lines(r.ev["longctx"]),
    "humanevalfix": lambda r: _bugfix_section(r, "humanevalfix"),
    "nullfix": lambda r: _bugfix_section(r, "nullfix"),
    "agentfix": _agentfix_section,
}
AFTER: dict[str, Callable[[_Run], list[str]]] = {
    "bpb": _tokenizer_section,
    "compile": lambda r: _curve_lines(r.run),
}


def build_report(run: Path, *, tokenizer_report: Path | None = None) -> str:
    """Write the PNGs into `run` and return the markdown."""
    ev = json.loads((run / "eval.json").read_text()) if (run / "eval.json").is_file() else {}
    cfg = json.loads((run / "config.json").read_text()) if (run / "config.json").is_file() else {}
    r = _Run(run, ev, cfg, tokenizer_report)
    md = _header(r) + _training_section(r)
    for name, task in TASKS.items():
        if name in ev or task.report_when_missing:
            md += [f"## {task.title}", "", *SECTIONS[name](r)]
        md += AFTER[name](r) if name in AFTER else []
    md += _samples_section(r)
    return "\n".join(md) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cppllm.eval.report", description=__doc__.split("\n")[0])
    p.add_argument("--run", required=True, type=Path, help="run folder (runs/NAME)")
    p.add_argument("--tokenizer-report", type=Path, help="tokenizer_report.json (default: searched)")
    args = p.parse_args(argv)
    if not args.run.is_dir():
        print(f"error: no run folder {args.run}", file=sys.stderr)
        return 2
    md = build_report(args.run, tokenizer_report=args.tokenizer_report)
    out = args.run / "report.md"
    write_text(out, md)
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
