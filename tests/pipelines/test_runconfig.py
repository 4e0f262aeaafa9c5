"""`DIR/config.json`: a run records its settings, caps and tool versions; a rerun with other settings is
refused; `--tokenizer DIR` reuses a tokenizer instead of training one."""

from __future__ import annotations

import json
from pathlib import Path

from cppllm.tokenizer.tokenizer import CppTokenizer, train_tokenizer
from pipelines import m0
from pipelines.cli import build_parser
from pipelines.milestone import milestone_def, source_caps
from pipelines.runconfig import run_record

FAST = ["--no-license", "--workers", "1", "--quiet", "--tasks", "1"]


def _tree(root: Path) -> Path:
    root.mkdir()
    for i in range(6):
        (root / f"f{i}.cpp").write_text(
            f"#include <vector>\nint f{i}(const std::vector<int>& v) {{ return v[{i}]; }}\n"
        )
    return root


def test_config_is_written_and_a_rerun_with_other_settings_is_refused(tmp_path, capsys):
    src, out = _tree(tmp_path / "src"), tmp_path / "out"
    args = ["--output", str(out), "--source", str(src), "--stop-after", "docs", *FAST]
    assert m0.main(args) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["milestone"] == "m0"
    assert config["settings"]["max_blank_lines"] == 2 and config["settings"]["source"] == [str(src)]
    assert "workers" not in config["settings"]  # how it runs, not what it writes
    assert config["versions"]["datatrove"] and config["versions"]["python"]
    # same flags (and other execution-only flags): resumes
    assert m0.main([*args, "--workers", "2"]) == 0
    # other settings: refused, naming what differs
    assert m0.main([*args, "--max-blank-lines", "0"]) == 2
    err = capsys.readouterr().err
    assert "other settings" in err and "max_blank_lines: 2 -> 0" in err
    assert json.loads((out / "config.json").read_text()) == config  # untouched


def test_milestone_config_records_the_plan_caps(tmp_path):
    m = milestone_def("m1")
    args = build_parser(m).parse_args(["--output", str(tmp_path), "--token-budget", "5000000"])
    record = run_record(args, milestone="m1", sources=m.sources(), caps=source_caps("m1", args))
    assert record["caps"] == source_caps("m1", args) and record["caps"]["the-stack-dedup"] > 0
    assert record["settings"]["token_budget"] == 5_000_000


def test_tokenizer_dir_is_reused_not_trained(tmp_path, capsys):
    tok = train_tokenizer(["int main() { return 0; }\n" * 50, "std::vector<int> v;\n" * 50], 300)
    tok_dir = tmp_path / "tok"
    tok.save(tok_dir)
    src, out = _tree(tmp_path / "src"), tmp_path / "out"
    args = ["--output", str(out), "--source", str(src), "--stop-after", "tokenizer", *FAST]
    assert m0.main([*args, "--tokenizer", str(tok_dir)]) == 0
    assert CppTokenizer.load(out / "tokenizer").hash() == tok.hash()
    assert not (out / "tokenizer" / "tokenizer_train.json").exists()  # nothing was trained
    config = json.loads((out / "config.json").read_text())
    assert config["tokenizer"]["hash"] == tok.hash()
    other = train_tokenizer(["float g() { return 1.0f; }\n" * 50], 280)
    other.save(tmp_path / "other")
    assert m0.main([*args, "--tokenizer", str(tmp_path / "other")]) == 2
    assert "other settings" in capsys.readouterr().err


def test_milestones_train_a_superword_tokenizer(tmp_path):
    from pipelines.cli import build_executors
    from pipelines.m0 import M0
    from pipelines.stages import TokenizerTrainStep

    def tokenizer_step(m, argv):
        chain = build_executors(build_parser(m).parse_args(["--output", str(tmp_path), *argv]), m)
        return next(s for ex in chain for s in ex.pipeline if isinstance(s, TokenizerTrainStep))

    assert tokenizer_step(milestone_def("m1"), []).superwords == 8000
    assert tokenizer_step(M0, []).superwords == 0
    assert tokenizer_step(M0, ["--superwords", "100"]).superwords == 100
