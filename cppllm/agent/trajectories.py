"""Expert agent trajectories from verified bug items, for SFT (`python -m cppllm.bugs to-agent-sft`).

Each item becomes a repository (`cppllm.agent.repos`) and an expert works it with the real tools, so every
observation in the data is what the tool really printed:

    run_tests -> search the faulty function -> read_file (its lines) -> edit (the changed lines) -> run_tests

The reasoning before each call is written from the observation before it (the sanitizer headline and first
repository frame, or the failed check; the search hit's file:line; the faulty line as read_file printed
it) plus the item's verified facts (why this kind of bug fails, what the fix changes), with wording drawn
per item (`cppllm.bugs.sft`'s phrasings). A trajectory is kept only when the final run_tests passes
sanitizer-clean; otherwise the item is a counted drop. Rows are the SFT layout with tool turns:

    {"messages": [system, user, assistant(reasoning, tool_calls), tool, ..., assistant(answer)],
     "tools": TOOL_SCHEMAS, "id": item id}
"""

from __future__ import annotations

import difflib
import json
import random
import re
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cppllm.agent.loop import SYSTEM
from cppllm.agent.protocol import Call, truncate
from cppllm.agent.repos import RepoItem, repo_item
from cppllm.agent.tools import TOOL_SCHEMAS, Budget, run_tool
from cppllm.agent.workspace import Workspace
from cppllm.atomic import write_text
from cppllm.bugs.sft import WHY, describe_change

TASKS = {
    "sanitizer": [
        "The tests of this repository crash under AddressSanitizer/UBSan. Find the bug and fix it.",
        "`make test` dies with a sanitizer report. Debug it and fix the library.",
    ],
    "test_failure": [
        "A test fails in this repository. Find the bug in the library and fix it.",
        "`make test` reports a failed check. Please find the root cause and fix it.",
    ],
}
RUN_FIRST = [
    "Start by running the tests to see how they fail.",
    "First, reproduce the failure: run the tests.",
    "Let me run the test suite and read what it reports.",
]


def task_text(r: RepoItem, rng: random.Random) -> str:
    return rng.choice(TASKS["sanitizer" if r.item["debug"]["type"] == "sanitizer" else "test_failure"])


def _edit_args(r: RepoItem) -> dict[str, Any]:
    """The smallest line-range replacement that turns the buggy library into the fixed one."""
    a = r.buggy[r.lib_path].split("\n")
    b = r.fixed[r.lib_path].split("\n")
    ops = [op for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    i1, j1 = ops[0][1], ops[0][3]
    i2, j2 = ops[-1][2], ops[-1][4]
    return {"path": r.lib_path, "start_line": i1 + 1, "end_line": i2, "content": "\n".join(b[j1:j2])}


def _after_tests(result: dict[str, Any], rng: random.Random) -> str:
    site = result.get("site")
    if site is None:
        return f"The tests end with status {result['status']}; I need to find the function involved."
    where = f"{site['file']}:{site['line']}" + (f" in `{site['symbol']}`" if site["symbol"] else "")
    if result["status"] == "sanitizer":
        return rng.choice(
            [
                f"The sanitizer reports `{site['message']}`; the first frame in our code is {where}.",
                f"ASan/UBSan stops the tests: `{site['message']}` at {where}.",
            ]
        )
    return rng.choice(
        [f"The check at {where} fails: `{site['message']}`.", f"`{site['message']}` (at {where})."]
    )


def expert_trajectory(r: RepoItem, budget: Budget = Budget()) -> tuple[dict[str, Any] | None, str]:
    """(row, "ok") or (None, reason): buggy_passes, no_site, search_missed, fix_does_not_pass."""
    rng = random.Random(r.id)
    symbol = r.item["fault"]["symbol"] or ""
    short = symbol.rsplit("::", 1)[-1]
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": task_text(r, rng)},
    ]
    with (
        tempfile.TemporaryDirectory(prefix="cppllm-traj-") as tmp,
        Workspace(r.write(Path(tmp) / "repo")) as ws,
    ):

        def step(reasoning: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
            call = {"name": name, "arguments": args}
            messages.append({"role": "assistant", "content": "", "reasoning": reasoning,
                             "tool_calls": [{"type": "function", "function": call}]})  # fmt: skip
            result = run_tool(ws, Call(name=name, arguments=args), budget)
            messages.append({"role": "tool", "content": truncate(result["text"], budget.result_chars)})
            return result

        first = step(rng.choice(RUN_FIRST), "run_tests", {})
        if first["ok"]:
            return None, "buggy_passes"
        if not short or r.function is None:
            return None, "no_site"
        seen = _after_tests(first, rng)
        link = rng.choice(
            [
                f"The failure goes through `{symbol}`; let me find where it is defined.",
                f"`{symbol}` is the function to inspect; search for its definition.",
            ]
        )
        found = step(
            f"{seen} {link}", "search", {"pattern": rf"\b{re.escape(short)}\s*\(", "path": "include"}
        )
        hit = next((m for m in found.get("matches", []) if m.startswith(r.lib_path + ":")), None)
        if hit is None:
            return None, "search_missed"
        line = int(hit.split(":")[1])
        start, end = r.function
        step(f"`{short}` is defined at {r.lib_path}:{line}. Read the whole function.", "read_file",
             {"path": r.lib_path, "start_line": start, "end_line": end})  # fmt: skip
        code = r.buggy[r.lib_path].split("\n")[r.fault_line - 1].strip()
        why = rng.choice(WHY.get(r.item["subkind"]) or WHY[r.kind]).format(symbol=symbol, line=r.fault_line)
        change = describe_change(r.item["diff"])
        step(
            f"Line {r.fault_line} reads `{code}`. The cause: {why} The fix {change}.",
            "edit",
            _edit_args(r),
        )
        final = step("Run the tests again to check the fix.", "run_tests", {})
        if not final["ok"]:
            return None, "fix_does_not_pass"
        answer = f"Fixed `{symbol}` in {r.lib_path}: the fix {change}. " + (
            "The tests pass and ASan/UBSan report nothing." if final.get("sanitize") else "The tests pass."
        )
        messages.append({"role": "assistant", "content": answer, "reasoning": "The tests pass now; done."})
    return {"messages": messages, "tools": TOOL_SCHEMAS, "id": r.id}, "ok"


def to_agent_sft(
    items: list[dict[str, Any]], out: Path, *, workers: int = 2, progress: bool = True
) -> dict[str, Any]:
    """Write expert trajectories of the training items to `out` (JSONL); benchmark items are skipped."""
    from tqdm import tqdm

    counts: Counter[str] = Counter()
    todo: list[RepoItem] = []
    for it in items:
        if it.get("split") == "bench":
            counts["skipped_benchmark_items"] += 1
            continue
        r, why = repo_item(it)
        if r is None:
            counts[why] += 1
        else:
            todo.append(r)
    rows: dict[str, dict] = {}
    with ThreadPoolExecutor(max(1, workers)) as pool, tqdm(total=len(todo), desc="agent trajectories",
                                                         disable=not progress) as bar:  # fmt: skip
        for r, (row, why) in zip(todo, pool.map(expert_trajectory, todo), strict=True):
            counts[why if row is None else "trajectories"] += 1
            if row is not None:
                rows[r.id] = row
            bar.update(1)
    kept = [rows[r.id] for r in todo if r.id in rows]  # input order, whatever the worker count
    write_text(out, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in kept))
    return {"trajectories": counts.pop("trajectories", 0), **dict(sorted(counts.items()))}
