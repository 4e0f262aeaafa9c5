"""HumanEval-C++ (MultiPL-E `humaneval-cpp`): completions compiled and run against the tests; pass@k.

MultiPL-E (Cassano et al., arXiv:2208.08227) translates OpenAI's HumanEval to C++. A record holds `name`,
`language`, `prompt` (includes, a comment with the task and examples, the signature up to `{`), `doctests`,
`original`, `prompt_terminology`, `tests` (starting with the `}` that closes the function, then a `main`
of `assert`s) and `stop_tokens` (`["\\n}"]`). As in MultiPL-E's evaluator, the program is
`prompt + completion + tests`, the completion cut before its first stop token, compiled with
`g++ -std=c++17` and run; exit status 0 passes.

Everything runs in the sandbox (`cppllm.eval.sandbox`): the program is compiled into a fresh work dir
(screened includes, include-prefix PCH) and its binary runs there under wall/CPU/memory/file/process
limits, with no network and nothing writable outside its dir; where no isolation is available the
programs are refused unless `--unsafe-no-sandbox` (the section's `sandbox` record says which). Next to
pass@k, the compile rate of the programs (the `compile` section: did prompt + completion + tests build)
shows progress long before tests pass. pass@k is the unbiased estimator of Chen et al.
(arXiv:2107.03374): 1 - C(n-c, k) / C(n, k) per problem, averaged over problems.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cppllm.eval.completion import rate_summary
from cppllm.eval.sandbox import (
    SandboxDir,
    SandboxLimits,
    isolation_record,
    require_program_sandbox,
    run_sandboxed,
    sanitizer_env,
)
from cppllm.eval.syntax_check import CompileChecker

HF_DATASET = "nuprl/MultiPL-E"
HF_CONFIG = "humaneval-cpp"
FIELDS = ("name", "language", "prompt", "doctests", "original", "prompt_terminology", "tests", "stop_tokens")
REQUIRED = ("name", "prompt", "tests", "stop_tokens")


@dataclass(frozen=True, kw_only=True)
class Problem:
    name: str
    prompt: str
    tests: str
    stop_tokens: tuple[str, ...]


def load_problems(
    source: str | os.PathLike = HF_DATASET,
    *,
    config: str = HF_CONFIG,
    split: str = "test",
    limit: int | None = None,
    cache_dir: str | None = None,
) -> list[Problem]:
    """Problems from a local MultiPL-E-format `.jsonl`, or from the Hugging Face dataset `source`."""
    path = Path(source)
    if path.suffix in (".jsonl", ".json") or path.is_file():
        if not path.is_file():
            raise FileNotFoundError(f"no HumanEval problems file at {path}")
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        from datasets import load_dataset

        rows = list(load_dataset(str(source), config, split=split, cache_dir=cache_dir))
    problems = []
    for i, row in enumerate(rows):
        missing = [k for k in REQUIRED if k not in row]
        if missing:
            raise ValueError(f"{source}: record {i} lacks {missing} (MultiPL-E format: {', '.join(FIELDS)})")
        problems.append(
            Problem(
                name=row["name"],
                prompt=row["prompt"],
                tests=row["tests"],
                stop_tokens=tuple(row["stop_tokens"]),
            )
        )
    return problems[:limit] if limit is not None else problems


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c correct: 1 - C(n-c, k) / C(n, k) (numerically stable)."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def truncate_at_stop(completion: str, stop_tokens: Sequence[str]) -> str:
    """The completion up to (not including) its earliest stop token."""
    cut = min((i for s in stop_tokens if (i := completion.find(s)) >= 0), default=len(completion))
    return completion[:cut]


def program(problem: Problem, completion: str) -> str:
    return problem.prompt + truncate_at_stop(completion, problem.stop_tokens) + problem.tests


@dataclass(frozen=True, kw_only=True)
class Execution:
    status: str  # passed | failed | compile_error | timeout | rejected_include | resource_limit
    seconds: float
    detail: str = ""
    compiled: bool = False  # the program built (a run that timed out still compiled)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def execute(
    source: str, checker: CompileChecker, run_limits: SandboxLimits = SandboxLimits(wall_s=10.0, cpu_s=5)
) -> Execution:
    """Compile `source` and run the binary, both in one fresh sandbox dir (removed afterwards)."""
    with SandboxDir() as work:
        built = checker.build(source, work, output="prog")
        if not built.ok:
            status = (
                "compile_error" if built.category not in ("rejected_include", "timeout") else built.category
            )
            return Execution(status=status, seconds=built.seconds, detail=built.stderr[-500:])
        # a sanitizer-built program (run under an RSS bound, not RLIMIT_AS) gets its ASAN/UBSAN_OPTIONS
        env = sanitizer_env(run_limits) if run_limits.rss_bytes else None
        res = run_sandboxed([str(work / "prog")], workdir=work, limits=run_limits, env=env)
    # RLIMIT_CPU is set with soft == hard, so the kernel ends a spinning program with SIGKILL (or SIGXCPU);
    # RLIMIT_AS makes allocations fail instead (an abort, counted as a failure).
    if res.timed_out or res.signal in (signal.SIGKILL, signal.SIGXCPU):
        status = "timeout"
    elif res.returncode == 0:
        status = "passed"
    elif res.signal == signal.SIGXFSZ:
        status = "resource_limit"
    else:
        status = "failed"
    return Execution(
        status=status, seconds=built.seconds + res.seconds, detail=res.stderr[-500:], compiled=True
    )


def evaluate_humaneval(
    problems: Sequence[Problem],
    completer,
    checker: CompileChecker,
    *,
    n_samples: int = 1,
    ks: Sequence[int] = (1,),
    max_new_tokens: int = 256,
    seed: int = 0,
    jobs: int | None = None,
    keep_samples: int = 4,
    run_limits: SandboxLimits = SandboxLimits(wall_s=10.0, cpu_s=5),
) -> dict[str, Any]:
    """`n_samples` completions per problem, executed; pass@k for each k <= n_samples (eval.json section).

    Raises `SandboxUnavailable` before sampling where no isolation can run the programs (see `sandbox`).
    """
    require_program_sandbox()
    prompts = [p.prompt for p in problems for _ in range(n_samples)]
    stops = sorted({s for p in problems for s in p.stop_tokens})
    comps = completer(prompts, max_new_tokens=max_new_tokens, seed=seed, stop_strings=stops)
    sources = [program(problems[i // n_samples], c.text) for i, c in enumerate(comps)]
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        runs = list(pool.map(lambda s: execute(s, checker, run_limits), sources))
    per_problem = []
    for j, prob in enumerate(problems):
        mine = runs[j * n_samples : (j + 1) * n_samples]
        per_problem.append(
            {
                "name": prob.name,
                "n": n_samples,
                "passed": sum(r.passed for r in mine),
                "status": [r.status for r in mine],
            }
        )
    ks = [k for k in ks if k <= n_samples]
    out: dict[str, Any] = {
        "n_problems": len(problems),
        "n_samples": n_samples,
        "pass_at_k": {
            f"pass@{k}": float(np.mean([pass_at_k(n_samples, r["passed"], k) for r in per_problem]))
            if problems
            else None
            for k in ks
        },
        "status": dict(Counter(r.status for r in runs)),
        "sandbox": isolation_record(),
        # Compile rate of the programs (prompt + completion + tests): a self-contained prompt set, no tree
        # needed; the 95% interval and the build failures' statuses as in the `compile` task.
        "compile": rate_summary([r.compiled for r in runs], [r.status for r in runs]),
        "problems": per_problem,
        "samples": [
            {
                "name": problems[i // n_samples].name,
                "completion": comps[i].text[:800],
                "status": runs[i].status,
            }
            for i in range(min(keep_samples, len(comps)))
        ],
    }
    return out


def load_generations(path: str | os.PathLike) -> dict[str, list[dict[str, Any]]]:
    """task_id -> answers from a JSONL of {"task_id", "generation" | "generations", ["reasoning"]}.

    Raises ValueError naming the file and line of the first malformed row."""
    out: dict[str, list[dict[str, Any]]] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{where}: not valid JSON ({e.msg})") from None
            if not isinstance(row, dict) or not isinstance(row.get("task_id"), str):
                raise ValueError(f"{where}: expected an object with a string 'task_id'")
            gens = row.get("generations", [row["generation"]] if "generation" in row else None)
            if not isinstance(gens, list) or not gens or not all(isinstance(g, str) for g in gens):
                raise ValueError(
                    f"{where}: needs 'generation' (a string) or 'generations' (a list of strings)"
                )
            reasoning = row.get("reasoning")
            if reasoning is not None and not isinstance(reasoning, str):
                raise ValueError(f"{where}: 'reasoning' must be a string")
            out.setdefault(row["task_id"], []).extend({"text": g, "reasoning": reasoning} for g in gens)
    return out


def score_generations(
    problems: Sequence[Problem],
    generations: dict[str, list[str]],
    checker: CompileChecker,
    *,
    ks: Sequence[int] = (1,),
    jobs: int | None = None,
) -> dict[str, Any]:
    """pass@k of completions made elsewhere (name -> completions after the prompt, or prompt + completion)."""
    jobs_list = [
        (p, c[len(p.prompt) :] if c.startswith(p.prompt) else c)
        for p in problems
        for c in generations.get(p.name, [])
    ]
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        runs = list(pool.map(lambda pc: execute(program(*pc), checker), jobs_list))
    rows, k = [], 0
    for p in problems:
        n = len(generations.get(p.name, []))
        mine = runs[k : k + n]
        k += n
        rows.append({"name": p.name, "n": n, "passed": sum(r.passed for r in mine)})
    scored = [r for r in rows if r["n"]]
    return {
        "n_problems": len(problems),
        "n_with_generations": len(scored),
        "pass_at_k": {
            f"pass@{k}": float(np.mean([pass_at_k(r["n"], r["passed"], k) for r in rows]))
            if rows and all(r["n"] >= k for r in rows)
            else None
            for k in ks
        },
        "status": dict(Counter(r.status for r in runs)),
        "problems": rows,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m cppllm.eval.humaneval", description="Score HumanEval-C++ generations made elsewhere."
    )
    ap.add_argument("--data", default=HF_DATASET, help="MultiPL-E .jsonl or HF dataset id")
    ap.add_argument("--load-generations", required=True, help="JSONL: task_id (problem name) + generation(s)")
    ap.add_argument("--k", default="1", help="comma-separated k of pass@k")
    ap.add_argument("--limit", type=int, default=None, help="first N problems only")
    ap.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel builds")
    args = ap.parse_args(argv)
    try:
        gens = load_generations(args.load_generations)
        problems = load_problems(args.data, limit=args.limit)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    texts = {t: [a["text"] for a in answers] for t, answers in gens.items()}
    ks = [int(k) for k in args.k.split(",") if k.strip()]
    # MultiPL-E compiles with -std=c++17.
    from cppllm.eval.syntax_check import CompileConfig

    with CompileChecker(CompileConfig(std="c++17")) as checker:
        result = score_generations(problems, texts, checker, ks=ks, jobs=args.jobs)
    print(json.dumps({k: v for k, v in result.items() if k != "problems"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
