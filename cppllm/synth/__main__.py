"""`python -m cppllm.synth verify|textbooks|exercises|qa ...`: see `cppllm.synth.verify` and `cppllm.synth.generate`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cppllm.eval.sandbox import (
    SandboxUnavailable,
    add_sandbox_flags,
    apply_sandbox_flags,
    require_program_sandbox,
)


def _run_limits(args: argparse.Namespace):
    from cppllm.eval.sandbox import SandboxLimits

    return SandboxLimits(wall_s=args.run_timeout, cpu_s=max(1, int(args.run_timeout / 2)))


def _verify(args: argparse.Namespace) -> int:
    from cppllm.synth.verify import VerifyConfig, read_candidates, verify_rows

    if not args.input.is_file():
        print(f"error: no candidates file at {args.input}", file=sys.stderr)
        return 2
    cfg = VerifyConfig(
        compiler=args.compiler, std=args.std, sanitize=not args.no_sanitize, run_limits=_run_limits(args)
    )
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


def _generate(args: argparse.Namespace) -> int:
    from cppllm.synth.client import ClientConfig
    from cppllm.synth.collect import collect
    from cppllm.synth.decontam import DEGRADED, DecontamUnavailable, EvalSources, write_eval_sets
    from cppllm.synth.generate import GenerateConfig, GenerationError, generate_raw
    from cppllm.synth.verify import VerifyConfig

    if args.n < 1 or args.concurrency < 1 or args.retries < 0:
        print("error: --n and --concurrency must be >= 1, --retries >= 0", file=sys.stderr)
        return 2
    client = ClientConfig(
        endpoint=args.endpoint,
        model=args.model,
        concurrency=args.concurrency,
        max_retries=args.retries,
        backoff_s=args.backoff,
        request_timeout_s=args.timeout,
        ready_timeout_s=args.ready_timeout,
        api_key_env=args.api_key_env,  # read at request time: no key in the logs or a pickled stage
        generation={"temperature": args.temperature, "max_tokens": args.max_tokens},
    )
    eval_files: tuple[str, ...] = ()
    if args.no_decontam:
        print(f"warning: {DEGRADED}", file=sys.stderr)
    else:  # before paying for any request: the eval sets must load
        sources = EvalSources(
            humaneval=args.humaneval_source, humanevalfix=args.humanevalfix_source, extra=tuple(args.decontam)
        )
        path = args.out / "eval_sets.jsonl"
        try:
            write_eval_sets(path, sources)
        except DecontamUnavailable as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        eval_files = (str(path),)
    cfg = GenerateConfig(
        kind=args.command,
        n=args.n,
        out=args.out,
        client=client,
        seed=args.seed,
        taxonomy=args.taxonomy,
        prompts=args.prompts,
        min_pass_rate=args.min_pass_rate,
        verify=VerifyConfig(compiler=args.compiler, run_limits=_run_limits(args)),
        jobs=args.jobs,
        docs_dir=args.docs_dir,
        decontam=not args.no_decontam,
        eval_files=eval_files,
    )
    try:
        if cfg.kind == "exercises":
            require_program_sandbox()  # before paying for any request
        run_stats = generate_raw(cfg, tasks=args.tasks)
        stats = collect(cfg, run_stats)
    except (GenerationError, DecontamUnavailable, SandboxUnavailable, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if stats["kept"] == 0:
        print(f"warning: nothing kept; reasons in {cfg.out / 'dropped.jsonl'}", file=sys.stderr)
    keys = ("kind", "prompts", "kept", "dropped", "keep_rate", "by_reason", "tokens")
    print(json.dumps({k: stats[k] for k in keys}))
    return 0


def _add_generate(sub, kind: str, help: str) -> None:
    g = sub.add_parser(kind, help=help, allow_abbrev=False)  # `--api-key X` is no `--api-key-env X`
    g.add_argument(
        "--endpoint", required=True, help="OpenAI-compatible server base URL, e.g. http://127.0.0.1:8000"
    )
    g.add_argument("--model", required=True, help="model name the server serves")
    g.add_argument(
        "--n", type=int, required=True, help="prompts to generate (a rerun with more adds the rest)"
    )
    g.add_argument("--out", type=Path, required=True, help="output folder (docs/, dropped.jsonl, stats.json)")
    g.add_argument("--seed", type=int, default=0, help="seed of the taxonomy's prompt order")
    g.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    g.add_argument("--retries", type=int, default=4, help="retries of a failed request (exponential backoff)")
    g.add_argument("--backoff", type=float, default=2.0, help="seconds before the first retry (doubles)")
    g.add_argument("--timeout", type=float, default=300.0, help="seconds one request may take")
    g.add_argument(
        "--ready-timeout", type=float, default=30.0, help="seconds to wait for the server to answer"
    )
    g.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
    g.add_argument("--temperature", type=float, default=0.8, help="sampling temperature")
    g.add_argument("--max-tokens", type=int, default=2048, help="longest answer, in tokens")
    g.add_argument("--taxonomy", default=None, help="topic taxonomy JSON (default: the packaged one)")
    g.add_argument("--prompts", default=None, help="prompt templates JSON (default: the packaged ones)")
    g.add_argument(
        "--min-pass-rate", type=float, default=0.5, help="textbooks: share of code blocks that must compile"
    )
    g.add_argument("--compiler", default="g++", help="compiler for the checks")
    g.add_argument("--run-timeout", type=float, default=10.0, help="exercises: wall seconds per test run")
    g.add_argument("--jobs", type=int, default=None, help="compile/verify workers (default: cores)")
    g.add_argument("--docs-dir", type=Path, default=None, help="where the documents go (default: OUT/docs)")
    g.add_argument("--tasks", type=int, default=1, help="generation tasks (datatrove executor)")
    add_decontam_flags(g)
    add_sandbox_flags(g)
    g.set_defaults(func=_generate)


def add_decontam_flags(g) -> None:
    """Decontamination of the outputs (on by default: `cppllm.synth.decontam`)."""
    g.add_argument(
        "--no-decontam",
        action="store_true",
        help="do not check the outputs against HumanEval-C++ / HumanEvalFix-C++ / eval prompts (degraded)",
    )
    g.add_argument(
        "--humaneval-source",
        default=None,
        help="HumanEval-C++ for decontamination: HF dataset (default nuprl/MultiPL-E) or local MultiPL-E .jsonl",
    )
    g.add_argument(
        "--humanevalfix-source",
        default=None,
        help="HumanEvalFix-C++ for decontamination: HF dataset (default bigcode/humanevalpack) or local .jsonl",
    )
    g.add_argument(
        "--decontam",
        action="append",
        default=[],
        metavar="JSONL",
        help="more eval files to decontaminate against (eval_prompts.jsonl, cppllm.bugs items; repeatable)",
    )


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
    v.add_argument("--run-timeout", type=float, default=10.0, help="wall seconds per test run (CPU: half)")
    v.add_argument("--jobs", type=int, default=None, help="candidates verified at once (default: cores)")
    v.add_argument("--no-sanitize", action="store_true", help="build without ASan/UBSan (not recommended)")
    v.add_argument("--quiet", action="store_true", help="no progress bar")
    add_sandbox_flags(v)
    v.set_defaults(func=_verify)
    _add_generate(sub, "textbooks", "markdown C++ lessons; every code block compile-checked")
    _add_generate(sub, "exercises", "problem + solution + tests, verified by execution (as `verify`)")
    _add_generate(sub, "qa", "question/answer pairs about C++")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    apply_sandbox_flags(args)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
