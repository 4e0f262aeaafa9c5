"""Agent tools and data: tool latency in the sandbox against the same commands run bare, the yield of the
agentfix repositories and of the expert trajectories, and the expert replay's solve rate.

Ours: each tool through `run_tool` on a workspace copy (sandboxed `grep`/`g++`/`make`, in-process file
tools). Baseline, same run, same repository, same commands and flags (`CXXFLAGS`/`LDFLAGS` with
ASan/UBSan, `make -j 2`, then `make test`): a plain `subprocess.run` in a temp copy, no sandbox. The ratio
is the sandbox's overhead. Then, from `cppllm.bugs make` items: held-out (bench) repositories verified for
agentfix, and training items turned into expert trajectories (`to-agent-sft`), with their drop reasons;
the expert's calls replayed through the agentfix scorer must solve every task (a consistency check of
tools, scorer and verification, not a model result).

    python benchmarks/bench_agent.py [--n 2] [--repeats 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine_line

from cppllm.agent.build import SANITIZE
from cppllm.agent.protocol import Call
from cppllm.agent.tools import Budget, run_tool
from cppllm.agent.workspace import Workspace
from cppllm.eval.sandbox import describe, isolation_record

RING = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "agent" / "ringrepo"
KINDS = "null_deref,use_after_free,off_by_one,wrong_operator,wrong_variable,missing_return,uninitialized"
CALLS = [
    ("list_files", {}),
    ("read_file", {"path": "src/ring.cpp"}),
    ("search", {"pattern": r"data_\[\w+"}),
    ("compile", {"file": "src/ring.cpp"}),
    ("run_tests", {"sanitize": True}),
    ("run_tests", {"sanitize": False}),
]


def _median_s(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bare(name: str, args: dict, repo: Path) -> None:
    """The baseline: the same command, unsandboxed, in a fresh copy (like a tool's fresh build)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "repo"
        shutil.copytree(repo, work)
        flags = SANITIZE if args.get("sanitize") else "-g"
        env = {**os.environ, "CXXFLAGS": flags, "LDFLAGS": flags}
        if name == "search":
            subprocess.run(["grep", "-rnIP", "-e", args["pattern"], "."], cwd=work, capture_output=True)
        elif name == "compile":
            subprocess.run(["g++", "-std=c++17", "-fsyntax-only", "-Wall", "-Wextra", "-x", "c++", "-I.", "-Isrc",
                            args["file"]], cwd=work, capture_output=True)  # fmt: skip
        elif name == "run_tests":
            subprocess.run(["make", "-j", "2"], cwd=work, env=env, capture_output=True)
            subprocess.run(["make", "test"], cwd=work, env=env, capture_output=True)
        elif name == "read_file":
            (work / args["path"]).read_text()
        elif name == "list_files":
            sorted(p for p in work.rglob("*") if p.is_file())


def tool_latency(repeats: int) -> list[dict]:
    rows = []
    for name, args in CALLS:

        def ours(name=name, args=args):
            with Workspace(RING) as ws:  # a fresh copy each time: a fresh build, like the baseline
                run_tool(ws, Call(name=name, arguments=args), Budget())

        t_ours = _median_s(ours, repeats)
        t_bare = _median_s(lambda name=name, args=args: bare(name, args, RING), repeats)
        label = name + (f" sanitize={args['sanitize']}" if "sanitize" in args else "")
        rows.append({"tool": label, "ours_s": round(t_ours, 3), "bare_s": round(t_bare, 3),
                     "overhead": round(t_ours / t_bare, 2) if t_bare else None})  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2, help="items per kind, for each split")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per tool (median)")
    p.add_argument("--workers", type=int, default=2, help="parallel verifications / trajectories")
    p.add_argument("--kinds", default=KINDS, help="bug kinds")
    args = p.parse_args(argv)
    print(machine_line())
    print(f"sandbox: {describe(isolation_record())}")
    print("\n| tool | sandboxed (s) | bare (s) | ratio |\n|---|---|---|---|")
    for r in tool_latency(args.repeats):
        print(f"| {r['tool']} | {r['ours_s']:.3f} | {r['bare_s']:.3f} | {r['overhead']}x |")

    from cppllm.agent.bench import load_tasks, run_agentfix
    from cppllm.agent.completers import ReplayCompleter
    from cppllm.agent.loop import AgentConfig
    from cppllm.agent.trajectories import to_agent_sft
    from cppllm.bugs.make import make, read_jsonl

    kinds = [k for k in args.kinds.split(",") if k]
    with tempfile.TemporaryDirectory() as tmp:
        out = {}
        for split in ("bench", "train"):
            t0 = time.perf_counter()
            make(Path(tmp) / split, kinds, args.n, seed=1, workers=args.workers, split=split, progress=False)
            out[split] = time.perf_counter() - t0
        t0 = time.perf_counter()
        tasks, dropped = load_tasks(Path(tmp) / "bench")
        t_verify = time.perf_counter() - t0
        n_bench = len(read_jsonl(Path(tmp) / "bench" / "items.jsonl"))
        print(f"\nagentfix: {len(tasks)} verified repositories of {n_bench} held-out items, families "
              f"({sorted({t.family for t in tasks})}), dropped {dropped}, {t_verify:.1f}s to verify")  # fmt: skip
        t0 = time.perf_counter()
        counts = to_agent_sft(read_jsonl(Path(tmp) / "train" / "items.jsonl"), Path(tmp) / "agent_sft.jsonl",
                              workers=args.workers, progress=False)  # fmt: skip
        t_sft = time.perf_counter() - t0
        rows = [json.loads(x) for x in (Path(tmp) / "agent_sft.jsonl").read_text().splitlines()]
        chars = statistics.median(len(json.dumps(r["messages"])) for r in rows) if rows else 0
        print(f"to-agent-sft: {counts} in {t_sft:.1f}s ({args.workers} workers); "
              f"median {chars:.0f} characters of messages per trajectory")  # fmt: skip
        from cppllm.agent.trajectories import expert_trajectory

        plans = []
        for t in tasks:
            row, _ = expert_trajectory(t)
            plans.append(
                [m["tool_calls"][0]["function"] for m in row["messages"] if m.get("tool_calls")]
                if row
                else []
            )
        it = iter(plans)
        sec = run_agentfix(
            tasks, lambda: ReplayCompleter(next(it)), AgentConfig(max_steps=10), progress=False
        )
        print(f"expert replay through the agentfix scorer: {sec['solved']}/{sec['n']} solved, "
              f"{sec['steps_per_task']:.1f} steps and {sec['tool_calls_per_task']:.1f} calls per task, "
              f"{statistics.mean(r['seconds'] for r in sec['tasks']):.1f}s per task")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
