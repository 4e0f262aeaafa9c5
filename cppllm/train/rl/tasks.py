"""RL task sets: a prompt, and how a reply's code becomes a program whose build and run verify it.

    --tasks complete:DIR,exercises:DIR,bugfix:DIR      (one or more, comma-separated, `kind:path`)

A `Task` is a chat prompt plus the text around the model's code: program = prefix + code + suffix, built
and run in the sandbox (exit status 0 = the tests pass). Kinds and the files they read:

- `complete`: function completion, `DIR/*.jsonl` rows `{id, prompt, tests, includes?, split?}`: `prompt`
  is a doc comment and a signature; the reply is the function's body; `tests` is a `main()` of checks.
  `python -m cppllm.train.rl.tasks make-complete --out DIR` writes a generated set (see `complete.py`).
- `exercises`: synthetic exercises, `DIR/*.jsonl` rows `{id, problem, solution, tests, split?}`; the reply
  is a program part that `tests` (a `main()`) exercises.
- `bugfix`: `DIR/items.jsonl` of `python -m cppllm.bugs make` (`files` = the buggy file,
  `fault.function` = [first, last] line of the faulty function, `split`); the reply is the fixed function,
  spliced in place of the old one, the file's own `main()` being the tests.

Rows without `split` fall in `heldout` by a stable hash of their id (1 in 10); `held_out` tasks are never
trained on and score pass@1 before and after RL. Bad rows are counted by reason, never crash a run.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KINDS = ("complete", "exercises", "bugfix")
HELDOUT_SPLITS = frozenset({"heldout", "held_out", "test", "val", "benchmark"})


@dataclass(frozen=True, kw_only=True)
class Task:
    id: str
    kind: str
    prompt: str  # the user turn
    prefix: str  # program = prefix + code + suffix
    suffix: str
    split: str = "train"

    @property
    def held_out(self) -> bool:
        return self.split in HELDOUT_SPLITS

    def program(self, code: str) -> str:
        return self.prefix + code.strip("\n") + "\n" + self.suffix


def hashed_split(task_id: str, heldout_frac: float = 0.1) -> str:
    h = int.from_bytes(hashlib.sha256(task_id.encode()).digest()[:8], "big") / 2**64
    return "heldout" if h < heldout_frac else "train"


def _rows(path: Path, drops: Counter) -> list[dict[str, Any]]:
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise FileNotFoundError(f"no .jsonl task files at {path}")
    rows = []
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                drops["bad_json"] += 1
                continue
            if not isinstance(row, dict):
                drops["not_object"] += 1
                continue
            rows.append(row)
    return rows


def _need(row: dict[str, Any], keys: tuple[str, ...], drops: Counter) -> bool:
    if all(isinstance(row.get(k), str) and row[k] for k in keys):
        return True
    drops["missing_" + next(k for k in keys if not (isinstance(row.get(k), str) and row[k]))] += 1
    return False


def complete_task(row: dict[str, Any]) -> Task:
    """The reply is the function's body: program = includes + doc + signature { body } + tests."""
    includes = row.get("includes", "")
    head = row["prompt"].rstrip()
    return Task(
        id=str(row["id"]),
        kind="complete",
        prompt="Write the body of this C++ function. Reply with the body in a ```cpp block.\n\n"
        f"```cpp\n{head}\n```",
        prefix=includes + ("\n" if includes and not includes.endswith("\n") else "") + head + " {\n",
        suffix="}\n" + row["tests"],
        split=row.get("split") or hashed_split(str(row["id"])),
    )


def exercise_task(row: dict[str, Any]) -> Task:
    return Task(
        id=str(row["id"]),
        kind="exercises",
        prompt=f"{row['problem'].strip()}\n\nReply with the C++ code (no main) in a ```cpp block.",
        prefix="",
        suffix=row["tests"],
        split=row.get("split") or hashed_split(str(row["id"])),
    )


