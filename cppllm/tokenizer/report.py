"""Tokenizer efficiency report: ours against tiktoken on held-out C++, normalized and raw.

`python -m cppllm.tokenizer.report --tokenizer DIR --data DIR --out DIR` measures bytes per token and
tokens per KB (1000 bytes of UTF-8) of our tokenizer and of tiktoken's gpt2, r50k_base, p50k_base,
cl100k_base and o200k_base on what training never saw (the hash splits of `cppllm.tokenizer.train`,
whose settings are read from `DIR/tokenizer_train.json`), cross-project first: `cross-project` is every
file of the held-out projects (whole trees or repositories) plus any `--heldout-data` (other projects'
trees or documents); `normalized` / `raw` are held-out files of the projects it trained on
(in-distribution). The goals are judged on the cross-project text; with no held-out project (a corpus of
one or two trees) the report says so and falls back to the in-distribution figures, labelled.
It prints a markdown table and writes `OUT/tokenizer_report.{md,json,png}` (PNG: bar chart).

"Normalized" text is what the pipeline feeds the model (`cppllm.pipeline.clean.normalize`); "raw" is the
source file as written. With pipeline documents as `--data` (already normalized) the raw rows need
`--raw-data` (a source tree or `embedded`). A tiktoken encoding whose files are not available offline
is shown as missing, with the reason. `--shr-compare` also trains one tokenizer per `>>` policy
(`regex.SHR_MODES`) and compares them on the same held-out text.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from cppllm.atomic import atomic_path, write_text
from cppllm.tokenizer.baselines import ENCODINGS, load_baselines
from cppllm.tokenizer.data import (
    DEFAULT_HELDOUT,
    DEFAULT_HELDOUT_PROJECTS,
    heldout_projects_of,
    is_raw_source,
    iter_docs,
    split_docs,
)
from cppllm.tokenizer.regex import SHR_MODES
from cppllm.tokenizer.tokenizer import CppTokenizer

OURS = "cppllm (ours)"
GOALS = {"gpt2": 1.5, "cl100k_base": 1.2}  # "x fewer tokens than" on held-out normalized C++


@dataclass(frozen=True, kw_only=True)
class Row:
    name: str
    vocab: int | None
    source: str
    tokens: dict[str, int | None]  # per text set ("cross-project", "normalized", "raw"); None: not measured


def heldout_texts(
    data: str,
    fraction: float,
    *,
    raw_data: str | None = None,
    max_chars: int | None = None,
    held_projects: list[str] = (),
    heldout_data: list[str] = (),
) -> dict[str, list[str] | None]:
    """{"cross-project": [...], "normalized": [...], "raw": [... or None]}, at most `max_chars` each:
    held-out projects of `data` plus all of `heldout_data` (normalized), then held-out files of the
    trained projects (normalized and raw)."""
    from cppllm.pipeline.clean.normalize import normalize

    def take(docs, norm: bool = False) -> list[str]:
        out, n = [], 0
        for d in docs:
            if max_chars is not None and n >= max_chars:
                break
            out.append(normalize(d.text) if norm else d.text)
            n += len(out[-1])
        return out

    raw_input = is_raw_source(data)
    cross = take(split_docs(iter_docs(data), "heldout_projects", fraction, held_projects), raw_input)
    for extra in heldout_data:
        cross += take(iter_docs(extra), is_raw_source(extra))
    held = take(split_docs(iter_docs(data), "heldout", fraction, held_projects))
    if raw_input:
        return {"cross-project": cross, "normalized": [normalize(t) for t in held], "raw": held}
    raw = take(split_docs(iter_docs(raw_data), "heldout", fraction, held_projects)) if raw_data else None
    return {"cross-project": cross, "normalized": held, "raw": raw}


def measure(tok: CppTokenizer, texts: dict[str, list[str] | None], names=ENCODINGS) -> list[Row]:
    rows = [
        Row(
            name=OURS,
            vocab=tok.vocab_size,
            source=f"hash {tok.hash()[:12]}",
            tokens={k: (tok.count_tokens(v) if v else None) for k, v in texts.items()},
        )
    ]
    for b in load_baselines(tuple(names)):
        counts = {k: (b.count_tokens(v) if (v and b.available) else None) for k, v in texts.items()}
        vocab = b.encoding.n_vocab if b.available else None  # type: ignore[union-attr]
        rows.append(Row(name=b.name, vocab=vocab, source=b.source, tokens=counts))
    return rows


def _fmt(x: float | None, spec: str) -> str:
    return "–" if x is None else format(x, spec)


def render(rows: list[Row], nbytes: dict[str, int | None], meta: dict) -> tuple[str, dict]:
    """Markdown report and the JSON record."""
    ours = rows[0].tokens
    sets = [k for k in nbytes if nbytes[k]]
    cross = "cross-project" in sets
    lines = [
        "# Tokenizer efficiency report",
        "",
        f"Never used for training, from `{meta['data']}`"
        + (
            f" and {', '.join(f'`{d}`' for d in meta.get('heldout_data', []))}"
            if meta.get("heldout_data")
            else ""
        )
        + f": held-out projects (fraction {meta.get('heldout_projects_fraction')}) and held-out files of the "
        f"trained projects (fraction {meta['heldout_fraction']}); held-out projects: "
        f"{', '.join(meta.get('heldout_projects') or []) or 'none'}; "
        + ", ".join(f"{k}: {meta['docs'][k]} docs, {nbytes[k]:,} bytes" for k in sets)
        + ".",
        "",
    ]
    if not cross:
        lines += [
            "No held-out project: the data has too few projects for the project split (pass `--heldout-data` "
            "with other projects' code); the figures below are **in-distribution** (held-out files of trees "
            "the tokenizer trained on).",
            "",
        ]
    if "raw" not in sets:
        lines += ["Raw rows: not measured (data is already normalized; pass `--raw-data`).", ""]
    head = "| tokenizer | vocab |"
    sep = "|---|---:|"
    for k in sets:
        head += f" {k} bytes/token | {k} tokens/KB | {k}: x more tokens than ours |"
        sep += "---:|---:|---:|"
    lines += [head + " files |", sep + "---|"]
    record: dict = {"meta": meta, "bytes": nbytes, "rows": []}
    for r in rows:
        cells = f"| {r.name} | {_fmt(r.vocab, ',')} |"
        rec = asdict(r) | {"bytes_per_token": {}, "tokens_per_kb": {}, "ratio_vs_ours": {}}
        for k in sets:
            n, ours_n = r.tokens.get(k), ours.get(k)
            bpt = nbytes[k] / n if n else None
            tpk = 1000 * n / nbytes[k] if n else None
            ratio = n / ours_n if (n and ours_n) else None
            rec["bytes_per_token"][k], rec["tokens_per_kb"][k], rec["ratio_vs_ours"][k] = bpt, tpk, ratio
            cells += f" {_fmt(bpt, '.3f')} | {_fmt(tpk, '.1f')} | {_fmt(ratio, '.3f')} |"
        lines.append(cells + f" {r.source} |")
        record["rows"].append(rec)
    basis = "cross-project" if cross else "normalized"
    what = "projects never trained on" if cross else "in-distribution held-out files"
    lines += ["", f"## Goals (normalized C++, {what})", ""]
    by_name = {r["name"]: r for r in record["rows"]}
    record["goals"], record["goals_basis"] = {}, basis
    for name, goal in GOALS.items():
        ratio = by_name.get(name, {}).get("ratio_vs_ours", {}).get(basis)
        status = "missing" if ratio is None else ("met" if ratio >= goal else "NOT met")
        record["goals"][name] = {"goal": goal, "ratio": ratio, "status": status}
        lines.append(f"- >= {goal}x fewer tokens than `{name}`: {_fmt(ratio, '.3f')}x, **{status}**")
    return "\n".join(lines) + "\n", record


def plot(record: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    sets = [
        k
        for k in ("cross-project", "normalized", "raw")
        if any(r["bytes_per_token"].get(k) for r in record["rows"])
    ]
    rows = [r for r in record["rows"] if r["bytes_per_token"].get(sets[0] if sets else "normalized")]
    x = np.arange(len(rows))
    width = 0.8 / max(1, len(sets))
    fig, ax = plt.subplots(figsize=(1.6 * len(rows) + 2, 4))
    for i, k in enumerate(sets):
        vals = [r["bytes_per_token"].get(k) or 0 for r in rows]
        bars = ax.bar(x + i * width, vals, width, label=k)
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks(x + width * (len(sets) - 1) / 2, [r["name"] for r in rows], rotation=15)
    ax.set_ylabel("bytes per token (higher is better)")
    ax.set_title("Held-out C++: bytes per token")
    ax.legend()
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def shr_compare(
    data: str, texts: list[str], *, vocab_size: int, max_chars: int | None, fraction: float
) -> list[dict]:
    """Train one tokenizer per `>>` policy on the same sample; token counts on the same held-out text."""
    from cppllm.tokenizer.train import train_from_data

    out = []
    for mode in SHR_MODES:
        tok, info = train_from_data(
            data, vocab_size=vocab_size, max_chars=max_chars, heldout=fraction, shr=mode
        )
        out.append({"shr": mode, "tokens": tok.count_tokens(texts), "train_chars": info["train_chars"]})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cppllm.tokenizer.report", description=__doc__.split("\n")[0])
    ap.add_argument("--tokenizer", required=True, type=Path, help="directory (or file) of tokenizer.json")
    ap.add_argument("--data", required=True, help="the data the tokenizer was trained on (or 'embedded')")
    ap.add_argument("--out", required=True, type=Path, help="directory for tokenizer_report.{md,json,png}")
    ap.add_argument("--raw-data", default=None, help="raw source tree (or 'embedded') for the raw rows")
    ap.add_argument(
        "--heldout-fraction", type=float, default=None, help="default: from tokenizer_train.json, else 0.05"
    )
    ap.add_argument(
        "--heldout-projects-fraction",
        type=float,
        default=None,
        help="default: from tokenizer_train.json, else 0.05",
    )
    ap.add_argument(
        "--heldout-data",
        action="append",
        default=[],
        metavar="PATH",
        help="other projects' code, never trained on (tree, parquet/jsonl; repeatable): cross-project text",
    )
    ap.add_argument("--max-chars", type=int, default=None, help="measure on at most this many held-out chars")
    ap.add_argument("--encodings", nargs="*", default=list(ENCODINGS), help="tiktoken encodings to compare")
    ap.add_argument("--shr-compare", action="store_true", help="also train and compare every '>>' policy")
    ap.add_argument("--train-max-chars", type=int, default=None, help="training budget for --shr-compare")
    args = ap.parse_args(argv)
    try:
        tok = CppTokenizer.load(args.tokenizer)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    tdir = args.tokenizer if args.tokenizer.is_dir() else args.tokenizer.parent
    info_path = tdir / "tokenizer_train.json"
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    fraction = args.heldout_fraction if args.heldout_fraction is not None else info.get("heldout_fraction")
    fraction = DEFAULT_HELDOUT if fraction is None else fraction
    pfrac = args.heldout_projects_fraction
    try:
        if pfrac is not None:
            held_projects = heldout_projects_of(args.data, pfrac)
        elif info:  # as trained (a tokenizer from before the project split held none out)
            held_projects, pfrac = (
                info.get("heldout_projects", []),
                info.get("heldout_projects_fraction", 0.0),
            )
        else:
            pfrac = DEFAULT_HELDOUT_PROJECTS
            held_projects = heldout_projects_of(args.data, pfrac)
        texts = heldout_texts(
            args.data,
            fraction,
            raw_data=args.raw_data,
            max_chars=args.max_chars,
            held_projects=held_projects,
            heldout_data=args.heldout_data,
        )
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if not texts["normalized"] and not texts["cross-project"]:
        print(f"error: no held-out documents in {args.data} (fraction {fraction})", file=sys.stderr)
        return 1
    nbytes = {k: (sum(len(t.encode("utf-8")) for t in v) if v else None) for k, v in texts.items()}
    meta = {
        "data": args.data,
        "heldout_fraction": fraction,
        "heldout_projects_fraction": pfrac,
        "heldout_projects": held_projects,
        "heldout_data": args.heldout_data,
        "docs": {k: len(v) if v else 0 for k, v in texts.items()},
        "tokenizer": str(args.tokenizer),
        "train_info": info,
    }
    rows = measure(tok, texts, args.encodings)
    md, record = render(rows, nbytes, meta)
    if args.shr_compare:
        res = shr_compare(
            args.data,
            texts["normalized"],
            vocab_size=info.get("vocab_size_asked", tok.vocab_size),
            max_chars=args.train_max_chars or info.get("max_chars"),
            fraction=fraction,
        )
        best = min(res, key=lambda r: r["tokens"])
        record["shr_compare"] = res
        md += "\n## `>>` policy (same sample, same held-out text)\n\n| policy | tokens | bytes/token |\n"
        md += "|---|---:|---:|\n"
        for r in res:
            mark = " (best)" if r is best else ""
            md += f"| {r['shr']}{mark} | {r['tokens']:,} | {nbytes['normalized'] / r['tokens']:.3f} |\n"
    args.out.mkdir(parents=True, exist_ok=True)
    write_text(args.out / "tokenizer_report.md", md)
    write_text(args.out / "tokenizer_report.json", json.dumps(record, indent=2))
    plot(record, args.out / "tokenizer_report.png")
    print(md)
    print(f"wrote {args.out / 'tokenizer_report.md'} and .json, .png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
