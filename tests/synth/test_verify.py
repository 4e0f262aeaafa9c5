"""The exercise filter on hand-written candidates: correct ones kept, each kind of failure dropped with its
reason (no compile, failing test, UB, heap overflow, infinite loop, malformed rows)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cppllm.synth.__main__ import main

SOLUTION = """#include <vector>
#include <cassert>

int sum(const std::vector<int>& v) {
  int s = 0;
  for (int x : v) s += x;
  return s;
}
"""
TESTS = """int main() {
  assert(sum({1, 2, 3}) == 6);
  assert(sum({}) == 0);
  return 0;
}
"""

CANDIDATES = [
    {"id": "good", "problem": "Sum a vector.", "solution": SOLUTION, "tests": TESTS},
    {
        "id": "good_clamp",
        "problem": "Clamp to [lo, hi].",
        "solution": "#include <cassert>\nint clamp(int x, int lo, int hi) { return x < lo ? lo : x > hi ? hi : x; }\n",
        "tests": "int main() { assert(clamp(5, 0, 3) == 3); assert(clamp(-1, 0, 3) == 0); }\n",
    },
    {
        "id": "no_compile",
        "problem": "Sum a vector.",
        "solution": SOLUTION.replace("return s;", "return s"),
        "tests": TESTS,
    },
    {
        "id": "wrong_answer",
        "problem": "Sum a vector.",
        "solution": SOLUTION.replace("s += x", "s += 2 * x"),
        "tests": TESTS,
    },
    {
        "id": "signed_overflow",  # passes without UBSan: the UB is only seen by the sanitizer
        "problem": "Add one.",
        "solution": "#include <climits>\n#include <cstdlib>\nint inc(int x) { return x + 1; }\n",
        "tests": "int main(int argc, char**) { volatile int big = INT_MAX - 1 + argc; return inc(big) == 0 ? 1 : 0; }\n",
    },
    {
        "id": "heap_overflow",
        "problem": "Last element.",
        "solution": "#include <vector>\nint last(const std::vector<int>& v) { return v.data()[v.size()]; }\n",
        "tests": "int main() { std::vector<int> v{1, 2, 3}; volatile int x = last(v); (void)x; return 0; }\n",
    },
    {
        "id": "infinite_loop",
        "problem": "Spin.",
        "solution": "int spin() { volatile unsigned long i = 0; while (true) { i = i + 1; } }\n",
        "tests": "int main() { return spin(); }\n",
    },
    {"id": "no_main", "problem": "x", "solution": "int f() { return 1; }", "tests": "// no tests"},
    {"id": "missing_tests", "problem": "x", "solution": "int f() { return 1; }"},
]

EXPECTED = {
    "good": None,
    "good_clamp": None,
    "no_compile": "compile_error",
    "wrong_answer": "test_failed",
    "signed_overflow": "sanitizer_error",
    "heap_overflow": "sanitizer_error",
    "infinite_loop": "timeout",
    "no_main": "malformed_candidate",
    "missing_tests": "malformed_candidate",
}


def _write(path: Path, rows: list, extra_lines: tuple[str, ...] = ()) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "".join(x + "\n" for x in extra_lines))
    return path


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def verified(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("verify")
    cands = _write(tmp / "cands.jsonl", CANDIDATES, extra_lines=("{not json",))
    out = tmp / "out"
    assert (
        main(
            ["verify", "--in", str(cands), "--out", str(out), "--quiet", "--jobs", "2", "--run-timeout", "4"]
        )
        == 0
    )
    return out


def test_kept_and_dropped_with_reasons(verified: Path):
    kept = {r["id"] for r in _read(verified / "kept.jsonl")}
    dropped = {r["id"]: r for r in _read(verified / "dropped.jsonl")}
    assert kept == {k for k, v in EXPECTED.items() if v is None}
    for cid, reason in EXPECTED.items():
        if reason is not None:
            assert dropped[cid]["reason"] == reason, (cid, dropped[cid]["detail"])
    # the undecodable line is not lost: dropped under its line number
    assert dropped["10"]["reason"] == "malformed_candidate" and "invalid JSON" in dropped["10"]["detail"]
    # the sanitizer's own report is the detail
    assert "runtime error" in dropped["signed_overflow"]["detail"]
    assert "AddressSanitizer" in dropped["heap_overflow"]["detail"]


def test_stats_count_every_row(verified: Path):
    stats = json.loads((verified / "stats.json").read_text())
    assert stats["candidates"] == len(CANDIDATES) + 1
    assert stats["kept"] == 2
    assert stats["by_reason"]["malformed_candidate"] == 3
    assert stats["by_reason"]["sanitizer_error"] == 2
    assert sum(stats["by_reason"].values()) + stats["kept"] == stats["candidates"]
    assert stats["sandbox"]["programs"] in ("sandboxed", "unsandboxed")


def test_rerun_resumes_without_rebuilding(verified: Path, tmp_path: Path):
    """A rerun over the same out dir reuses the recorded verdicts (a killed run resumes)."""
    import shutil

    out = tmp_path / "out"
    shutil.copytree(verified, out)
    cands = _write(tmp_path / "cands.jsonl", CANDIDATES, extra_lines=("{not json",))
    assert main(["verify", "--in", str(cands), "--out", str(out), "--quiet"]) == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["kept"] == 2 and stats["seconds_this_run"] < 2.0
