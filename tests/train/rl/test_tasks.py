"""Task loaders (complete, exercises, bugfix) with counted drops, programs assembled from replies, sampler."""

from __future__ import annotations

import json

import pytest

from cppllm.train.rl.complete import main as complete_main
from cppllm.train.rl.tasks import TaskSampler, load_tasks, parse_tasks_spec

BUGGY = "#include <cstdio>\nint twice(int x) {\n  return x + 1;\n}\nint main() {\n  return twice(2) == 4 ? 0 : 1;\n}"


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


def test_all_kinds_load_and_assemble(tmp_path):
    assert complete_main(["--out", str(tmp_path / "c"), "--n-train", "6", "--n-heldout", "2"]) == 0
    _write(
        tmp_path / "ex" / "a.jsonl",
        [
            {"id": "e1", "problem": "Write int sq(int).", "solution": "int sq(int x){return x*x;}",
             "tests": "int main(){return sq(3)==9?0:1;}"},
            {"id": "e2", "problem": "no tests"},
            "{not json",
        ],
    )  # fmt: skip
    _write(
        tmp_path / "bf" / "items.jsonl",
        [
            {"id": "b1", "files": {"t.cpp": BUGGY}, "fault": {"function": [2, 4]}, "split": "train",
             "debug": {"text": "exit 1"}},
            {"id": "b2", "files": {"t.cpp": BUGGY}, "fault": {"function": None}},
        ],
    )  # fmt: skip
    spec = f"complete:{tmp_path / 'c'},exercises:{tmp_path / 'ex'},bugfix:{tmp_path / 'bf'}"
    tasks, drops = load_tasks(spec)
    assert drops == {"missing_tests": 1, "bad_json": 1, "no_fault_function": 1}
    by_id = {t.id: t for t in tasks}
    assert sum(t.kind == "complete" for t in tasks) == 8
    assert sum(t.held_out for t in tasks if t.kind == "complete") == 2
    # the bug-fix reply replaces exactly the faulty function's lines; the file's main stays the test
    fixed = by_id["b1"].program("int twice(int x) {\n  return 2 * x;\n}")
    assert fixed == BUGGY.replace("x + 1", "2 * x")
    assert "exit 1" in by_id["b1"].prompt
    assert by_id["e1"].program("int sq(int x){return x*x;}").endswith("return sq(3)==9?0:1;}")


def test_bad_specs():
    with pytest.raises(ValueError, match="KIND:PATH"):
        parse_tasks_spec("unknown:/x")
    with pytest.raises(FileNotFoundError):
        load_tasks("complete:/nonexistent/dir")


def test_sampler_resumes_exactly(tmp_path):
    complete_main(["--out", str(tmp_path), "--n-train", "5", "--n-heldout", "0"])
    tasks, _ = load_tasks(f"complete:{tmp_path}")
    a = TaskSampler(tasks, seed=3)
    first = [t.id for t in a.next_tasks(7)]  # crosses an epoch
    state = a.state_dict()
    rest = [t.id for t in a.next_tasks(6)]
    b = TaskSampler(tasks, seed=3)
    b.load_state_dict(state)
    assert [t.id for t in b.next_tasks(6)] == rest
    assert sorted(first[:5]) == sorted(t.id for t in tasks)  # an epoch visits every task once
