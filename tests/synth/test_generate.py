"""Generation end to end against a scripted OpenAI-compatible HTTP server on loopback: per-kind checks and
drop reasons, the SFT layout, resume without paying twice, and a bad server's faults (garbage, 5xx, slow,
down) as retries and counted drops or a clear error."""

from __future__ import annotations

import json
from pathlib import Path

from cppllm.synth.__main__ import main
from cppllm.tokenizer.chat import check_messages


def chat_body(text: str) -> bytes:
    return json.dumps(
        {
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 20},
        }
    ).encode()


GOOD = """## Problem
Write `int twice(int x)` that returns 2 * x.
## Solution
```cpp
int twice(int x) { return 2 * x; }
```
## Tests
```cpp
#include <cassert>
int main() { assert(twice(3) == 6); assert(twice(0) == 0); return 0; }
```
"""
UB = GOOD.replace(
    "return 2 * x;",
    "int* a = new int[2]{x, x}; volatile int y = a[x - 1]; int r = a[0] + a[1]; delete[] a; (void)y; return r;",
)
FAILING = GOOD.replace("return 2 * x;", "return x + 2;")
GARBAGE = "Sure! Here is an exercise about lambdas, with no sections at all."
QA = "## Question\nWhat does `std::move` do?\n## Answer\nIt casts its argument to an rvalue reference.\n"


def _args(kind: str, url: str, out: Path, n: int, *extra: str) -> list[str]:
    return [kind, "--endpoint", url, "--model", "teacher-x", "--n", str(n), "--out", str(out), *extra]


def _stats(out: Path) -> dict:
    return json.loads((out / "stats.json").read_text())


def test_exercises_verified_and_converted(tmp_path: Path, scripted_server):
    answers = [GOOD, UB, GARBAGE, FAILING]
    if srv := scripted_server(lambda req, n: (200, chat_body(answers[(n - 1) % 4]), 0.0)):
        out = tmp_path / "ex"
        assert main(_args("exercises", srv.url, out, 4, "--concurrency", "1")) == 0
    stats = _stats(out)
    assert stats["kept"] == 1
    assert stats["by_reason"] == {"malformed_response": 1, "sanitizer_error": 1, "test_failed": 1}
    docs = [json.loads(x) for x in (out / "docs" / "exercises.jsonl").read_text().splitlines()]
    assert (
        len(docs) == 1 and docs[0]["source"] == "synthetic-exercises" and docs[0]["generator"] == "teacher-x"
    )
    assert "int twice" in docs[0]["text"] and docs[0]["topic"]
    sft = [json.loads(x) for x in (out / "sft.jsonl").read_text().splitlines()]
    assert [m["role"] for m in sft[0]["messages"]] == ["system", "user", "assistant"]
    assert check_messages(sft[0]) is None  # what the SFT stage's loader accepts (cppllm.train.chat_data)
    assert "assert(twice(3) == 6)" in sft[0]["messages"][1]["content"]
    assert "return 2 * x" in sft[0]["messages"][2]["content"]
    dropped = [json.loads(x) for x in (out / "dropped.jsonl").read_text().splitlines()]
    assert {d["reason"] for d in dropped} == {"malformed_response", "sanitizer_error", "test_failed"}
    assert stats["tokens"] == {"prompt": 40, "completion": 80}  # the server's usage, summed
    assert stats["verify"]["sandbox"]["programs"] in ("sandboxed", "unsandboxed")


def test_rerun_does_not_pay_twice_and_grows(tmp_path: Path, scripted_server):
    if srv := scripted_server(lambda req, n: (200, chat_body(QA), 0.0)):
        out = tmp_path / "qa"
        assert main(_args("qa", srv.url, out, 3)) == 0
        assert len(srv.requests) == 3
        assert main(_args("qa", srv.url, out, 3)) == 0
        assert len(srv.requests) == 3  # all cached: nothing requested again
        assert main(_args("qa", srv.url, out, 5)) == 0
        assert len(srv.requests) == 5  # only the two new prompts
        # the prompts differ (taxonomy cells), and the server got the user prompt of each
        users = [r["messages"][-1]["content"] for r in srv.requests]
        assert len(set(users)) == 5 and all(r["model"] == "teacher-x" for r in srv.requests)
    stats = _stats(out)
    assert stats["kept"] == 5 and stats["diversity"]["distinct_cells"] == 5
    # identical answers are near-duplicates: the diversity measure says so
    assert stats["diversity"]["near_duplicate_docs"] == 5
    assert main(_args("qa", "http://127.0.0.1:9", out, 5)) == 0  # all done: no server needed
    # a larger --n recorded but never run (a run refused later): a run that does not need it skips it
    ranges = json.loads((out / "ranges.json").read_text())
    (out / "ranges.json").write_text(json.dumps([*ranges, [5, 9]]))
    assert main(_args("qa", "http://127.0.0.1:9", out, 5, "--ready-timeout", "1")) == 0
    assert _stats(out)["kept"] == 5
    assert main(_args("qa", "http://127.0.0.1:9", out, 5, "--model", "other")) == 2  # other settings: refused


