"""agentfix: the agent benchmark (`python -m cppllm.eval --tasks agentfix --agentfix-data DIR`).

Tasks are planted-bug repositories (`cppllm.agent.repos`: a header library, its tests, a Makefile) made
from the verified items of the held-out families (`python -m cppllm.bugs make --split bench`), every kind
but compile errors. Each repository is verified before it is used (the buggy tree fails its tests, the
fixed one passes ASan/UBSan-clean); those that do not verify are counted, not scored.

The agent gets the task in words and the tools, nothing else (no report, no file). Solved: after the
agent's diff, with the test files and the Makefile restored to the originals (so deleting a check does
not count), the tests build and pass sanitizer-clean, within the step budget. Reported: solve rate (with a
Wilson 95% interval), steps and tool calls per task, the malformed-call rate (malformed / all calls), stop
reasons, and per task: solved, steps, calls, final test status, whether the agent touched the tests.
"""

from __future__ import annotations

import math
import random
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from cppllm.agent.build import run_tests
from cppllm.agent.loop import AgentConfig, run_agent
from cppllm.agent.repos import RepoItem, repo_item, verify_repo
from cppllm.agent.tools import Budget
from cppllm.agent.trajectories import task_text
from cppllm.agent.workspace import Workspace


def load_tasks(path: str | Path, limit: int | None = None) -> tuple[list[RepoItem], dict[str, int]]:
    """Verified agentfix repositories from a `cppllm.bugs make --split bench` folder, and the drop counts."""
    from cppllm.bugs.make import read_jsonl

    path = Path(path)
    items_path = path / "items.jsonl" if path.is_dir() else path
    if not items_path.is_file():
        raise FileNotFoundError(f"no items at {items_path} (python -m cppllm.bugs make --split bench ...)")
    items = [
        it for it in read_jsonl(items_path) if it.get("split") == "bench" and it["kind"] != "compile_error"
    ]
    if not items:
        raise ValueError(f"{items_path} has no runtime-bug items of the held-out (bench) families")
    dropped: Counter[str] = Counter()
    tasks = []
    for it in items:
        if limit is not None and len(tasks) >= limit:
            break
        r, why = repo_item(it)
        if r is not None:
            ok, why, _ = verify_repo(r)
            if ok:
                tasks.append(r)
                continue
        dropped[why] += 1
    return tasks, dict(dropped)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 0.0
    p = k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, mid - half), min(1.0, mid + half)


def solve(r: RepoItem, completer: Any, cfg: AgentConfig) -> dict[str, Any]:
    """Run the agent on one task and score its diff."""
    rng = random.Random(r.id)
    with (
        tempfile.TemporaryDirectory(prefix="cppllm-agentfix-") as tmp,
        Workspace(r.write(Path(tmp) / "repo")) as ws,
    ):
        res = run_agent(completer, ws, task_text(r, rng), cfg)
        touched = sorted(p for p in ws.edited if p != r.lib_path)
        for rel in r.buggy:  # score the library change only: tests and build files go back
            if rel != r.lib_path:
                (ws.root / rel).write_text(r.buggy[rel])
        final = run_tests(ws, cfg.budget)
    s = res.summary()
    return {
        "id": r.id,
        "kind": r.kind,
        "family": r.family,
        "solved": bool(final["ok"]),
        "final_status": final["status"],
        "stop": s["stop"],
        "steps": s["steps"],
        "tool_calls": s["tool_calls"],
        "malformed_calls": s["malformed_calls"],
        "touched_other_files": touched,
        "seconds": s["seconds"],
        "diff": res.diff[:4000],
    }


def score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    solved = sum(r["solved"] for r in rows)
    calls = sum(r["tool_calls"] + r["malformed_calls"] for r in rows)
    malformed = sum(r["malformed_calls"] for r in rows)
    lo, hi = wilson(solved, n)
    by_kind: dict[str, list[int]] = {}
    for r in rows:
        by_kind.setdefault(r["kind"], [0, 0])
        by_kind[r["kind"]][0] += r["solved"]
        by_kind[r["kind"]][1] += 1
    return {
        "n": n,
        "solved": solved,
        "solve_rate": solved / n if n else 0.0,
        "ci95": [lo, hi],
        "steps_per_task": sum(r["steps"] for r in rows) / n if n else 0.0,
        "tool_calls_per_task": calls / n if n else 0.0,
        "malformed_call_rate": malformed / calls if calls else 0.0,
        "stops": dict(Counter(r["stop"] for r in rows)),
        "final_status": dict(Counter(r["final_status"] for r in rows)),
        "by_kind": {k: {"solved": v[0], "n": v[1]} for k, v in sorted(by_kind.items())},
    }


def run_agentfix(
    tasks: list[RepoItem], make_completer: Any, cfg: AgentConfig, *, progress: bool = True
) -> dict[str, Any]:
    """Solve every task with a fresh completer (`make_completer()`), one at a time; the eval.json section."""
    from tqdm import tqdm

    from cppllm.eval.sandbox import isolation_record

    rows = [solve(r, make_completer(), cfg) for r in tqdm(tasks, desc="agentfix", disable=not progress)]
    return {
        **score(rows),
        "max_steps": cfg.max_steps,
        "budget": {"test_s": cfg.budget.test_s, "result_chars": cfg.budget.result_chars},
        "sandbox": isolation_record(),
        "tasks": rows,
    }


def run_task(model: Any, tokenizer: Any, args: Any) -> dict[str, Any]:
    """`python -m cppllm.eval --tasks agentfix`: the run's model as the agent (greedy unless --temperature)."""
    from cppllm.agent.completers import ModelCompleter

    if not args.agentfix_data:
        raise FileNotFoundError(
            "agentfix needs --agentfix-data (python -m cppllm.bugs make --split bench ...)"
        )
    tasks, dropped = load_tasks(args.agentfix_data, args.bugfix_limit)
    if not tasks:
        raise ValueError(f"no agentfix task verified ({dropped})")
    cfg = AgentConfig(max_steps=args.agent_max_steps, budget=Budget(test_s=60.0))
    section = run_agentfix(
        tasks,
        lambda: ModelCompleter(model, tokenizer, max_new_tokens=args.max_new_tokens, temperature=0.0),
        cfg,
        progress=not args.no_progress,
    )
    section["dropped_tasks"] = dropped
    return section
