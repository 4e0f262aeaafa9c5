"""`python -m cppllm.train --stage rl`: a micro run end to end, its metrics and eval.json, and exact resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from cppllm.model.checkpoint import load_state_dict
from cppllm.train.__main__ import main
from cppllm.train.metrics import read_metrics
from cppllm.train.rl.complete import main as complete_main

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

MICRO = [
    "--preset", "tiny",
    "--model", "n_layer=1", "--model", "n_embd=32", "--model", "n_head=2", "--model", "n_kv_head=1",
    "--model", "max_seq_len=192", "--seq-len", "192", "--batch-tokens", "768", "--no-progress",
    "--optimizer", "adamw",
]  # fmt: skip
RL = [
    "--stage", "rl", "--seq-len", "192", "--batch-tokens", "768", "--no-progress", "--optimizer", "adamw",
    "--tasks-per-step", "2", "--group-size", "3", "--max-new-tokens", "12", "--max-draws", "1",
    "--eval-every", "2", "--ckpt-every", "1", "--judge-jobs", "2", "--kl-beta", "0.1",
    "--updates-per-batch", "2", "--micro-rows", "4",
]  # fmt: skip


@pytest.fixture(scope="module")
def parent(data_dir, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("rl")
    assert complete_main(["--out", str(root / "tasks"), "--n-train", "12", "--n-heldout", "2"]) == 0
    assert main([*MICRO, "--data", str(data_dir), "--out", str(root / "base"), "--steps", "1"]) == 0
    return root / "base", root / "tasks"


def _rl(parent, out: Path, *extra: str) -> int:
    base, tasks = parent
    return main([*RL, "--init-from", str(base), "--tasks", f"complete:{tasks}", "--out", str(out), *extra])


def test_rl_run_logs_metrics_and_eval(parent, tmp_path):
    assert _rl(parent, tmp_path / "rl", "--steps", "4") == 0
    recs = read_metrics(tmp_path / "rl" / "metrics.jsonl")
    assert recs[0]["step"] == 0 and "heldout_pass@1" in recs[0]  # held-out score before any update
    steps = [r for r in recs if "reward_mean" in r]
    assert [r["step"] for r in steps] == [2, 4]  # two optimizer steps per batch of rollouts
    for key in ("reward_std", "reward/tests", "reward/format", "reward/sanitizer", "pass_rate", "kl",
                "entropy", "response_len", "clip_frac", "rollout_s", "reward_s", "kept_groups"):  # fmt: skip
        assert key in steps[0], key
    assert steps[0]["entropy"] > 0 and steps[0]["response_len"] > 0
    ev = json.loads((tmp_path / "rl" / "eval.json").read_text())
    assert ev["before"]["n_tasks"] == 2 and ev["after"]["step"] == 4
    cfg = json.loads((tmp_path / "rl" / "config.json").read_text())
    assert cfg["train"]["stage"] == "rl" and cfg["rl"]["group_size"] == 3
    assert cfg["parent"]["stage"] == "pretrain" and cfg["tasks"]["train"] == 12
    assert cfg["sanitizers"].startswith("undefined") or "address" in cfg["sanitizers"]


def test_resume_mid_rl_is_exact(parent, tmp_path):
    assert _rl(parent, tmp_path / "full", "--steps", "4", "--updates-per-batch", "1") == 0
    assert (
        _rl(parent, tmp_path / "cut", "--steps", "4", "--updates-per-batch", "1", "--stop-at-step", "2") == 0
    )
    assert _rl(parent, tmp_path / "cut", "--steps", "4", "--updates-per-batch", "1", "--resume") == 0
    a = load_state_dict(tmp_path / "full" / "ckpt" / "latest")
    b = load_state_dict(tmp_path / "cut" / "ckpt" / "latest")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    full = [r for r in read_metrics(tmp_path / "full" / "metrics.jsonl") if "reward_mean" in r]
    cut = [r for r in read_metrics(tmp_path / "cut" / "metrics.jsonl") if "reward_mean" in r]
    assert [r["reward_mean"] for r in cut] == [r["reward_mean"] for r in full]
    # the settings that define the run must not change on resume
    with pytest.raises(ValueError, match="group_size"):
        _rl(
            parent,
            tmp_path / "cut",
            "--steps",
            "6",
            "--updates-per-batch",
            "1",
            "--group-size",
            "4",
            "--resume",
        )


def test_rl_needs_tasks_and_a_parent(parent, tmp_path):
    with pytest.raises(SystemExit):
        main(["--stage", "rl", "--out", str(tmp_path / "x"), "--steps", "1"])  # no --tasks
    with pytest.raises(ValueError, match="init-from"):
        main(
            [
                "--stage",
                "rl",
                "--tasks",
                f"complete:{parent[1]}",
                "--out",
                str(tmp_path / "x"),
                "--steps",
                "1",
            ]
        )


@pytest.mark.slow
def test_two_gloo_ranks_split_the_rollouts(parent, tmp_path, torchrun):
    """torchrun with 2 CPU ranks: each rank samples and judges its half of the tasks; one shared update."""
    base, tasks = parent
    res = torchrun("-m", "cppllm.train", *RL, "--init-from", str(base), "--tasks", f"complete:{tasks}",
                   "--out", str(tmp_path / "two"), "--steps", "2", "--updates-per-batch", "1",
                   "--no-dynamic-sampling", timeout=600)  # fmt: skip
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    cfg = json.loads((tmp_path / "two" / "config.json").read_text())
    assert cfg["world_size"] == 2
    recs = [r for r in read_metrics(tmp_path / "two" / "metrics.jsonl") if "reward_mean" in r]
    # 2 tasks per step split 1 + 1 over the ranks, both groups counted (no dynamic sampling: all kept)
    assert [r["kept_groups"] for r in recs] == [2, 2]
    assert all(r["train_tokens"] > 0 for r in recs)
    ev = json.loads((tmp_path / "two" / "eval.json").read_text())
    assert ev["after"]["n_tasks"] == 2
