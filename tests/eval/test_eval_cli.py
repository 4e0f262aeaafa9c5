"""`python -m cppllm.eval` and `python -m cppllm.eval.report` on a tiny run folder, end to end."""

import json

import pytest

from cppllm.eval.__main__ import main as eval_main
from cppllm.eval.report import main as report_main
from cppllm.layout import find_checkpoint


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, heldout_dir, tiny_model):
    from cppllm.model.checkpoint import save_checkpoint_model

    run = tmp_path_factory.mktemp("run")
    save_checkpoint_model(tiny_model, run / "ckpt" / "step_000001", {"step": 1})
    save_checkpoint_model(tiny_model, run / "ckpt" / "step_000003", {"step": 3})
    cfg = {
        "train": {"data": str(heldout_dir)},
        "data": {"default": {"prefix": str(heldout_dir / "bin" / "train")}},
    }
    (run / "config.json").write_text(json.dumps(cfg))
    rows = [{"step": 0, "loss": None, "val_bpb": 4.1}] + [
        {"step": s, "loss": 6.0 - s, "tok_per_s": 100.0, **({"val_bpb": 4.0 - s / 2} if s % 2 else {})}
        for s in (1, 2, 3)
    ]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    problem = {
        "name": "HumanEval_53_add",
        "language": "cpp",
        "prompt": "#include<assert.h>\n// Add two numbers x and y\n// >>> add((2), (3))\n// (5)\nlong add(long x, long y) {\n",
        "doctests": "transform",
        "original": "HumanEval_53_add.py",
        "prompt_terminology": "reworded",
        "tests": "}\nint main() {\n    auto candidate = add;\n    assert(candidate((0), (1)) == (1));\n}\n",
        "stop_tokens": ["\n}"],
    }
    (run / "he.jsonl").write_text(json.dumps(problem) + "\n")
    return run


def test_latest_checkpoint_is_the_newest_step(run_dir):
    assert find_checkpoint(run_dir).name == "step_000003"


def test_eval_then_report(run_dir):
    argv = ["--run", str(run_dir), "--tasks", "bpb,compile,fim,humaneval", "--compile-samples", "4"]
    argv += [
        "--fim-samples",
        "3",
        "--max-new-tokens",
        "16",
        "--bpb-tokens",
        "2000",
        "--no-progress",
        "--jobs",
        "2",
    ]
    argv += ["--humaneval-source", str(run_dir / "he.jsonl"), "--humaneval-samples", "2", "--pass-k", "1,2"]
    assert eval_main(argv) == 0
    ev = json.loads((run_dir / "eval.json").read_text())
    assert ev["meta"]["step"] == 3 and ev["heldout"]["restored_fim"] == 1
    b = ev["bpb"]
    assert b["bpb"] > 0 and b["unigram_bpb"] > 0 and b["tokens"] % 256 == 0 and 0 < b["tokens"] <= 2000
    c = ev["compile"]
    assert c["n"] == 4 and 0 <= c["rate"] <= 1 and c["reference"]["n"] == 4 and len(c["samples"]) == 4
    assert set(ev["fim"]) >= {"psm", "spm", "n_tasks", "reference_compiles"} and ev["fim"]["n_tasks"] == 3
    h = ev["humaneval"]
    assert h["n_problems"] == 1 and set(h["pass_at_k"]) == {"pass@1", "pass@2"}
    prompts = [json.loads(x) for x in (run_dir / "eval_prompts.jsonl").read_text().splitlines()]
    assert {p["set"] for p in prompts} == {"compile", "fim", "humaneval"}

    # A task that cannot run is recorded with its error, the others are kept, and the exit status is 1.
    bad = ["--run", str(run_dir), "--tasks", "humaneval", "--humaneval-source", str(run_dir / "nope.jsonl")]
    assert eval_main([*bad, "--no-progress"]) == 1
    ev = json.loads((run_dir / "eval.json").read_text())
    assert "FileNotFoundError" in ev["humaneval"]["error"] and "bpb" in ev

    assert report_main(["--run", str(run_dir)]) == 0
    md = (run_dir / "report.md").read_text()
    for png in ("training.png", "tokenizer.png", "compile.png", "fim.png"):
        assert (run_dir / png).stat().st_size > 1000 and f"]({png})" in md
    assert "val bits per byte 4.100 -> 2.500" in md
    assert f"{c['ok']}/4" in md and "unigram" in md and "Not evaluated: FileNotFoundError" in md


def test_bad_arguments(run_dir, tmp_path):
    with pytest.raises(SystemExit):
        eval_main(["--run", str(run_dir), "--tasks", "bogus"])
    assert eval_main(["--run", str(tmp_path)]) == 2  # no checkpoint
    assert report_main(["--run", str(tmp_path / "missing")]) == 2


def test_sandbox_is_recorded_and_a_run_without_one_says_so(run_dir):
    from cppllm.eval.sandbox import SandboxPolicy, describe, get_policy, isolation_record, set_policy

    argv = ["--run", str(run_dir), "--tasks", "humaneval", "--humaneval-source", str(run_dir / "he.jsonl")]
    argv += ["--max-new-tokens", "8", "--no-progress", "--jobs", "1"]
    before = get_policy()
    try:
        set_policy(SandboxPolicy(backend="none"))  # a machine without user namespaces or bwrap
        assert eval_main(argv) == 1
        ev = json.loads((run_dir / "eval.json").read_text())
        assert (
            "SandboxUnavailable" in ev["humaneval"]["error"]
            and "--unsafe-no-sandbox" in ev["humaneval"]["error"]
        )
        assert ev["meta"]["sandbox"]["programs"] == "refused"
        assert eval_main([*argv, "--unsafe-no-sandbox"]) == 0
        ev = json.loads((run_dir / "eval.json").read_text())
        assert ev["humaneval"]["sandbox"]["programs"] == "unsandboxed" and ev["humaneval"]["n_problems"] == 1
        assert report_main(["--run", str(run_dir)]) == 0
        assert "model-written programs ran WITHOUT isolation" in (run_dir / "report.md").read_text()
    finally:
        set_policy(before)
    assert eval_main(argv) == 0
    rec = json.loads((run_dir / "eval.json").read_text())["meta"]["sandbox"]
    assert rec == isolation_record() and rec["programs"] != "refused"  # conftest: unsafe where refused
    assert report_main(["--run", str(run_dir)]) == 0
    header = (run_dir / "report.md").read_text().split("## Training")[0]
    assert f"Sandbox: {describe(rec)}" in header
    if not rec["unsafe_no_sandbox"]:
        assert rec["programs"] == "sandboxed" and "model-written programs run sandboxed" in header