def bugfix_task(row: dict[str, Any]) -> Task:
    (filename, buggy), *_ = row["files"].items()
    first, last = row["fault"]["function"]
    lines = buggy.split("\n")
    debug = (row.get("debug") or {}).get("text", "")
    return Task(
        id=str(row["id"]),
        kind="bugfix",
        prompt=f"`{filename}` has a bug. Find it and reply with the fixed function in a ```cpp block.\n\n"
        f"```cpp\n{buggy}\n```" + (f"\n\nDebug output:\n```\n{debug.strip()[:2000]}\n```" if debug else ""),
        prefix="\n".join(lines[: first - 1]) + "\n",
        suffix="\n".join(lines[last:]),
        split=row.get("split") or hashed_split(str(row["id"])),
    )


def _load_kind(kind: str, path: Path, drops: Counter) -> list[Task]:
    if kind == "bugfix":
        rows = _rows(path / "items.jsonl" if path.is_dir() else path, drops)
    else:
        rows = _rows(path, drops)
    tasks = []
    for row in rows:
        try:
            if kind == "complete":
                if _need(row, ("id", "prompt", "tests"), drops):
                    tasks.append(complete_task(row))
            elif kind == "exercises":
                if _need(row, ("id", "problem", "tests"), drops):
                    tasks.append(exercise_task(row))
            else:
                fn = (row.get("fault") or {}).get("function")
                if not (isinstance(row.get("files"), dict) and row["files"]):
                    drops["missing_files"] += 1
                elif not (isinstance(fn, list) and len(fn) == 2):
                    drops["no_fault_function"] += 1  # e.g. a compile-error item with no function span
                else:
                    tasks.append(bugfix_task(row))
        except (KeyError, TypeError, ValueError):
            drops[f"bad_{kind}_row"] += 1
    return tasks


def parse_tasks_spec(spec: str) -> list[tuple[str, Path]]:
    """'complete:DIR,bugfix:DIR' -> [(kind, path), ...]; unknown kinds are an error."""
    out = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kind, sep, path = part.partition(":")
        if not sep or kind not in KINDS or not path:
            raise ValueError(f"--tasks: {part!r} is not KIND:PATH with KIND one of {', '.join(KINDS)}")
        out.append((kind, Path(path)))
    if not out:
        raise ValueError("--tasks is empty")
    return out


def load_tasks(spec: str) -> tuple[list[Task], dict[str, int]]:
    """(tasks in file order, drop counts by reason) of a `--tasks` spec."""
    drops: Counter = Counter()
    tasks: list[Task] = []
    for kind, path in parse_tasks_spec(spec):
        tasks += _load_kind(kind, path, drops)
    seen: set[str] = set()
    unique = []
    for t in tasks:
        if t.id in seen:
            drops["duplicate_id"] += 1
            continue
        seen.add(t.id)
        unique.append(t)
    return unique, dict(drops)


class TaskSampler:
    """Training tasks in a seeded order, reshuffled every epoch; `state_dict` resumes exactly."""

    def __init__(self, tasks: list[Task], seed: int) -> None:
        if not tasks:
            raise ValueError("no training tasks (every task is held out, or none loaded)")
        self.tasks, self.seed = tasks, seed
        self.epoch, self.pos = 0, 0
        self._order = self._perm()

    def _perm(self) -> list[int]:
        import random

        order = list(range(len(self.tasks)))
        random.Random(f"{self.seed}:{self.epoch}").shuffle(order)
        return order

    def next_tasks(self, n: int) -> list[Task]:
        out = []
        for _ in range(n):
            if self.pos == len(self._order):
                self.epoch, self.pos = self.epoch + 1, 0
                self._order = self._perm()
            out.append(self.tasks[self._order[self.pos]])
            self.pos += 1
        return out

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "pos": self.pos}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch, self.pos = int(state["epoch"]), int(state["pos"])
        self._order = self._perm()
