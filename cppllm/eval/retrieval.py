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
Scores are given for all queries, per query kind and per repository (`by_repo`); `vs_bm25` is each mode's
MRR minus BM25's with a 95% paired bootstrap interval over the queries. The report says whether
the index's repositories are held out from the embedder's contrastive training
pairs (read from the embed run's `pairs/stats.json`): "held out" means other repositories, not other files.

Hybrid fusion (`cppllm.index.fusion`) is tuned on a dev split, never on the measured index:
`--dev-index DEV` (an index of other repositories, same embedder, also built with `--strip-docs`) makes
its own auto queries, scores every fusion of `fusion_grid()` on them, and the measured hybrid uses the best
one (the report names it, its dev MRR and the dev repositories; plain RRF is scored next to it as
`hybrid_rrf`); `--write-fusion` stores it in the measured index's `index.json`, so `open_index(...).search`
uses it.
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
DENSE_WEIGHTS = tuple(round(0.05 * i, 2) for i in range(21))


def fusion_grid() -> list:
    """Every fusion the dev split chooses from: both methods x dense weight 0, 0.05, ..., 1."""
    from cppllm.index.fusion import FUSIONS, Fusion

    return [Fusion(method=m, dense_weight=w) for m in FUSIONS for w in DENSE_WEIGHTS]


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


def reciprocal_ranks(ranked: list[list[int]], targets: list[int]) -> list[float]:
    """1 / rank of each query's target in its ranked list (0 when absent): the per-query MRR terms."""
    return [1.0 / (r.index(t) + 1) if t in r else 0.0 for r, t in zip(ranked, targets, strict=True)]


def paired_bootstrap(
    a: list[float], b: list[float], *, samples: int = 2000, seed: int = 0
) -> dict[str, float]:
    """Mean of a - b over paired per-query values, its 95% bootstrap interval (queries resampled with
    replacement, the same draw for both sides) and the share of resamples where a does not beat b."""
    import numpy as np

    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if d.size == 0:
        return {"diff": 0.0, "ci95": [0.0, 0.0], "p_not_better": 1.0}
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, d.size, size=(samples, d.size))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {
        "diff": float(d.mean()),
        "ci95": [float(lo), float(hi)],
        "p_not_better": float((means <= 0).mean()),
    }


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


def load_queries(index, queries: str, *, max_per_kind: int, seed: int, notes: list[str]):
    """(queries with targets, count without a target) for an opened index: `auto` or a JSON-lines file."""
    if queries == "auto":
        sources = index.meta.get("sources") or []
        if not sources:
            raise ValueError(f"{index.root}: index.json records no sources; pass --queries FILE")
        qs = auto_queries(sources, max_per_kind=max_per_kind, seed=seed)
        if not index.meta.get("strip_docs"):
            qs = [q for q in qs if q["kind"] != "doc"]
            notes.append(f"{index.root} built without --strip-docs: doc-comment queries skipped (they would "
                         "find their own words)")  # fmt: skip
    else:
        qs = [json.loads(x) for x in Path(queries).read_text().splitlines() if x.strip()]
    return resolve_targets(index.chunks, qs)


