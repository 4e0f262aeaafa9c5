"""`exit_process`: a torchrun rank skips the interpreter's finalization, where torch's gloo worker threads can
abort a finished run (pytorch/pytorch#190489); a single process exits normally."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Marks what ran: atexit handlers, output written just before the exit, and (FINALIZED) the interpreter's
# finalization, which collects module globals such as `keep`.
RANK_SCRIPT = textwrap.dedent(
    """
    import atexit, sys
    from cppllm.train.distributed import exit_process, init_distributed, shutdown_distributed

    class Finalized:
        def __del__(self):
            print("FINALIZED", flush=True)

    keep = Finalized()
    atexit.register(lambda: print("ATEXIT", flush=True))
    info, _ = init_distributed("cpu")
    shutdown_distributed()
    sys.stdout.write(f"last words of rank {info.rank}\\n")
    exit_process(3)
    """
)

# What the trainer does at its end: DDP backward (its all-reduces run on gloo's worker threads), then exit.
DDP_SCRIPT = textwrap.dedent(
    """
    import torch
    from torch.nn.parallel import DistributedDataParallel as DDP
    from cppllm.train.distributed import exit_process, init_distributed, shutdown_distributed

    init_distributed("cpu")
    model = DDP(torch.nn.Linear(64, 64))
    for _ in range(3):
        model(torch.randn(4, 64)).sum().backward()
    del model
    shutdown_distributed()
    exit_process(0)
    """
)


def test_a_rank_runs_atexit_and_keeps_its_code_but_skips_finalization(tmp_path, torchrun):
    script = tmp_path / "rank.py"
    script.write_text(RANK_SCRIPT)
    res = torchrun(str(script))
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "exitcode  : 3" in out, out[-3000:]  # each rank's code reaches torchrun
    assert out.count("ATEXIT") == 2, out[-3000:]
    assert "last words of rank 0" in out and "last words of rank 1" in out, out[-3000:]
    assert "FINALIZED" not in out, out[-3000:]


def test_a_single_process_exits_normally(tmp_path):
    script = tmp_path / "single.py"
    script.write_text(RANK_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}  # not a torchrun rank
    res = subprocess.run([sys.executable, str(script)], cwd=REPO, env={**env, "PYTHONPATH": str(REPO)},
                         capture_output=True, text=True)  # fmt: skip
    assert res.returncode == 3, res.stderr
    assert res.stdout.split() == ["last", "words", "of", "rank", "0", "ATEXIT", "FINALIZED"], res.stdout


@pytest.mark.slow
def test_ddp_runs_end_cleanly_under_load(tmp_path, torchrun):
    """Without exit_process this script aborted ("terminate called without an active exception") in 4 of 40
    two-rank runs on the 2-core dev box while another job ran (0 of 40 with it), and failed at run 1 of
    this test; the trainer's two-rank test aborted in 1 of 55 runs here, as once on CI."""
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        for attempt in range(20):
            res = torchrun(str(script))
            assert res.returncode == 0, f"run {attempt}: " + (res.stdout + res.stderr)[-3000:]
    finally:
        for hog in hogs:
            hog.kill()
