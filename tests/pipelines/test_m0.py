"""`python -m pipelines.m0` end to end on small inputs: outputs, stats, resume, bad inputs, dry runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines import m0, m1, m2

REPO = Path(__file__).resolve().parents[2]
FAST = ["--no-license", "--stop-after", "docs", "--workers", "1", "--quiet"]


def _docs(out: Path) -> list[dict]:
    return [r for f in sorted((out / "docs").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]


def _shard_bytes(out: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted((out / "docs").glob("*.parquet"))}


def test_embedded_subset_end_to_end(tmp_path):
    out = tmp_path / "m0"
    assert m0.main(["--output", str(out), "--max-docs", "40", "--tasks", "2", *FAST]) == 0
    rows = _docs(out)
    assert rows and {"text", "id", "source", "path", "repo", "version"} <= set(rows[0])
    assert {r["source"] for r in rows} <= {"libstdcxx", "torch-include"}
    stats = json.loads((out / "stats.json").read_text())
    s = stats["summary"]
    assert s["docs_in"] == 40
    assert s["docs_out"] == len(rows)
    assert s["docs_in"] - s["docs_out"] == sum(s["drops"].values())  # every drop has a reason
    assert "auto_generated" in s["drops"]  # torch's generated ATen headers
    assert any(name.startswith("process_") for name in stats["stages"])
    # normalized: no indentation left outside literals on most lines
    assert sum(line.startswith("    ") for r in rows for line in r["text"].splitlines()) < 50


def _write_tree(root: Path) -> None:
    root.mkdir()
    good = "#include <vector>\nint f(const std::vector<int>& v) {\n    return v.empty() ? 0 : v[0];\n}\n"
    (root / "good.cpp").write_text(good)
    (root / "copy_of_good.cpp").write_text(good.replace("    ", "\t"))  # same after normalization
    (root / "bom_crlf.h").write_bytes(b"\xef\xbb\xbf#pragma once\r\nstruct S {\r\n    int x;\r\n};\r\n")
    (root / "binary.cpp").write_bytes(b"int x;\0\0\0\x01\x02")
    (root / "latin1.h").write_bytes(b"// caf\xe9\nint y;\n")
    (root / "empty.cc").write_bytes(b"")
    (root / "README.md").write_text("not C++\n")
    with open(root / "huge_line.cpp", "wb") as f:  # a 50 MB single-line file
        chunk = b"x" * (1 << 20)
        for _ in range(50):
            f.write(chunk)


def test_bad_inputs_are_dropped_with_reasons(tmp_path):
    src = tmp_path / "tree"
    _write_tree(src)
    out = tmp_path / "out"
    assert m0.main(["--output", str(out), "--source", str(src), "--tasks", "2", *FAST]) == 0
    rows = {r["path"]: r["text"] for r in _docs(out)}
    # good.cpp and copy_of_good.cpp are equal after normalization, from one source (the same priority):
    # the smallest id survives, whatever the task layout
    assert set(rows) == {"copy_of_good.cpp", "bom_crlf.h"}
    assert rows["bom_crlf.h"] == "#pragma once\nstruct S {\nint x;\n};\n"  # BOM and CR gone, indent stripped
    s = json.loads((out / "stats.json").read_text())["summary"]
    assert s["docs_in"] - s["docs_out"] == sum(s["drops"].values()) == 5
    assert s["drops"]["exact_duplicate"] == 1
    assert len(s["drops"]) >= 4  # binary, undecodable, empty, too large: each under its own name


def test_rerun_resumes_and_is_byte_identical(tmp_path):
    args = ["--max-docs", "60", "--tasks", "3", *FAST]
    ref = tmp_path / "ref"
    assert m0.main(["--output", str(ref), *args]) == 0
    expected = _shard_bytes(ref)
    assert expected

    # a run killed part-way through, then rerun
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "pipelines.m0", "--output", str(out), *args]
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if list(out.glob("logs/process_*/completions/*")):
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait(timeout=60)
    assert m0.main(["--output", str(out), *args]) == 0
    assert _shard_bytes(out) == expected

    # a finished run with one task's output lost: only that task reruns
    (out / "docs" / "00001.parquet").unlink()
    (out / "logs" / "dedup" / "completions" / "00001").unlink()
    (out / "logs" / "summary" / "completions" / "00000").unlink()
    before = (out / "docs" / "00000.parquet").stat().st_mtime_ns
    assert m0.main(["--output", str(out), *args]) == 0
    assert _shard_bytes(out) == expected
    assert (out / "docs" / "00000.parquet").stat().st_mtime_ns == before


def test_slurm_dry_run_prints_sbatch(tmp_path, capsys):
    out = tmp_path / "dry"
    code = m0.main(["--output", str(out), "--executor", "slurm", "--partition", "big", "--time", "01:00:00",
                    "--cpus", "2", "--mem", "3", "--tasks", "4", "--dry-run", "--no-license"])  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "#SBATCH --partition=big" in text
    assert "#SBATCH --cpus-per-task=2" in text
    assert "#SBATCH --time=01:00:00" in text
    assert text.count("#!/bin/bash") >= 5  # process, exact_find, dedup, tokenizer, bin, merge, summary
    assert not (out / "docs").exists()


def test_local_dry_run_lists_stages(tmp_path, capsys):
    assert m0.main(["--output", str(tmp_path / "x"), "--dry-run", "--no-license"]) == 0
    text = capsys.readouterr().out
    for stage in ("process_00_embedded", "exact_find", "dedup", "tokenizer", "bin", "summary"):
        assert stage in text


def test_errors_are_one_line(tmp_path, capsys):
    assert m0.main(["--output", str(tmp_path / "o"), "--source", str(tmp_path / "missing"), *FAST]) == 2
    assert "error:" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        m0.main(["--no-such-flag"])


def test_m1_m2_say_what_is_missing(tmp_path, capsys):
    assert m2.main(["--output", str(tmp_path / "m2")]) == 2
    assert "not yet" in capsys.readouterr().err
    # M1 has every capability: offline (as here) it stops at its first Hub source with a clear error
    assert m1.main(["--output", str(tmp_path / "m1"), "--tasks", "1", "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert "the-stack-dedup" in err  # the sources are listed
    assert "error: stage process_00_the-stack-dedup failed" in err and "Hub" in err
    assert m1.main(["--list-sources"]) == 0
    assert "llvm" in capsys.readouterr().out


def test_privacy_and_decontamination_in_the_pipeline(tmp_path):
    """Planted secrets never reach DIR/docs; a file copying an eval prompt is dropped as contaminated."""
    src = tmp_path / "tree"
    src.mkdir()
    key = "AKIA" + "IOSFODNN7EXAMPLQ"
    email = "jane.doe" + "@corp-mail.org"
    (src / "config.cpp").write_text(
        "#include <string>\n"
        f'// maintainer: {email}\nconst std::string kAccessKey = "{key}";\n'
        "int port() { return 8080; }\n"
    )
    leaked = (
        "#include <vector>\nint sum_of_squares_below_limit(const std::vector<int>& values, int limit) {\n"
        "    int total = 0;\n    for (int v : values) if (v < limit) total += v * v;\n    return total;\n}\n"
    )
    (src / "leaked.cpp").write_text(leaked)
    (src / "other.cpp").write_text("#include <map>\nstd::map<int, int> make_table() { return {{1, 2}}; }\n")
    evals = tmp_path / "eval.jsonl"
    evals.write_text(json.dumps({"set": "humaneval-cpp", "text": leaked}) + "\n")
    out = tmp_path / "out"
    argv = ["--output", str(out), "--source", str(src), "--tasks", "1", "--decontam", str(evals), *FAST]
    assert m0.main(argv) == 0
    rows = {r["path"]: r["text"] for r in _docs(out)}
    assert "leaked.cpp" not in rows and "other.cpp" in rows
    text = "".join(rows.values())
    assert key not in text and email not in text
    assert "config.cpp" in rows and "<EMAIL>" in rows["config.cpp"]
    drops = json.loads((out / "stats.json").read_text())["summary"]["drops"]
    assert drops.get("contaminated") == 1
    audit = "".join(p.read_text() for p in (out / "audit").rglob("*.jsonl"))
    assert "sha256" in audit and key not in audit and email not in audit  # hashes only


def test_mixture_writes_one_bin_per_source_and_the_train_spec(tmp_path):
    """A milestone with a mixture: DIR/bin/<source>/ per source, and DIR/mixture.json for the loader."""
    from cppllm.train.data import parse_data_spec
    from pipelines.cli import run
    from pipelines.sources import Milestone, SourceSpec

    trees = {}
    for name, body in (
        ("alpha", "int a{i}() {{ return {i}; }}\n"),
        ("beta", "long b{i}(long x) {{ return x * {i}; }}\n"),
    ):
        root = tmp_path / name
        root.mkdir()
        for i in range(12):
            (root / f"dir{i % 3}" / f"f{i}.cpp").parent.mkdir(exist_ok=True)
            (root / f"dir{i % 3}" / f"f{i}.cpp").write_text(
                "#include <cstdint>\n" + body.format(i=i) * (i + 2)
            )
        trees[name] = root
    m = Milestone(
        name="mix",
        preset="tiny",
        specs=tuple(SourceSpec(name=n, spec=str(p), options={"source": n}) for n, p in trees.items()),
        mixture=(("alpha", 0.75), ("beta", 0.25)),
        near_dedup="off",
    )
    out = tmp_path / "out"
    argv = ["--output", str(out), "--no-license", "--workers", "1", "--tasks", "1", "--quiet"]
    assert run(m, argv + ["--vocab-size", "300", "--val-fraction", "0.2"]) == 0
    for name in ("alpha", "beta"):
        assert (out / "bin" / name / "train.bin").is_file() and (out / "bin" / name / "val.idx").is_file()
        sources = json.loads((out / "bin" / name / "manifest.json").read_text())["splits"]["train"]["sources"]
        assert set(sources) == {name}  # each .bin holds its own source only
    mix = json.loads((out / "mixture.json").read_text())
    parsed = parse_data_spec(mix["data_spec"])
    assert [(s.name, s.weight) for s in parsed] == [("alpha", 0.75), ("beta", 0.25)]
    assert all(s.prefix.with_suffix(".bin").is_file() for s in parsed)
