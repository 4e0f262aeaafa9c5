"""A running Slurm cluster for the @pytest.mark.slurm tests (`make test-slurm` starts one and sets
SLURM_CONF), and `sbatch_wait` to submit a job and block until it ends."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cluster() -> dict[str, str]:
    """The cluster's partition and node; skips (with the reason) when no cluster answers."""
    if not os.environ.get("SLURM_CONF") or shutil.which("sinfo") is None:
        pytest.skip("no Slurm cluster (SLURM_CONF unset): `make test-slurm` starts one")
    out = subprocess.run(
        ["sinfo", "--noheader", "--format=%P %T %N"], capture_output=True, text=True, timeout=30
    )
    if out.returncode != 0 or not out.stdout.strip():
        pytest.skip(f"Slurm does not answer: {out.stderr.strip()}")
    partition, state, node = out.stdout.split()[:3]
    assert state in ("idle", "mixed", "allocated"), f"node {node} is {state}"
    return {"partition": partition.rstrip("*"), "node": node}


def sbatch_wait(args: list[str], *, log: Path, env: dict | None = None, timeout: int = 900) -> str:
    """`sbatch --wait` (returns when the job ends); the job id, or AssertionError with the job's log."""
    proc = subprocess.run(
        ["sbatch", "--parsable", "--wait", f"--output={log}", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    job_log = log.read_text() if log.exists() else "(no job log)"
    assert proc.returncode == 0, (
        f"sbatch failed ({proc.returncode}): {proc.stderr}\n--- job log ---\n{job_log}"
    )
    return proc.stdout.strip().split(";")[0]
