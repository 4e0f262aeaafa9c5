"""The README's retrieval table: one row per `python -m cppllm.eval.retrieval --out` result.

python benchmarks/bench_retrieval.py "old embedder=r_old.json" "new embedder=r_new.json"

Rows are only comparable on the same queries: every result must have the same index repositories, query
source (auto: seed and cap) and query counts, else the script stops. Columns: MRR
of dense, BM25, hybrid with the fusion the result used (its method and dense weight, and the dev
repositories it was tuned on), plain RRF when the result scored it (`hybrid_rrf`), and hybrid minus BM25
with its 95% paired bootstrap interval over the queries.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _mrr(result: dict, mode: str, kind: str = "all", by: str = "kind") -> str:
    m = result["modes"].get(mode)
    if m and by == "repo":
        m = m.get("by_repo")
    return f"{m[kind]['mrr']:.3f}" if m and kind in m else "-"


def _vs_bm25(result: dict, mode: str) -> str:
    b = result.get("vs_bm25", {}).get(mode)
    return f"{b['diff']:+.3f} ({b['ci95'][0]:+.3f} .. {b['ci95'][1]:+.3f})" if b else "-"


def table(rows: list[tuple[str, dict]], by: str = "kind") -> str:
    """Markdown rows (label, result) -> the table, with MRR columns per query kind or per repository
    (`by`); raises ValueError when the queries differ."""
    first = rows[0][1]
    for label, r in rows:
        key = (r["repositories"], r.get("query_source"), r["queries"])
        if key != (first["repositories"], first.get("query_source"), first["queries"]):
            raise ValueError(f"{label}: other queries {key} than {rows[0][0]}")
    kinds = sorted(first["queries"]) if by == "kind" else sorted(first["repositories"])
    head = ["change", "dense MRR", "hybrid MRR (fusion, tuned on)", "plain RRF MRR", "BM25 MRR",
            "hybrid - BM25 (95% CI)"]  # fmt: skip
    head += [f"{m} {k}" for k in kinds for m in ("dense", "hybrid", "BM25")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, r in rows:
        f = r.get("fusion") or {}
        tuned = f.get("tuned_on")
        where = f"tuned on {', '.join(tuned['repositories'])}" if tuned else "default"
        fusion = f"{f.get('method', 'rrf')} w={f.get('dense_weight', 0.5)}, {where}"
        cells = [label, _mrr(r, "dense"), f"{_mrr(r, 'hybrid')} ({fusion})", _mrr(r, "hybrid_rrf"),
                 _mrr(r, "bm25"), _vs_bm25(r, "hybrid")]  # fmt: skip
        cells += [_mrr(r, m, k, by) for k in kinds for m in ("dense", "hybrid", "bm25")]
        lines.append("| " + " | ".join(cells) + " |")
    counts = first["queries"] if by == "kind" else first.get("queries_by_repo", {})
    q = ", ".join(f"{n} {k}" for k, n in counts.items())
    lines.append(
        f"\n(index repositories {', '.join(first['repositories'])}; {q} queries, the same in every row)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("results", nargs="+", help="LABEL=FILE.json (cppllm.eval.retrieval --out), in row order")
    p.add_argument(
        "--by",
        choices=("kind", "repo"),
        default="kind",
        help="extra MRR columns per query kind or repository",
    )
    args = p.parse_args(argv)
    rows = []
    for item in args.results:
        label, sep, path = item.rpartition("=")
        if not sep:
            p.error(f"{item}: expected LABEL=FILE.json")
        rows.append((label, json.loads(Path(path).read_text())))
    try:
        print(table(rows, args.by))
    except ValueError as e:
        print(f"[bench_retrieval] {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
