"""`python -m pipelines.plan` / `--dry-run`: sources, sizes, tasks, disk needed, budget, mixture."""

from __future__ import annotations

import json

import pytest

from pipelines import plan as P
from pipelines import sources as S
from pipelines.plan.__main__ import main as plan_main


def test_disk_counts_a_shared_archive_once():
    m = S.Milestone(name="t", preset="tiny", mixture=(("gcc", 0.5), ("libstdcxx", 0.5)))
    plan = P.build_plan(m, output="/tmp")
    gcc = S.catalog()["gcc"]
    assert plan.disk["raw"] == gcc.approx_archive_bytes
    assert plan.disk["extracted"] == gcc.approx_cpp_bytes
    assert plan.disk["total"] == sum(v for k, v in plan.disk.items() if k != "total")
    reads = {p.name: p.read_bytes for p in plan.sources}
    assert reads == {"gcc": gcc.own_cpp_bytes, "libstdcxx": gcc.subtrees[0].approx_cpp_bytes}


def test_tokens_follow_weights_and_budget():
    plan = P.build_plan("m1")
    assert plan.token_budget == S.M1.token_budget
    for p in plan.sources:
        assert p.tokens_needed == int(S.M1.weights[p.name] * S.M1.token_budget)
        assert p.tasks >= 1
    # Streamed hub sources read what their share needs; more weight reads more.
    stack, v1 = (
        next(p for p in plan.sources if p.name == n) for n in ("the-stack-dedup", "nemotron-code-v1")
    )
    assert stack.read_bytes > v1.read_bytes > 0
    assert stack.tasks > v1.tasks


def test_calibration_scales_the_token_sizes(tmp_path):
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {"splits": {"train": {"tokens": 900, "bytes": 2700}, "val": {"tokens": 100, "bytes": 300}}}
        )
    )
    assert P.measured_bytes_per_token(tmp_path) == pytest.approx(3.0)
    a = P.build_plan("m1", bytes_per_token=3.0)
    b = P.build_plan("m1", bytes_per_token=4.0)
    assert a.bytes_per_token_measured and b.disk["bin"] < a.disk["bin"]
    with pytest.raises(FileNotFoundError, match="finished run"):
        P.measured_bytes_per_token(tmp_path / "nope")


def test_local_sources_are_sized_from_disk_or_reported_missing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = P.build_plan("m2")
    textbooks = next(p for p in plan.sources if p.name == "synthetic-textbooks")
    assert textbooks.tokens_available is None and textbooks.read_bytes == 0
    assert any("synthetic-textbooks" in w and "MISSING" in w for w in plan.warnings)

    folder = tmp_path / "data" / "synthetic" / "textbooks"
    folder.mkdir(parents=True)
    (folder / "part-0.jsonl").write_text(json.dumps({"text": "int main() {}\n" * 100}) + "\n")
    plan = P.build_plan("m2")
    textbooks = next(p for p in plan.sources if p.name == "synthetic-textbooks")
    assert textbooks.read_bytes == (folder / "part-0.jsonl").stat().st_size
    assert textbooks.epochs > S.MAX_EPOCHS  # 1 KB cannot feed 20% of the budget
    assert any(w.startswith("synthetic-textbooks:") and "epochs >" in w for w in plan.warnings)


def test_cli_prints_the_plan(capsys):
    assert plan_main(["m1", "--output", "data/m1"]) == 0
    out = capsys.readouterr().out
    for s in S.M1.weights:
        assert s in out
    for word in ("d20", "budget", "tasks", "disk needed", "extracted", "parquet", ".bin/.idx", "sha256"):
        assert word in out
    assert "https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.10.tar.xz" in out


def test_cli_json_and_errors(capsys, tmp_path):
    assert plan_main(["m2", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert {s["name"]: s["weight"] for s in plan["sources"]} == S.M2.weights
    assert plan["disk"]["total"] > 0
    assert plan_main(["m1", "--calibrate", str(tmp_path)]) == 2
    assert "finished run" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        plan_main(["m9"])


def test_milestone_dry_run_prints_the_plan_with_the_runs_stages(tmp_path, capsys):
    m1 = pytest.importorskip("pipelines.m1")
    assert m1.main(["--dry-run", "--output", str(tmp_path / "m1"), "--tasks", "3"]) == 0
    out = capsys.readouterr().out
    assert "Plan for m1" in out and "disk needed" in out
    assert "process_NN x 11 sources (3 tasks each)" in out  # 13 sources, 2 of them subtrees read with parents
    assert "tokenizer (1 task)" in out and "bin_merge" in out
    assert not (tmp_path / "m1").exists()  # a dry run writes nothing


def test_m2_dry_run_says_what_to_generate(tmp_path, capsys, monkeypatch):
    m2 = pytest.importorskip("pipelines.m2")
    monkeypatch.chdir(tmp_path)
    assert m2.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    tokens = next(p.tokens_needed for p in P.build_plan("m2").sources if p.name == "synthetic-textbooks")
    least = P._size(tokens / S.MAX_EPOCHS * S.BYTES_PER_TOKEN / P.KEEP_FRACTION)  # text for <= 4 epochs
    assert "MISSING: put jsonl/parquet" in out and f"data/synthetic/textbooks: at least ~{least}" in out
    assert "the run cannot start yet" in out
