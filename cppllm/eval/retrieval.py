"""Retrieval eval of a code index: recall@k and MRR of dense, BM25 and hybrid search in the same run.

python -m cppllm.eval.retrieval --index idx --queries auto --out retrieval.json

`--queries auto` makes the queries from the index's own sources (recorded in `index.json`):
- `doc`: a function's or class's doc comment (>= 4 words) -> that unit's chunk. The index must have been
  built with `--strip-docs`, so the comment is not in the indexed code (otherwise the query would find its
  own words; the eval refuses doc queries on such an index);
- `call`: a line of code that calls a repository function (from another function's body) -> the called
  function's definition (its short name unique in the repository); the calling function's own chunk,
  which holds the line verbatim, is left out of the ranking.
`--queries FILE`: JSON lines `{"query", "repo", "path", "line", "kind"?}`; the target is the smallest
chunk of that file whose line span holds `line`.
The report says whether the index's repositories are held out from the embedder's contrastive training
pairs (read from the embed run's `pairs/stats.json`): "held out" means other repositories, not other files.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

KS = (1, 5, 10)
MODES = ("dense", "bm25", "hybrid")


def auto_queries(sources: list[str], *, max_per_kind: int, seed: int = 0) -> list[dict[str, Any]]:
    """Doc-comment and call-site queries of every file of `sources` (see module docstring)."""
    from cppllm.index.chunks import read_sources
    from cppllm.pipeline.codeunits import calls, extract_units, line_of

    docs, sites = [], []
    files = list(read_sources(sources))
    defs: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))  # repo -> name -> defs
    bodies = []
    for f in files:
        for u in extract_units(f.text, header=False):
            if u.kind not in ("function", "class"):
                continue
            if u.doc and len(u.doc.split()) >= 4:
                docs.append({"kind": "doc", "query": u.doc, "repo": f.repo, "path": f.path,
                             "line": line_of(f.text, u.start)})  # fmt: skip
            if u.kind == "function":
                defs[f.repo][u.short_name].append((f.path, line_of(f.text, u.start)))
                bodies.append((f, u))
    used: set[tuple[str, str]] = set()
    for f, u in bodies:
        body = u.body(f.text)
        for name in calls(body):
            target = defs[f.repo].get(name)
            if not target or len(target) != 1 or name == u.short_name or (f.repo, name) in used:
                continue
            m = re.search(rf"^.*\b{re.escape(name)}\s*\(.*$", body, re.M)
            if m is None:
                continue
            used.add((f.repo, name))
            path, line = target[0]
            sites.append({"kind": "call", "query": m.group().strip(), "repo": f.repo, "path": path, "line": line,
                          "from_path": f.path, "from_line": line_of(f.text, u.start)})  # fmt: skip
    rng = random.Random(seed)
    out = []
    for group in (docs, sites):
        out += rng.sample(group, min(max_per_kind, len(group)))
    return out


def resolve_targets(chunks: list[dict], queries: list[dict]) -> tuple[list[dict], int]:
    """Each query with its target chunk id (`target`); queries without one are dropped (count returned)."""
    by_file: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, c in enumerate(chunks):
        by_file[(c["repo"], c["path"])].append(i)

    def find(repo: str, path: str, line: int) -> int | None:
        cands = [i for i in by_file.get((repo, path), ())
                 if chunks[i]["start_line"] <= line <= chunks[i]["end_line"] and chunks[i]["kind"] != "file_header"]  # fmt: skip
        return min(cands, key=lambda i: chunks[i]["end_line"] - chunks[i]["start_line"]) if cands else None

    out, dropped = [], 0
    for q in queries:
        target = find(q["repo"], q["path"], q["line"])
        if target is None:
            dropped += 1
            continue
        # a call-site query is a line of its caller: the caller's chunk holds it verbatim and is not
        # what the query looks for, so it leaves the ranking
        exclude = find(q["repo"], q["from_path"], q["from_line"]) if "from_path" in q else None
        out.append({**q, "target": target, "exclude": exclude})
    return out, dropped


def score(ranked: list[list[int]], targets: list[int]) -> dict[str, float]:
    """recall@k for k in KS and MRR (over the ranked lists given) of each query's target."""
    n = max(1, len(targets))
    ranks = [r.index(t) + 1 if t in r else None for r, t in zip(ranked, targets, strict=True)]
    out = {f"recall@{k}": sum(1 for x in ranks if x is not None and x <= k) / n for k in KS}
    out["mrr"] = sum(1.0 / x for x in ranks if x is not None) / n
    return out


