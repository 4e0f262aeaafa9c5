"""`python -m cppllm.eval --tasks humanevalfix,nullfix` with a tiny model, then the report sections."""

import json
import shutil

import pytest

from cppllm.eval.__main__ import main as eval_main
from cppllm.eval.report import main as report_main

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_model, heldout_dir):
    from cppllm.bugs.__main__ import main as bugs_main
    from cppllm.model.checkpoint import save_checkpoint_model

    run = tmp_path_factory.mktemp("bugrun")
    save_checkpoint_model(tiny_model, run / "ckpt" / "step_000001", {"step": 1})
    (run / "config.json").write_text(json.dumps({"train": {"data": str(heldout_dir)}}))
    argv = ["make", "--kinds", "null_deref", "--n", "1", "--split", "bench", "--out", str(run / "bench")]
    assert bugs_main([*argv, "--workers", "1", "--no-progress"]) == 0
    return run


def test_bugfix_tasks_are_scored_and_reported(run_dir, fixtures_dir):
    argv = [
        "--run",
        str(run_dir),
        "--tasks",
        "humanevalfix,nullfix",
        "--max-new-tokens",
        "8",
        "--no-progress",
    ]
    argv += ["--humanevalfix-source", str(fixtures_dir / "eval" / "humanevalpack-cpp-mini.jsonl")]
    argv += [
        "--nullfix-data",
        str(run_dir / "bench"),
        "--humaneval-samples",
        "1",
        "--pass-k",
        "1",
        "--jobs",
        "2",
    ]
    assert eval_main(argv) == 0
    ev = json.loads((run_dir / "eval.json").read_text())
    hef, nf = ev["humanevalfix"], ev["nullfix"]
    assert hef["n_problems"] == 4 and sum(hef["status"].values()) == 4 and "pass@1" in hef["pass_at_k"]
    assert nf["n_problems"] == 1 and nf["families"][0] in ("bst", "config_parser")
    assert 0 <= nf["grounded_reasoning_rate"] <= 1 and sum(nf["status"].values()) == 1
    sets = {json.loads(x)["set"] for x in (run_dir / "eval_prompts.jsonl").read_text().splitlines()}
    assert sets == {"humanevalfix", "nullfix"}
    assert report_main(["--run", str(run_dir)]) == 0
    md = (run_dir / "report.md").read_text()
    assert "## HumanEvalFix-C++\n\n4 problems: pass@1 = " in md
    assert "## nullfix (held-out null-pointer bugs)\n\n1 problems: pass@1 = " in md


def test_nullfix_without_data_is_a_recorded_error(run_dir):
    assert eval_main(["--run", str(run_dir), "--tasks", "nullfix", "--no-progress"]) == 1
    assert "nullfix-data" in json.loads((run_dir / "eval.json").read_text())["nullfix"]["error"]
