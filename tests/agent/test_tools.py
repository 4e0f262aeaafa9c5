"""The seven tools on a small real repository (a real g++ build, a real ASan report), and hostile calls:
paths and symlinks that leave the repository, huge outputs, endless tests, bad regexes, bad diffs."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from cppllm.agent.protocol import Call
from cppllm.agent.tools import INDEX_HINT, Budget, run_tool
from cppllm.agent.workspace import Workspace

FIX = "    for (std::size_t i = 0; i < count_; ++i) total += data_[(head_ + i) % capacity_];"


def call(ws, name, budget=Budget(), **args):
    return run_tool(ws, Call(name=name, arguments=args), budget)


def test_list_read_search(ring_repo):
    with Workspace(ring_repo) as ws:
        out = call(ws, "list_files")
        assert out["ok"] and out["files"] == [
            "Makefile",
            "src/ring.cpp",
            "src/ring.hpp",
            "tests/test_ring.cpp",
        ]
        assert call(ws, "list_files", pattern="*.hpp")["files"] == ["src/ring.hpp"]
        r = call(ws, "read_file", path="src/ring.cpp", start_line=22, end_line=24)
        assert r["ok"] and r["text"].splitlines()[0] == "22| int Ring::sum() const {"
        assert r["text"].splitlines()[2].startswith("24|     for (std::size_t i = 0; i < count_")
        assert "read on with start_line=25" in r["text"]
        s = call(ws, "search", pattern=r"data_\[head_ \+ \w+\]")
        assert s["ok"] and s["matches"] == [
            "src/ring.cpp:24:    for (std::size_t i = 0; i < count_; ++i) total += data_[head_ + i];"
        ]
        assert call(ws, "search", pattern="no_such_symbol_anywhere")["text"] == "(no matches)"


def test_run_tests_reports_the_asan_error_then_passes_after_an_edit(ring_repo):
    with Workspace(ring_repo) as ws:
        out = call(ws, "run_tests")
        assert out["status"] == "sanitizer" and not out["ok"]
        assert "heap-buffer-overflow" in out["text"] and "src/ring.cpp:24" in out["text"]
        assert out["site"] == {
            "file": "src/ring.cpp",
            "line": 24,
            "symbol": "Ring::sum",
            "message": "AddressSanitizer: heap-buffer-overflow",
        }
        # without sanitizers the same bug reads past the buffer silently: the check may or may not fail
        e = call(ws, "edit", path="src/ring.cpp", start_line=24, end_line=24, content=FIX)
        assert e["ok"] and e["changed"] == ["src/ring.cpp"]
        done = call(ws, "run_tests")
        assert done["ok"] and done["status"] == "passed" and "ASan/UBSan clean" in done["text"]
        diff = ws.diff()
        assert diff.startswith("--- a/src/ring.cpp\n+++ b/src/ring.cpp\n")
        assert "-    for (std::size_t i = 0; i < count_; ++i) total += data_[head_ + i];" in diff
        assert "+" + FIX in diff
    assert (
        "head_ + i) % capacity_" not in (ring_repo / "src/ring.cpp").read_text()
    )  # the user's tree is untouched


def test_compile_parses_diagnostics_to_file_and_line(ring_repo):
    with Workspace(ring_repo) as ws:
        assert call(ws, "compile", file="src/ring.cpp")["status"] == "ok"
        call(ws, "edit", path="src/ring.cpp", start_line=9, end_line=9, content="    data_[head_] = valu;")
        out = call(ws, "compile", file="src/ring.cpp")
        assert out["status"] == "errors"
        err = next(d for d in out["diagnostics"] if d["severity"] == "error")
        assert (err["file"], err["line"]) == ("src/ring.cpp", 9) and "valu" in err["message"]
        build = call(ws, "compile")  # the project's build (make)
        assert build["status"] == "errors" and any(d["line"] == 9 for d in build["diagnostics"])
        failed = call(ws, "run_tests")
        assert failed["status"] == "build_failed" and "src/ring.cpp:9" in failed["text"]


def test_edit_applies_a_unified_diff_with_drifted_line_numbers(ring_repo):
    diff = textwrap.dedent("""\
        --- a/src/ring.cpp
        +++ b/src/ring.cpp
        @@ -20,3 +20,3 @@
         int Ring::sum() const {
             int total = 0;
        -    for (std::size_t i = 0; i < count_; ++i) total += data_[head_ + i];
        +    for (std::size_t i = 0; i < count_; ++i) total += data_[(head_ + i) % capacity_];
        """)
    with Workspace(ring_repo) as ws:
        out = call(ws, "edit", diff=diff)
        assert out["ok"], out
        assert call(ws, "run_tests")["status"] == "passed"
        bad = call(ws, "edit", diff=diff)  # already applied: the old lines are gone
        assert not bad["ok"] and "does not match" in bad["error"]


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/passwd", "src/../../x", "escape/passwd", "escape"])
def test_paths_and_symlinks_outside_the_repo_are_refused(ring_repo, path):
    os.symlink("/etc", ring_repo / "escape")
    with Workspace(ring_repo) as ws:
        for name, args in [
            ("read_file", {"path": path}),
            ("list_files", {"path": path}),
            ("search", {"pattern": "root", "path": path}),
            ("edit", {"path": path, "start_line": 1, "end_line": 1, "content": "x"}),
            ("compile", {"file": path}),
        ]:
            out = call(ws, name, **args)
            assert not out["ok"] and "outside the repository" in out["error"], (name, out)
        diff = f"--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-a\n+b\n"
        out = call(ws, "edit", diff=diff)
        assert not out["ok"] and "outside the repository" in out["error"]
        new = f"--- /dev/null\n+++ b/{path}/new.txt\n@@ -0,0 +1 @@\n+pwned\n"
        assert not call(ws, "edit", diff=new)["ok"]
    assert not os.path.exists("/etc/new.txt")


def test_huge_outputs_are_capped(ring_repo):
    (ring_repo / "big.txt").write_text("".join(f"needle {i} " + "x" * 1000 + "\n" for i in range(3000)))
    with Workspace(ring_repo) as ws:
        r = call(ws, "read_file", path="big.txt")
        assert r["end_line"] == Budget().read_lines and "[line cut]" in r["text"]
        assert len(r["text"]) < Budget().read_lines * (Budget().line_chars + 30)
        s = call(ws, "search", pattern="needle")
        assert len(s["matches"]) == Budget().search_matches and "more matches not shown" in s["text"]


def test_endless_tests_time_out(ring_repo):
    mk = ring_repo / "Makefile"
    mk.write_text(mk.read_text().replace("\t./$(BIN)", "\twhile true; do :; done"))
    with Workspace(ring_repo) as ws:
        out = call(ws, "run_tests", budget=Budget(test_s=3.0))
        assert out["status"] == "timeout" and not out["ok"]
        assert out["seconds"] < 30


def test_flooding_tests_are_capped_and_fifos_are_not_copied(ring_repo):
    from cppllm.agent.protocol import truncate

    os.mkfifo(ring_repo / "pipe")  # copying it would block forever
    mk = ring_repo / "Makefile"
    mk.write_text(mk.read_text().replace("\t./$(BIN)", "\tyes flood | head -c 50000000; exit 1"))
    with Workspace(ring_repo) as ws:
        assert not (ws.root / "pipe").exists()
        out = call(ws, "run_tests", sanitize=False)
        assert out["status"] == "failed" and len(out["text"]) < 2 * Budget().output_bytes
        assert len(truncate(out["text"], Budget().result_chars)) < Budget().result_chars + 200


def test_bad_calls_are_results_not_exceptions(ring_repo):
    with Workspace(ring_repo) as ws:
        assert "unknown tool" in call(ws, "rm_rf")["error"]
        assert 'missing argument "path"' in call(ws, "read_file")["error"]
        assert "must be int" in call(ws, "read_file", path="src/ring.cpp", start_line=[1])["error"]
        assert call(ws, "read_file", path="src/ring.cpp", start_line="3")["start_line"] == 3
        assert "bad pattern" in call(ws, "search", pattern="(unclosed")["error"]
        assert "no hunks" in call(ws, "edit", diff="just words")["error"]
        assert "not a range" in call(ws, "edit", path="src/ring.cpp", start_line=99, content="x")["error"]


def test_retrieve_says_unavailable_without_an_index_and_searches_with_one(ring_repo, tmp_path):
    from cppllm.index.__main__ import main as index_main

    with Workspace(ring_repo) as ws:
        out = call(ws, "retrieve", query="sum of the buffer")
        assert not out["ok"] and out["unavailable"] and out["text"] == INDEX_HINT
    idx = tmp_path / "idx"
    assert index_main(["build", "--source", f"ring={ring_repo}", "--out", str(idx), "--no-progress"]) == 0
    with Workspace(ring_repo, index_dir=idx) as ws:
        out = call(ws, "retrieve", query="Ring sum total", k=3)
        assert out["ok"] and out["mode"] == "bm25" and out["hits"]
        assert out["hits"][0]["path"].endswith("ring.cpp")


def test_cmake_project_runs_ctest(ring_repo):
    import shutil

    if shutil.which("cmake") is None:
        pytest.skip("cmake not installed")
    (ring_repo / "Makefile").unlink()
    (ring_repo / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.10)\nproject(ring CXX)\nset(CMAKE_CXX_STANDARD 17)\nenable_testing()\n"
        "add_executable(test_ring src/ring.cpp tests/test_ring.cpp)\n"
        "target_include_directories(test_ring PRIVATE src)\nadd_test(NAME ring COMMAND test_ring)\n"
    )
    with Workspace(ring_repo) as ws:
        out = call(ws, "run_tests")
        assert out["system"] == "cmake" and out["status"] == "sanitizer"
        assert out["site"]["file"] == "src/ring.cpp" and out["site"]["line"] == 24


def test_cli_prints_the_json_result(ring_repo, capsys):
    from cppllm.agent.tool import main

    rc = main(["--repo", str(ring_repo), "read_file", '{"path": "src/ring.hpp", "end_line": 2}'])
    out = json.loads(capsys.readouterr().out)
    assert (
        rc == 0
        and out["text"]
        == "1| #pragma once\n2| #include <cstddef>\n[lines 1-2 of 22; read on with start_line=3]"
    )
    rc = main(
        [
            "--repo",
            str(ring_repo),
            "edit",
            json.dumps({"path": "src/ring.cpp", "start_line": 24, "content": FIX}),
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and ("\n+" + FIX + "\n") in out["diff"]
    assert main(["--repo", str(ring_repo), "read_file", '{"path": "../x"}']) == 1


def test_index_is_found_under_the_repo_or_the_run_and_budgets_refuse_big_repos(ring_repo, tmp_path):
    from cppllm.agent.__main__ import find_index

    run = tmp_path / "run"
    assert find_index(None, ring_repo, run) is None
    (run / "index").mkdir(parents=True)
    (run / "index" / "index.json").write_text("{}")
    assert find_index(None, ring_repo, run) == run / "index"
    (ring_repo / ".cppllm-index").mkdir()
    (ring_repo / ".cppllm-index" / "index.json").write_text("{}")
    assert find_index(None, ring_repo, run) == ring_repo / ".cppllm-index"
    assert find_index("elsewhere", ring_repo, run) == Path("elsewhere")
    with Workspace(ring_repo) as ws:
        assert not any(f.startswith(".cppllm-index") for f in ws.files())  # the index is no repository file
    with pytest.raises(ValueError, match="workspace budget"):
        Workspace(ring_repo, max_bytes=1000)
