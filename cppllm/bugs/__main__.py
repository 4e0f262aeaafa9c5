"""Bug/fix data: `python -m cppllm.bugs make ...` and `python -m cppllm.bugs to-sft DIR --out sft.jsonl`.

make    generate programs of varied families, plant one bug of each requested kind, verify both versions
        in the sandbox (ASan + UBSan), keep the verified ones: DIR/items.jsonl + DIR/summary.json
to-sft  the verified training items as chat conversations with grounded reasoning (cppllm.bugs.sft)
to-agent-sft  the verified training items as repositories worked by an expert with the agent's tools:
        tool-use conversations for SFT (cppllm.agent.trajectories)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from cppllm.bugs.families import SPLITS
from cppllm.bugs.template import KINDS


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cppllm.bugs", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    mk = sub.add_parser("make", help="generate and verify bug/fix items")
    mk.add_argument(
        "--kinds",
        default=",".join(k for k in KINDS if k != "compile_error"),
        help=f"comma-separated bug kinds ({','.join(KINDS)})",
    )
    mk.add_argument("--n", type=int, required=True, help="verified items wanted per kind")
    mk.add_argument("--out", type=Path, required=True, help="output folder (items.jsonl, summary.json)")
    mk.add_argument("--seed", type=int, default=0, help="generation seed (same seed, same items)")
    mk.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel verifications")
    mk.add_argument("--split", choices=SPLITS, default="all", help="families: train, bench (held out) or all")
    mk.add_argument("--corpus", type=Path, help="C++ source folder or .jsonl of text rows (compile_error)")
    mk.add_argument("--corpus-limit", type=int, default=None, help="first N corpus units only")
    mk.add_argument("--max-attempts", type=int, default=None, help="attempts per kind (default 3*n)")
    mk.add_argument("--compiler", default="g++", help="C++ compiler driver")
    mk.add_argument("--no-progress", action="store_true", help="no progress bar")
    sf = sub.add_parser("to-sft", help="verified items -> SFT conversations (messages layout)")
    sf.add_argument("dir", type=Path, help="a `make` output folder (or an items.jsonl)")
    sf.add_argument("--out", type=Path, required=True, help="conversations .jsonl")
    sf.add_argument(
        "--format",
        choices=("function", "diff"),
        default="function",
        help="assistant content: the fixed function or a unified diff",
    )
    ag = sub.add_parser("to-agent-sft", help="verified items -> expert tool-use trajectories (SFT layout)")
    ag.add_argument("dir", type=Path, help="a `make` output folder (or an items.jsonl)")
    ag.add_argument("--out", type=Path, required=True, help="trajectories .jsonl")
    ag.add_argument("--workers", type=int, default=2, help="trajectories run in parallel (each builds twice)")
    ag.add_argument("--limit", type=int, default=None, help="first N items only")
    ag.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)

    if args.cmd == "make":
        kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            p.error(f"unknown kind(s) {unknown}; valid: {','.join(KINDS)}")
        if args.n < 1:
            p.error("--n must be >= 1")
        units = None
        if "compile_error" in kinds:
            if args.corpus is None:
                p.error("compile_error items are mined from real code: pass --corpus DIR_OR_JSONL")
            from cppllm.bugs.corpus import load_units

            try:
                units = load_units(args.corpus, limit=args.corpus_limit)
            except (FileNotFoundError, ValueError) as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
        from cppllm.bugs.make import make

        summary = make(
            args.out,
            kinds,
            args.n,
            seed=args.seed,
            workers=args.workers,
            split=args.split,
            units=units,
            max_attempts=args.max_attempts,
            progress=not args.no_progress,
            compiler=args.compiler,
        )
        print(json.dumps(summary, indent=2))
        short = [k for k in kinds if summary["by_kind"].get(k, 0) < args.n]
        if short:
            print(f"warning: fewer than {args.n} verified items for {short} (see failures)", file=sys.stderr)
        return 0

    from cppllm.bugs.make import read_jsonl
    from cppllm.bugs.sft import to_sft

    path = args.dir / "items.jsonl" if args.dir.is_dir() else args.dir
    if not path.is_file():
        print(f"error: no items at {path} (run `python -m cppllm.bugs make` first)", file=sys.stderr)
        return 2
    if args.cmd == "to-agent-sft":
        from cppllm.agent.trajectories import to_agent_sft  # the agent's tools run the trajectories

        items = read_jsonl(path)[: args.limit]
        print(json.dumps(to_agent_sft(items, args.out, workers=args.workers, progress=not args.no_progress)))
        return 0
    counts = to_sft(read_jsonl(path), args.out, fmt=args.format)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
