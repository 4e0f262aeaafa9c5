"""Reward functions on real compiler and test verdicts (g++ in the sandbox), and reply parsing."""

from __future__ import annotations

import shutil

import pytest

from cppllm.train.rl.judge import Judge, parse_reply
from cppllm.train.rl.rewards import (
    DEFAULT_WEIGHTS,
    REWARDS,
    Reply,
    Verdict,
    extract_code,
    parse_weights,
    register,
    score,
)
from cppllm.train.rl.tasks import complete_task

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

ROW = {
    "id": "t0",
    "prompt": "// Return the larger of a and b.\nint big(int a, int b)",
    "tests": "\nint main() {\n    if (big(2, 3) != 3) return 1;\n    if (big(4, -1) != 4) return 1;\n    return 0;\n}\n",
}
SOLUTION = "    return a > b ? a : b;"  # the body: the task's program puts it under the signature


def _reply(code: str | None, *, finished: bool = True, closed: bool = True) -> Reply:
    content = f"```cpp\n{code}\n```" if code is not None else "I am not sure."
    return Reply(
        reasoning=None, thought_closed=closed, content=content, code=extract_code(content), finished=finished
    )


@pytest.fixture(scope="module")
def judge():
    j = Judge(jobs=2)
    yield j
    j.close()


CASES = {
    # name: (code, status, {reward: value})
    "passes": (SOLUTION, "passed", dict(format=1, syntax=1, build=1, tests=1, sanitizer=1)),
    "wrong_answer": (
        SOLUTION.replace("a > b", "a < b"),
        "failed",
        dict(format=1, syntax=1, build=1, tests=0, sanitizer=1),
    ),
    "syntax_error": (SOLUTION.replace(";", ""), "compile_error", dict(format=1, syntax=0, build=0, tests=0)),
    "link_error": (
        "    int helper(int, int);\n    return helper(a, b);",  # declared, never defined
        "link_error",
        dict(format=1, syntax=1, build=0, tests=0),
    ),
    "signed_overflow": (
        "    int m = 2147483647;\n    m += (a < 100);\n    return m;",
        "sanitizer",
        dict(format=1, syntax=1, build=1, tests=0, sanitizer=0),
    ),
    "no_code": (None, "no_code", dict(format=0, syntax=0, build=0, tests=0, sanitizer=0)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rewards_on_real_verdicts(judge, case):
    code, status, want = CASES[case]
    v = judge.verdict(complete_task(ROW), _reply(code))
    assert v.status == status, v
    _, comps = score(v, DEFAULT_WEIGHTS)
    assert {k: comps[k] for k in want} == {k: float(x) for k, x in want.items()}


def test_verdicts_in_parallel_keep_order(judge):
    task = complete_task(ROW)
    vs = judge.verdicts([(task, _reply(SOLUTION), 5), (task, _reply(None), 3)])
    assert [v.status for v in vs] == ["passed", "no_code"] and vs[0].response_tokens == 5


def test_format_needs_a_finished_reply_and_a_closed_thought(judge):
    task = complete_task(ROW)
    assert judge.verdict(task, _reply(SOLUTION, finished=False)).format_ok is False
    assert judge.verdict(task, _reply(SOLUTION, closed=False)).format_ok is False


def test_weights_and_registry():
    v = Verdict(
        format_ok=True, has_code=True, syntax_ok=True, builds=True, tests_pass=False, sanitizer_clean=True,
        status="failed",
    )  # fmt: skip
    total, comps = score(v, parse_weights("tests=2,format=0.5"))
    assert total == pytest.approx(0.5 + 0.1 + 0.1 + 0 + 0.1)
    with pytest.raises(ValueError, match="rewards:"):
        parse_weights("nope=1")

    @register("short_reply")
    def short_reply(v: Verdict) -> float:
        return 1.0 if v.response_tokens < 10 else 0.0

    try:
        total, comps = score(v, {"short_reply": 1.0})
        assert comps == {"short_reply": 1.0} and total == 1.0
    finally:
        REWARDS.pop("short_reply")


def test_parse_reply_splits_reasoning_and_code():
    from cppllm.tokenizer.special import END_TURN_ID, THOUGHT_END_ID, THOUGHT_START_ID

    class Tok:  # bytes <-> ids, enough for the markers
        def decode(self, ids):
            return bytes(ids).decode()

    text = list(b"```cpp\nint f();\n```")
    r = parse_reply([THOUGHT_START_ID, *b"hmm", THOUGHT_END_ID, *text, END_TURN_ID, 65], Tok(), finished=True)
    assert (r.reasoning, r.thought_closed, r.code) == ("hmm", True, "int f();")
    r = parse_reply([THOUGHT_START_ID, *b"hmm", *text], Tok(), finished=False)
    assert r.thought_closed is False and r.code is None


def test_verdicts_are_cached_by_program(judge):
    task = complete_task(ROW)
    before = judge.hits
    a = judge.verdict(task, _reply(SOLUTION.replace("a > b", "b < a")), 7)
    b = judge.verdict(task, _reply(SOLUTION.replace("a > b", "b < a"), finished=False), 9)
    assert judge.hits == before + 1
    # the cached part is the program's; the reply's own format and length are not taken from the cache
    assert (a.status, b.status) == ("passed", "passed") and b.format_ok is False and b.response_tokens == 9
