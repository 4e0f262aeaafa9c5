import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cppllm.bugs.__main__ import main
from cppllm.bugs.make import read_jsonl
from cppllm.bugs.verify import SANITIZE_FLAGS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bugs"

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")


def _items(made):
    return read_jsonl(made / "items.jsonl")


def _independent_run(tmp_path, name, source, syntax_only=False):
    """Build with a plain g++ call outside the sandbox and run: (build ok, run rc, stderr)."""
    src = tmp_path / name
    src.write_text(source)
    if syntax_only:
        b = subprocess.run(["g++", "-std=c++17", "-fsyntax-only", str(src)], capture_output=True, text=True)
        return b.returncode == 0, None, b.stderr
    b = subprocess.run(
        ["g++", "-std=c++17", *SANITIZE_FLAGS, str(src), "-o", str(tmp_path / "p")],
        capture_output=True,
        text=True,
    )
    if b.returncode:
        return False, None, b.stderr
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0", UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    r = subprocess.run([str(tmp_path / "p")], capture_output=True, text=True, env=env, timeout=30)
    return True, r.returncode, r.stderr


def test_items_have_the_documented_record_and_the_summary_counts_them(made):
    items = _items(made)
    summary = json.loads((made / "summary.json").read_text())
    assert summary["items"] == len(items) == 4
    assert summary["by_kind"] == {
        "null_deref": 1,
        "use_after_free": 1,
        "wrong_operator": 1,
        "compile_error": 1,
    }
    assert summary["failures"].get("compile_error", {}).get("corpus_unit_does_not_compile", 0) >= 0
    for it in items:
        assert {"id", "kind", "family", "files", "diff", "tests", "build", "debug", "fault", "split"} <= set(
            it
        )
        ((name, buggy),) = it["files"].items()
        assert it["fault"]["file"] == name and it["fault"]["symbol"]
        assert it["diff"].startswith(f"--- a/{name}\n+++ b/{name}\n")
        assert it["verified"]["fixed"] == "passed" and it["verified"]["isolation"]
        if it["kind"] == "null_deref":
            assert it["debug"]["type"] == "sanitizer"
            assert f"{name}:{it['report']['line']}" in it["debug"]["text"]  # symbolized to file:line
            assert "/tmp/" not in it["debug"]["text"] and "unit.cpp" not in it["debug"]["text"]
        if it["kind"] == "use_after_free":
            assert "heap-use-after-free" in it["debug"]["text"]
        if it["kind"] == "compile_error":
            assert it["family"] == "corpus" and " error: " in it["debug"]["text"]
            assert it["build"].endswith(f"-fsyntax-only {name}")


def test_verification_holds_under_an_independent_build(made, tmp_path):
    for it in _items(made):
        ((name, buggy),) = it["files"].items()
        fixed = it["fixed_files"][name]
        syntax = it["kind"] == "compile_error"
        ok, rc, _ = _independent_run(tmp_path, name, fixed, syntax)
        assert ok and rc in (0, None), it["id"]
        ok, rc, err = _independent_run(tmp_path, name, buggy, syntax)
        assert (not ok) if syntax else (ok and rc != 0), it["id"]


def test_rerun_resumes_and_is_deterministic(made, tmp_path):
    before = (made / "items.jsonl").read_text()
    rc = main(
        [
            "make",
            "--kinds",
            "null_deref,use_after_free,wrong_operator,compile_error",
            "--n",
            "1",
            "--out",
            str(made),
            "--seed",
            "3",
            "--corpus",
            str(Path(__file__).resolve().parent.parent / "fixtures" / "bugs" / "corpus"),
            "--no-progress",
        ]
    )
    assert rc == 0 and (made / "items.jsonl").read_text() == before  # nothing redone
    # A fresh folder with the same seed gives the same first item.
    out = tmp_path / "again"
    assert (
        main(
            [
                "make",
                "--kinds",
                "use_after_free",
                "--n",
                "1",
                "--out",
                str(out),
                "--seed",
                "3",
                "--workers",
                "1",
                "--no-progress",
            ]
        )
        == 0
    )
    first = read_jsonl(out / "items.jsonl")[0]
    same = next(it for it in _items(made) if it["id"] == first["id"])
    assert first["files"] == same["files"] and first["diff"] == same["diff"]


def test_a_killed_run_leaves_a_partial_line_that_is_redone(made, tmp_path):
    out = tmp_path / "cut"
    shutil.copytree(made, out)
    full = (out / "items.jsonl").read_text()
    lines = full.splitlines(keepends=True)
    cut = next(i for i, ln in enumerate(lines) if json.loads(ln)["kind"] == "compile_error")
    lost = json.loads(lines[cut])["id"]
    # the run was killed while writing that item: half its line is there, its attempt line is not
    (out / "items.jsonl").write_text("".join(lines[:cut]) + lines[cut][: len(lines[cut]) // 2])
    attempts = [x for x in (out / "attempts.jsonl").read_text().splitlines(keepends=True) if lost not in x]
    (out / "attempts.jsonl").write_text("".join(attempts))
    argv = ["make", "--kinds", "null_deref,use_after_free,wrong_operator,compile_error", "--n", "1"]
    argv += ["--out", str(out), "--seed", "3", "--corpus", str(FIXTURES / "corpus"), "--no-progress"]
    assert main(argv) == 0
    redone = read_jsonl(out / "items.jsonl")
    assert sorted(json.dumps(x, sort_keys=True) for x in redone) == sorted(
        json.dumps(json.loads(x), sort_keys=True) for x in lines
    )


def test_bad_arguments_are_clear_errors(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["make", "--kinds", "null_deref,typo", "--n", "1", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        main(["make", "--kinds", "compile_error", "--n", "1", "--out", str(tmp_path)])  # needs --corpus
    assert "unknown kind" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")
def test_every_kind_verifies_on_a_tiny_run(tmp_path):
    out = tmp_path / "all"
    assert main(["make", "--n", "1", "--out", str(out), "--workers", "2", "--no-progress"]) == 0
    items = read_jsonl(out / "items.jsonl")
    assert len({it["kind"] for it in items}) == 8
    for it in items:
        ((name, buggy),) = it["files"].items()
        ok, rc, _ = _independent_run(tmp_path, name, it["fixed_files"][name])
        assert ok and rc == 0
        ok, rc, _ = _independent_run(tmp_path, name, buggy)
        assert ok and rc != 0, it["id"]
