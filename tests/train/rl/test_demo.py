"""`make rl-demo` mechanics on a shortened run: tasks, pretrain, SFT, RL, curve and summary are written."""

from __future__ import annotations

import json
import shutil

import pytest

from cppllm.train.rl.demo import main

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")]


def test_short_demo_writes_curve_and_summary(tmp_path):
    out = tmp_path / "demo"
    assert main(["--out", str(out), "--pretrain-steps", "4", "--sft-steps", "2", "--rl-steps", "2"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert 0 <= summary["heldout_pass@1_before"] <= 1 and 0 <= summary["heldout_pass@1_after"] <= 1
    assert (out / "curve.png").stat().st_size > 10_000
    cfg = json.loads((out / "rl" / "config.json").read_text())
    assert cfg["parent"]["stage"] == "sft" and cfg["parent"]["parent"]["stage"] == "pretrain"
