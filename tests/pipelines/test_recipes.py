"""The documented `make train-m0/m1` recipes run the trainer with flags it accepts, on 1 GPU and under
torchrun on 8."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _recipe(target: str, *overrides: str) -> list[str]:
    out = subprocess.run(
        ["make", "-n", "-s", target, *overrides], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    line = next(ln for ln in out.splitlines() if "cppllm.train" in ln)
    return shlex.split(line)


@pytest.mark.parametrize(
    ("target", "preset", "data"), [("train-m0", "d12", "data/m0"), ("train-m1", "d20", "data/m1")]
)
def test_train_recipes(target, preset, data):
    from cppllm.train.__main__ import _parser

    one = _recipe(target)
    assert one[0].endswith("/python") and one[1:3] == ["-m", "cppllm.train"]
    args = _parser().parse_args(one[3:])
    assert (args.preset, args.data, args.resume) == (preset, data, "auto")

    eight = _recipe(target, "GPUS=8", "TRAIN_ARGS=--compile --micro-batch 16")
    assert eight[0].endswith("/torchrun") and "--nproc_per_node=8" in eight
    i = eight.index("-m")
    assert eight[i + 1] == "cppllm.train"
    args = _parser().parse_args(eight[i + 2 :])
    assert args.compile and args.micro_batch == 16 and args.preset == preset


def test_data_dry_run_recipes():
    for m in ("m1", "m2"):
        out = subprocess.run(
            ["make", "-n", "-s", f"data-{m}", "DRY_RUN=1"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert f"-m pipelines.{m}" in out and "--dry-run" in out, out
