"""`DIR/config.json`: a run records its settings, caps and tool versions; a rerun with other settings is
refused; `--tokenizer DIR` reuses a tokenizer instead of training one."""

from __future__ import annotations

import json
from pathlib import Path

from cppllm.tokenizer.tokenizer import CppTokenizer, train_tokenizer
from pipelines import m0
from pipelines.cli import parse_config, run_caps
from pipelines.runconfig import DataRunConfig, run_record
from pipelines.sources import M0, M1

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
    config = parse_config(M1, ["--output", str(tmp_path), "--token-budget", "5000000"])
    record = run_record(config, sources=M1.reader_specs(), caps=run_caps(config, M1))
    assert record["milestone"] == "m1"
    assert record["caps"] == run_caps(config, M1) and record["caps"]["the-stack-dedup"] > 0
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
    from pipelines.stages import TokenizerTrainStep

    def tokenizer_step(m, argv):
        chain = build_executors(parse_config(m, ["--output", str(tmp_path), *argv]), m)
        return next(s for ex in chain for s in ex.pipeline if isinstance(s, TokenizerTrainStep))

    assert tokenizer_step(M1, []).superwords == 8000
    assert tokenizer_step(M0, []).superwords == 0
    assert tokenizer_step(M0, ["--superwords", "100"]).superwords == 100


def test_flag_defaults_are_the_configs_and_the_components():
    """One place per default: the parser's defaults are DataRunConfig's, whose are the component configs'."""
    import dataclasses

    from cppllm.pipeline.clean.filters import FilterConfig
    from cppllm.pipeline.dedup.near import NearDedupConfig
    from cppllm.pipeline.pretokenize.fim import FIMConfig
    from cppllm.pipeline.split import DEFAULT_VAL_FRACTION
    from cppllm.tokenizer.train import DEFAULT_VOCAB_SIZE

    config = parse_config(M0, [])
    own = {"milestone", "output", "workers", "near_dedup", "superwords", "decontam"}  # per milestone / CLI
    for f in dataclasses.fields(DataRunConfig):
        if f.name not in own:
            assert getattr(config, f.name) == f.default, f.name
    assert config.near_dedup == M0.near_dedup == "off" and parse_config(M1, []).superwords == M1.superwords
    assert (config.fim_rate, config.spm_rate) == (FIMConfig.fim_rate, FIMConfig.spm_rate)
    assert config.near_dedup_threshold == NearDedupConfig.threshold
    assert config.val_fraction == DEFAULT_VAL_FRACTION and config.vocab_size == DEFAULT_VOCAB_SIZE
    assert config.max_line_length == FilterConfig.max_line_length
    assert config.filters == dataclasses.replace(FilterConfig(), max_chars=config.max_doc_chars)
    assert config.fim == FIMConfig(seed=0)


def test_config_is_frozen_and_checked():
    import dataclasses

    import pytest

    config = DataRunConfig(milestone="m0", output="out")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.tasks = 2
    with pytest.raises(ValueError, match="--tasks"):
        DataRunConfig(milestone="m0", output="out", tasks=0)


def test_a_record_without_a_flag_this_milestone_lacks_still_resumes(tmp_path):
    """config.json of a run written before `token_budget` existed for it: unset there, None here: the same."""
    from pipelines.runconfig import check_or_write

    config = parse_config(M0, ["--output", str(tmp_path)])
    record = run_record(config, sources=M0.reader_specs(), caps={})
    old = json.loads(json.dumps(record))
    del old["settings"]["token_budget"], old["settings"]["calibrate"]
    (tmp_path / "config.json").write_text(json.dumps(old))
    assert check_or_write(tmp_path, record) == []
