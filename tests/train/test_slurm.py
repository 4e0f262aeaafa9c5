"""The sbatch template: valid bash, flags the trainer accepts, and preemption -> checkpoint -> requeue."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from cppllm.train.__main__ import _parser
from cppllm.train.metrics import read_metrics

REPO = Path(__file__).resolve().parents[2]
SBATCH = REPO / "cppllm" / "train" / "slurm" / "train.sbatch"


def test_sbatch_is_valid_bash_and_passes_known_flags():
    subprocess.run(["bash", "-n", str(SBATCH)], check=True)
    text = SBATCH.read_text()
    assert "#SBATCH --requeue" in text and "--signal=B:USR1@" in text and "scontrol requeue" in text
    assert "--nnodes=" in text and "srun" in text
    # the flags the template itself gives the trainer (before the user's "$@") must parse, and a requeued
    # job must resume from its last checkpoint (the template's header comment)
    flags = shlex.split(re.search(r'-m cppllm\.train (.*?)"\$@"', text).group(1))
    args = _parser().parse_args([*flags, "--data", "d", "--out", "o"])
    assert args.resume == "auto" and args.no_progress


@pytest.mark.slow
def test_sbatch_preemption_checkpoints_and_requeues(tmp_path, data_dir):
    """Fake `srun`/`scontrol` on PATH: USR1 to the batch script -> ranks save -> `scontrol requeue`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "srun").write_text('#!/bin/bash\nshift  # --kill-on-bad-exit\nexec "$@"\n')
    (bin_dir / "scontrol").write_text(
        f'#!/bin/bash\nif [ "$1" = show ]; then echo localhost; else echo "$@" >> {tmp_path}/scontrol.log; fi\n'
    )
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    out = tmp_path / "run"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "SLURM_JOB_NODELIST": "localhost",
           "SLURM_JOB_NUM_NODES": "1", "SLURM_JOB_ID": "42", "GPUS_PER_NODE": "1", "PYTHON": sys.executable,
           "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "MASTER_PORT": "29512"}  # fmt: skip
    args = ["--model", "n_layer=2", "--model", "n_embd=64", "--model", "n_head=2", "--model", "n_kv_head=1",
            "--model", "head_dim=32", "--model", "max_seq_len=32", "--seq-len", "32", "--batch-tokens", "256",
            "--log-every", "1", "--device", "cpu", "--data", str(data_dir), "--out", str(out),
            "--steps", "100000", "--eval-every", "100000"]  # fmt: skip
    proc = subprocess.Popen(["bash", str(SBATCH), *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    metrics = out / "metrics.jsonl"
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        if metrics.exists() and len(metrics.read_text().splitlines()) >= 3:
            break
        time.sleep(0.3)
    proc.send_signal(signal.SIGUSR1)
    text, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, text
    assert (tmp_path / "scontrol.log").read_text().split() == ["requeue", "42"]
    trainer = torch.load(out / "ckpt" / "latest" / "trainer.pt", weights_only=False)
    assert trainer["step"] == read_metrics(metrics)[-1]["step"] >= 2