def tune_fusion(dev_dir: str | Path, index, *, max_per_kind: int, k_max: int, seed: int) -> dict[str, Any]:
    """The fusion of `fusion_grid()` with the best MRR on the dev index's auto queries (first of equals).
    The dev index must share the measured index's embedder and none of its repositories."""
    from cppllm.index.fusion import candidate_depth, fuse
    from cppllm.index.store import open_index

    dev = open_index(dev_dir)
    if not dev.has_dense or dev.meta.get("embedder") != index.meta.get("embedder"):
        raise ValueError(f"--dev-index {dev_dir}: its embedder {dev.meta.get('embedder')} is not the measured "
                         f"index's {index.meta.get('embedder')}")  # fmt: skip
    shared = sorted(set(dev.meta.get("repos") or []) & set(index.meta.get("repos") or []))
    if shared:
        raise ValueError(f"--dev-index {dev_dir} shares repositories {shared} with the measured index")
    notes: list[str] = []
    qs, _ = load_queries(dev, "auto", max_per_kind=max_per_kind, seed=seed, notes=notes)
    if not qs:
        raise ValueError(f"--dev-index {dev_dir}: no queries to tune on")
    texts = [q["query"] for q in qs]
    depth = candidate_depth(k_max)  # the lists `search(..., mode="hybrid")` fuses
    d_ids, d_scores = dev.dense_ranking(dev.embed_queries(texts), depth)
    b_ids, b_scores = dev.bm25_ranking(texts, depth)
    grid = []
    for f in fusion_grid():
        ranked = [[i for i, _ in fuse((d_ids[j], d_scores[j]), (b_ids[j], b_scores[j]), f, k_max)
                   if i != q.get("exclude")] for j, q in enumerate(qs)]  # fmt: skip
        grid.append({**f.to_dict(), "mrr": score(ranked, [q["target"] for q in qs])["mrr"]})
    best = max(grid, key=lambda g: g["mrr"])  # max keeps the first of equals
    return {
        "method": best["method"],
        "dense_weight": best["dense_weight"],
        "tuned_on": {
            "index": str(dev_dir),
            "repositories": dev.meta.get("repos"),
            "queries": {k: sum(1 for q in qs if q["kind"] == k) for k in sorted({q["kind"] for q in qs})},
            "dev_mrr": best["mrr"],
            "grid": grid,
            "notes": notes,
        },
    }


def evaluate(index_dir: str | Path, queries: str, *, max_per_kind: int = 300, k_max: int = 100,
             seed: int = 0, modes: tuple[str, ...] = MODES, dev_index: str | Path | None = None,
             write_fusion: bool = False) -> dict[str, Any]:  # fmt: skip
    from cppllm.index.fusion import Fusion
    from cppllm.index.store import open_index

    index = open_index(index_dir)
    notes: list[str] = []
    qs, dropped = load_queries(index, queries, max_per_kind=max_per_kind, seed=seed, notes=notes)
    if not index.has_dense:
        modes = tuple(m for m in modes if m == "bm25")
        notes.append("no dense vectors in the index: dense and hybrid not evaluated")
    fusion = index.fusion
    tuned = None
    if dev_index is not None and "hybrid" in modes:
        tuned = tune_fusion(dev_index, index, max_per_kind=max_per_kind, k_max=k_max, seed=seed)
        fusion = Fusion.from_meta(tuned)
        modes = (*modes, "hybrid_rrf")
        if write_fusion:
            from cppllm.atomic import write_text

            meta = {**index.meta, "fusion": tuned}
            write_text(Path(index_dir) / "index.json", json.dumps(meta, indent=2))
    elif write_fusion:
        raise ValueError("--write-fusion needs --dev-index (the fusion is tuned there)")
    result: dict[str, Any] = {
        "index": str(index_dir),
        "chunks": len(index.chunks),
        "repositories": index.meta.get("repos"),
        "queries": {
            kind: sum(1 for q in qs if q["kind"] == kind) for kind in sorted({q["kind"] for q in qs})
        },
        "queries_by_repo": {
            repo: sum(1 for q in qs if q["repo"] == repo) for repo in sorted({q["repo"] for q in qs})
        },
        "queries_without_target": dropped,
        "query_source": queries
        if queries != "auto"
        else f"auto (seed {seed}, at most {max_per_kind} per kind)",
        **held_out_note(index.meta, set(index.meta.get("repos") or [])),
        "fusion": tuned or {**fusion.to_dict(), "tuned_on": index.meta.get("fusion", {}).get("tuned_on")},
        "modes": {},
        "notes": notes,
    }
    texts = [q["query"] for q in qs]
    rr: dict[str, list[float]] = {}
    for mode in modes:
        t0 = time.perf_counter()
        if mode == "hybrid_rrf":  # plain RRF, next to the tuned fusion
            hits = index.search_batch(texts, k_max, "hybrid", fusion=Fusion()) if texts else []
        else:
            hits = index.search_batch(texts, k_max, mode, fusion=fusion) if texts else []
        latency = (time.perf_counter() - t0) / max(1, len(texts))
        ranked = [[h.id for h in hs if h.id != q.get("exclude")] for hs, q in zip(hits, qs, strict=True)]
        per_kind = {}
        for kind in result["queries"]:
            sel = [i for i, q in enumerate(qs) if q["kind"] == kind]
            per_kind[kind] = score([ranked[i] for i in sel], [qs[i]["target"] for i in sel])
        by_repo = {}
        for repo in sorted({q["repo"] for q in qs}):
            sel = [i for i, q in enumerate(qs) if q["repo"] == repo]
            by_repo[repo] = score([ranked[i] for i in sel], [qs[i]["target"] for i in sel])
        rr[mode] = reciprocal_ranks(ranked, [q["target"] for q in qs])
        result["modes"][mode] = {
            "all": score(ranked, [q["target"] for q in qs]),
            **per_kind,
            "by_repo": by_repo,
            "ms_per_query": 1000 * latency,
        }
    if "bm25" in rr:  # is a mode's MRR above BM25's by more than the choice of queries explains?
        result["vs_bm25"] = {
            m: paired_bootstrap(v, rr["bm25"], seed=seed) for m, v in rr.items() if m != "bm25"
        }
    return result


