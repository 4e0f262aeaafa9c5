"""HumanEval-C++ (MultiPL-E `humaneval-cpp`): completions compiled and run against the tests; pass@k.

MultiPL-E (Cassano et al., arXiv:2208.08227) translates OpenAI's HumanEval to C++. A record holds `name`,
`language`, `prompt` (includes, a comment with the task and examples, the signature up to `{`), `doctests`,
`original`, `prompt_terminology`, `tests` (starting with the `}` that closes the function, then a `main`
of `assert`s) and `stop_tokens` (`["\\n}"]`). As in MultiPL-E's evaluator, the program is
`prompt + completion + tests`, the completion cut before its first stop token, compiled with
`g++ -std=c++17` and run; exit status 0 passes.

Everything runs in the sandbox (`cppllm.eval.sandbox`): the program is compiled into a fresh work dir
(screened includes, include-prefix PCH) and its binary runs there under wall/CPU/memory/file/process
limits, with no network where the kernel allows. Next to pass@k, the compile rate of the programs (the
`compile` section: did prompt + completion + tests build) shows progress long before tests pass. pass@k is the unbiased estimator of Chen et al.
(arXiv:2107.03374): 1 - C(n-c, k) / C(n, k) per problem, averaged over problems.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cppllm.eval.compile import CompileChecker
from cppllm.eval.completion import rate_summary
from cppllm.eval.sandbox import SandboxDir, SandboxLimits, run_sandboxed

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
        res = run_sandboxed([str(work / "prog")], workdir=work, limits=run_limits)
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
    """`n_samples` completions per problem, executed; pass@k for each k <= n_samples (eval.json section)."""
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
