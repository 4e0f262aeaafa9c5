"""`python -m cppllm.index`: build, update and query a code index.

python -m cppllm.index build --run runs/embed --source /usr/include/llvm-14 --out idx
python -m cppllm.index update --index idx --source /usr/include/llvm-14
python -m cppllm.index query --index idx "split a string on a delimiter" -k 10 --mode hybrid
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m cppllm.index", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="chunk sources, embed them, write FAISS + BM25 indexes")
    u = sub.add_parser("update", help="re-read the sources: embed only new/changed files, drop removed")
    for q in (b, u):
        q.add_argument("--source", action="append", required=True,
                       help="NAME=DIR, DIR (each sub-folder a repository) or a pipeline output DIR with "
                       "docs/*.parquet; repeatable")  # fmt: skip
        q.add_argument("--device", default="cpu", help="device of the embedder (cpu, cuda, mps)")
        q.add_argument("--batch-size", type=int, default=32, help="chunks per embedder forward")
        q.add_argument("--faiss", choices=("auto", "flat", "hnsw", "ivf"), default="auto",
                       help="FAISS index: auto = exact (flat) up to --flat-max chunks, else HNSW")  # fmt: skip
        q.add_argument("--flat-max", type=int, default=50_000, help="auto: largest index kept exact")
        q.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.add_argument("--run", help="embed-stage run or checkpoint (without it: a BM25-only index)")
    b.add_argument("--out", required=True, help="index folder to write")
    b.add_argument("--strip-docs", action="store_true", help="index code without its doc comments")
    u.add_argument("--index", required=True, help="index folder to update")
    q = sub.add_parser("query", help="search; prints one JSON line per hit")
    q.add_argument("--index", required=True, help="index folder")
    q.add_argument("query", help="natural-language or code query")
    q.add_argument("-k", type=int, default=10, help="hits to print")
    q.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default="hybrid", help="ranking")
    q.add_argument("--ef-search", type=int, default=64, help="HNSW: candidates per query (recall/speed)")
    q.add_argument("--nprobe", type=int, default=8, help="IVF: lists probed per query (recall/speed)")
    q.add_argument("--max-text", type=int, default=400, help="characters of chunk text printed per hit")
    q.add_argument("--device", default="cpu", help="device of the embedder")
    return p


def _absolute(source: str) -> str:
    name, sep, folder = source.partition("=")
    return f"{name}={Path(folder).resolve()}" if sep else str(Path(source).resolve())


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from cppllm.index.chunks import read_sources
    from cppllm.index.store import build_index, open_index

    if args.cmd == "query":
        idx = open_index(args.index, device=args.device)
        knobs = {"ef_search": args.ef_search, "nprobe": args.nprobe} if args.mode != "bm25" else {}
        for hit in idx.search(args.query, args.k, args.mode, **knobs):
            d = hit.to_dict()
            d["text"] = d["text"][: args.max_text]
            print(json.dumps(d))
        return 0
    report = build_index(
        args.out if args.cmd == "build" else args.index,
        read_sources(args.source),
        run=getattr(args, "run", None),
        faiss_kind=args.faiss,
        flat_max=args.flat_max,
        strip_docs=getattr(args, "strip_docs", False),
        device=args.device,
        batch_size=args.batch_size,
        update=args.cmd == "update",
        progress=not args.no_progress,
        sources=[_absolute(s) for s in args.source],
    )
    for note in report.notes:
        print(f"[index] note: {note}", file=sys.stderr)
    print(json.dumps(asdict(report)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