def held_out_note(index_meta: dict, index_repos: set[str]) -> dict[str, Any]:
    """Whether the embedder's training pairs came from other repositories than the index's."""
    emb = index_meta.get("embedder")
    if not emb:
        return {"held_out": None, "note": "BM25-only index"}
    run = Path(emb).parent.parent if Path(emb).parent.name == "ckpt" else Path(emb)
    cfg_path = run / "config.json"
    data = json.loads(cfg_path.read_text()).get("train", {}).get("data") if cfg_path.is_file() else None
    stats = None
    for cand in [Path(data) / "pairs" / "stats.json", Path(data) / "stats.json"] if data else []:
        if cand.is_file():
            stats = json.loads(cand.read_text())
            break
    if stats is None:
        return {"held_out": None, "note": "the embedder's training pairs are unknown (not an embed run?)"}
    train_repos = set(stats["splits"]["train"]["repositories"])
    overlap = sorted(train_repos & index_repos)
    return {"held_out": not overlap, "train_repositories": sorted(train_repos), "overlap": overlap}


def evaluate(index_dir: str | Path, queries: str, *, max_per_kind: int = 300, k_max: int = 100,
             seed: int = 0, modes: tuple[str, ...] = MODES) -> dict[str, Any]:  # fmt: skip
    from cppllm.index.store import open_index

    index = open_index(index_dir)
    notes = []
    if queries == "auto":
        sources = index.meta.get("sources") or []
        if not sources:
            raise ValueError(f"{index_dir}: index.json records no sources; pass --queries FILE")
        qs = auto_queries(sources, max_per_kind=max_per_kind, seed=seed)
        if not index.meta.get("strip_docs"):
            qs = [q for q in qs if q["kind"] != "doc"]
            notes.append("index built without --strip-docs: doc-comment queries skipped (they would find "
                         "their own words)")  # fmt: skip
    else:
        qs = [json.loads(x) for x in Path(queries).read_text().splitlines() if x.strip()]
    qs, dropped = resolve_targets(index.chunks, qs)
    if not index.has_dense:
        modes = tuple(m for m in modes if m == "bm25")
        notes.append("no dense vectors in the index: dense and hybrid not evaluated")
    result: dict[str, Any] = {
        "index": str(index_dir),
        "chunks": len(index.chunks),
        "repositories": index.meta.get("repos"),
        "queries": {
            kind: sum(1 for q in qs if q["kind"] == kind) for kind in sorted({q["kind"] for q in qs})
        },
        "queries_without_target": dropped,
        **held_out_note(index.meta, set(index.meta.get("repos") or [])),
        "modes": {},
        "notes": notes,
    }
    texts = [q["query"] for q in qs]
    for mode in modes:
        t0 = time.perf_counter()
        hits = index.search_batch(texts, k_max, mode) if texts else []
        latency = (time.perf_counter() - t0) / max(1, len(texts))
        ranked = [[h.id for h in hs if h.id != q.get("exclude")] for hs, q in zip(hits, qs, strict=True)]
        per_kind = {}
        for kind in result["queries"]:
            sel = [i for i, q in enumerate(qs) if q["kind"] == kind]
            per_kind[kind] = score([ranked[i] for i in sel], [qs[i]["target"] for i in sel])
        result["modes"][mode] = {
            "all": score(ranked, [q["target"] for q in qs]),
            **per_kind,
            "ms_per_query": 1000 * latency,
        }
    return result


def format_table(result: dict[str, Any]) -> str:
    lines = [f"{'mode':8} {'queries':8} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR':>6} {'ms/q':>7}"]
    for mode, res in result["modes"].items():
        for kind, m in res.items():
            if kind == "ms_per_query":
                continue
            lines.append(f"{mode:8} {kind:8} {m['recall@1']:6.3f} {m['recall@5']:6.3f} {m['recall@10']:6.3f} "
                         f"{m['mrr']:6.3f} {res['ms_per_query']:7.1f}")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cppllm.eval.retrieval",
                                description="recall@k / MRR of dense vs BM25 vs hybrid search on a code index")  # fmt: skip
    p.add_argument("--index", required=True, help="index folder (python -m cppllm.index build)")
    p.add_argument(
        "--queries", default="auto", help="'auto' (doc comments + call sites) or a JSON-lines file"
    )
    p.add_argument("--max-queries", type=int, default=300, help="auto: queries per kind (seeded sample)")
    p.add_argument("--modes", default="dense,bm25,hybrid", help="comma-separated search modes")
    p.add_argument("--seed", type=int, default=0, help="seed of the query sample")
    p.add_argument("--out", help="write the result JSON here")
    args = p.parse_args(argv)
    modes = tuple(m for m in args.modes.split(",") if m)
    bad = [m for m in modes if m not in MODES]
    if bad:
        p.error(f"unknown modes {bad}; modes: {', '.join(MODES)}")
    result = evaluate(args.index, args.queries, max_per_kind=args.max_queries, seed=args.seed, modes=modes)
    if args.out:
        from cppllm.atomic import write_text

        write_text(args.out, json.dumps(result, indent=2))
    for note in result["notes"]:
        print(f"[retrieval] note: {note}", file=sys.stderr)
    print(f"[retrieval] {result['chunks']} chunks, queries {result['queries']}, held out: {result['held_out']}",
          file=sys.stderr)  # fmt: skip
    print(format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