def format_table(result: dict[str, Any]) -> str:
    lines = [f"{'mode':10} {'queries':8} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR':>6} {'ms/q':>7}"]
    for mode, res in result["modes"].items():
        for kind, m in res.items():
            if kind in ("ms_per_query", "by_repo"):
                continue
            lines.append(f"{mode:10} {kind:8} {m['recall@1']:6.3f} {m['recall@5']:6.3f} {m['recall@10']:6.3f} "
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
    p.add_argument("--dev-index",
                   help="tune the hybrid fusion on this index of other repositories (same embedder)")  # fmt: skip
    p.add_argument("--write-fusion", action="store_true",
                   help="with --dev-index: store the tuned fusion in --index's index.json")  # fmt: skip
    p.add_argument("--out", help="write the result JSON here")
    args = p.parse_args(argv)
    modes = tuple(m for m in args.modes.split(",") if m)
    bad = [m for m in modes if m not in MODES]
    if bad:
        p.error(f"unknown modes {bad}; modes: {', '.join(MODES)}")
    if args.write_fusion and not args.dev_index:
        p.error("--write-fusion needs --dev-index")
    result = evaluate(args.index, args.queries, max_per_kind=args.max_queries, seed=args.seed, modes=modes,
                      dev_index=args.dev_index, write_fusion=args.write_fusion)  # fmt: skip
    if args.out:
        from cppllm.atomic import write_text

        write_text(args.out, json.dumps(result, indent=2))
    for note in result["notes"]:
        print(f"[retrieval] note: {note}", file=sys.stderr)
    print(f"[retrieval] {result['chunks']} chunks, queries {result['queries']}, held out: {result['held_out']}",
          file=sys.stderr)  # fmt: skip
    f = result["fusion"]
    where = f"tuned on {f['tuned_on']['repositories']} (dev MRR {f['tuned_on']['dev_mrr']:.3f})" if f.get(
        "tuned_on") else "default, not tuned"  # fmt: skip
    print(
        f"[retrieval] hybrid fusion: {f['method']}, dense weight {f['dense_weight']} ({where})",
        file=sys.stderr,
    )
    print(format_table(result))
    for mode, b in result.get("vs_bm25", {}).items():
        print(f"{mode} - bm25 MRR: {b['diff']:+.3f} (95% paired bootstrap interval {b['ci95'][0]:+.3f} .. "
              f"{b['ci95'][1]:+.3f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
