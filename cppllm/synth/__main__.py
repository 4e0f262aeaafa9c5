"""`python -m cppllm.synth verify|textbooks|exercises|qa ...`: see `cppllm.synth.verify` and `cppllm.synth.generate`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cppllm.eval.sandbox import SandboxUnavailable, add_sandbox_flags, apply_sandbox_flags


def _verify(args: argparse.Namespace) -> int:
    from cppllm.synth.verify import VerifyConfig, read_candidates, verify_rows

    if not args.input.is_file():
        print(f"error: no candidates file at {args.input}", file=sys.stderr)
        return 2
    cfg = VerifyConfig(compiler=args.compiler, std=args.std, sanitize=not args.no_sanitize)
    try:
        stats = verify_rows(
            read_candidates(args.input), args.out, cfg, jobs=args.jobs, progress=not args.quiet
        )
    except SandboxUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except FileNotFoundError as e:  # no compiler
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps({k: stats[k] for k in ("candidates", "kept", "dropped", "keep_rate", "by_reason")}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m cppllm.synth", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="build + run + sanitize exercise candidates; keep the ones that pass")
    v.add_argument(
        "--in", dest="input", type=Path, required=True, help="candidates JSONL (id, problem, solution, tests)"
    )
    v.add_argument(
        "--out", type=Path, required=True, help="output folder (kept.jsonl, dropped.jsonl, stats.json)"
    )
    v.add_argument("--compiler", default="g++", help="compiler driver")
    v.add_argument("--std", default="c++20", help="language standard")
    v.add_argument("--jobs", type=int, default=None, help="candidates verified at once (default: cores)")
    v.add_argument("--no-sanitize", action="store_true", help="build without ASan/UBSan (not recommended)")
    v.add_argument("--quiet", action="store_true", help="no progress bar")
    add_sandbox_flags(v)
    v.set_defaults(func=_verify)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    apply_sandbox_flags(args)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