def test_garbage_and_server_errors_are_counted_drops(tmp_path: Path, scripted_server):
    fast = ("--retries", "1", "--backoff", "0.01")
    if srv := scripted_server(lambda req, n: (200, b"<html>not json</html>", 0.0)):
        assert main(_args("qa", srv.url, tmp_path / "g", 2, *fast)) == 0
        assert len(srv.requests) == 4  # each prompt tried twice
    assert _stats(tmp_path / "g")["by_reason"] == {"malformed_response": 2}
    if srv := scripted_server(lambda req, n: (500, b'{"error": "boom"}', 0.0)):
        assert main(_args("qa", srv.url, tmp_path / "e", 2, *fast)) == 0
        assert len(srv.requests) == 4
    assert _stats(tmp_path / "e")["by_reason"] == {"failed_request": 2}
    if srv := scripted_server(lambda req, n: (200, chat_body(QA), 3.0)):
        assert main(_args("qa", srv.url, tmp_path / "s", 1, *fast, "--timeout", "0.5")) == 0
    assert _stats(tmp_path / "s")["by_reason"] == {"failed_request": 1}
    # a flaky server: the first answer is a 503, the retry succeeds
    if srv := scripted_server(lambda req, n: (503, b"busy", 0.0) if n == 1 else (200, chat_body(QA), 0.0)):
        assert main(_args("qa", srv.url, tmp_path / "f", 1, *fast)) == 0
        assert len(srv.requests) == 2
    assert _stats(tmp_path / "f")["kept"] == 1


def test_server_down_is_a_clear_error(tmp_path: Path, capsys):
    rc = main(_args("qa", "http://127.0.0.1:9", tmp_path / "d", 2, "--ready-timeout", "1"))
    assert rc == 2
    err = capsys.readouterr().err
    assert "no OpenAI-compatible server answers GET http://127.0.0.1:9/v1/models within 1s" in err


TEXTBOOK_OK = """# Lambdas

A lambda is an unnamed function object.

```cpp
#include <cstdio>
int main() { auto f = [](int x) { return x + 1; }; std::printf("%d\\n", f(1)); }
```

Captures copy or reference variables:

```cpp
int main() { int k = 2; auto g = [&k] { return k * 2; }; return g() == 4 ? 0 : 1; }
```
"""
TEXTBOOK_BAD = TEXTBOOK_OK.replace("return k * 2; }", "return k * 2 }").replace("int x)", "int x")
TEXTBOOK_NO_CODE = "# Lambdas\n\nA lambda is an unnamed function object, and that is all.\n"


def test_textbooks_code_blocks_compile_checked(tmp_path: Path, scripted_server):
    answers = [TEXTBOOK_OK, TEXTBOOK_BAD, TEXTBOOK_NO_CODE]
    srv = scripted_server(lambda req, n: (200, chat_body(answers[(n - 1) % 3]), 0.0))
    out = tmp_path / "tb"
    assert main(_args("textbooks", srv.url, out, 3, "--concurrency", "1")) == 0
    stats = _stats(out)
    assert stats["kept"] == 1 and stats["by_reason"] == {"low_compile_rate": 1, "no_code": 1}
    assert stats["code_blocks"] == 4 and stats["code_blocks_compiled"] == 2
    assert stats["code_block_pass_rate"] == 0.5
    doc = json.loads((out / "docs" / "textbooks.jsonl").read_text())
    assert doc["code_pass_rate"] == 1.0 and doc["source"] == "synthetic-textbooks"
    # a lower threshold keeps the half-compiling one (same answers: read from DIR, not requested again)
    assert main(_args("textbooks", srv.url, out, 3, "--min-pass-rate", "0")) == 0
    assert len(srv.requests) == 3 and _stats(out)["kept"] == 2


def test_concurrency_is_bounded_by_the_flag(tmp_path: Path, scripted_server):
    for concurrency, expect in ((1, lambda m: m == 1), (4, lambda m: 2 <= m <= 4)):
        srv = scripted_server(lambda req, n: (200, chat_body(QA), 0.3))
        assert (
            main(_args("qa", srv.url, tmp_path / f"c{concurrency}", 6, "--concurrency", str(concurrency)))
            == 0
        )
        assert expect(srv.max_in_flight), (concurrency, srv.max_in_flight)


def test_killed_run_resumes_without_paying_twice(tmp_path: Path, scripted_server, fixtures_dir):
    """A generation killed mid-run (SIGKILL, as a preempted job) resumes from datatrove's request cache and
    checkpoints: the answers already received are not requested again."""
    import os
    import subprocess
    import sys
    import time

    evals = fixtures_dir / "eval"
    decontam = ["--humaneval-source", str(evals / "humaneval-cpp-mini.jsonl")]
    decontam += ["--humanevalfix-source", str(evals / "humanevalpack-cpp-mini.jsonl")]
    srv = scripted_server(lambda req, n: (200, chat_body(QA), 0.3))
    out = tmp_path / "qa"
    argv = _args("qa", srv.url, out, 8, "--concurrency", "1", *decontam)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cppllm.synth", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(srv.requests) < 4 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    killed_at = len(srv.requests)
    assert 4 <= killed_at < 8, "the run was not killed mid-way"
    assert main(argv) == 0
    assert _stats(out)["kept"] == 8
    # the request in flight when it was killed may be paid twice, nothing else
    assert len(srv.requests) <= 8 + 1, (killed_at, len(srv.requests))


def test_api_key_on_the_command_line_is_refused_not_read_as_a_variable_name(capsys):
    """`--api-key SECRET` is no flag (keys come from `--api-key-env`'s variable): argparse must not take it
    for an abbreviation of `--api-key-env`, which would use the secret as a variable name."""
    import pytest

    from cppllm.synth.__main__ import main
    from pipelines.cli import build_parser
    from pipelines.sources import M2

    with pytest.raises(SystemExit) as e:
        main(["textbooks", "--endpoint", "http://127.0.0.1:9", "--model", "m", "--n", "1", "--out", "o",
              "--api-key", "sk-secret"])  # fmt: skip
    assert e.value.code == 2 and "unrecognized arguments: --api-key" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser(M2).parse_args(["--synthetic-api-key", "sk-secret"])
    assert "unrecognized arguments: --synthetic-api-key" in capsys.readouterr().err
