"""Real Slurm (`make test-slurm`): the M0 data pipeline on the Slurm executor and a training job through the
trainer's sbatch template give the same outputs as the local runs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO, sbatch_wait

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

MAX_DOCS = 200  # embedded-corpus subset: small enough for minutes on 2 cores, big enough for 2 tasks
VAL_FRACTION = "0.25"  # a few repositories in val, so the training job has val bits per byte
TASKS = 2


def test_cluster_runs_array_jobs(cluster, tmp_path):
    """The datatrove executor submits job arrays with srun inside: check the cluster runs both."""
    sbatch_wait(
        [f"--partition={cluster['partition']}", "--array=0-1", f"--chdir={tmp_path}",
         "--wrap", 'srun -n 1 bash -c "echo $SLURM_ARRAY_TASK_ID > task_$SLURM_ARRAY_TASK_ID"'],
        log=tmp_path / "array_%a.out",
    )  # fmt: skip
    assert sorted(p.read_text().strip() for p in tmp_path.glob("task_*")) == ["0", "1"]


def _env() -> dict[str, str]:
    # One thread everywhere: the same float reductions on both sides, no contention on 2 cores.
    return {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}


def _run_m0(out: Path, executor: str, cluster: dict) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "pipelines.m0", "--output", str(out), "--max-docs", str(MAX_DOCS),
            "--tasks", str(TASKS), "--workers", "1", "--val-fraction", VAL_FRACTION,
            "--executor", executor]  # fmt: skip
    if executor == "slurm":
        args += ["--partition", cluster["partition"]]
    proc = subprocess.run(args, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, (
        f"m0 --executor {executor} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    )
    if executor == "slurm":  # the CLI submits the chained job arrays and returns: wait for the queue to drain
        _wait_for_queue(timeout=1500)
        assert (out / "stats.json").is_file(), f"the Slurm run did not finish; logs under {out / 'logs'}"
    return proc


def _wait_for_queue(timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        q = subprocess.run(["squeue", "--noheader", "--format=%i %j %T %r"], capture_output=True, text=True)
        if q.returncode == 0 and not q.stdout.strip():
            return
        # A dependency that can never be met (a failed stage) leaves jobs pending forever: fail fast.
        assert "DependencyNeverSatisfied" not in q.stdout, f"a Slurm stage failed:\n{q.stdout}"
        time.sleep(3)
    raise AssertionError(f"Slurm jobs still queued after {timeout:.0f} s")


@pytest.fixture(scope="module")
def m0_runs(cluster, tmp_path_factory) -> tuple[Path, Path]:
    """`python -m pipelines.m0` on the same corpus subset, once locally and once on the Slurm executor."""
    pytest.importorskip("pipelines.m0", reason="pipelines/m0.py does not exist yet")
    root = tmp_path_factory.mktemp("m0")
    local, slurm = root / "local", root / "slurm"
    _run_m0(local, "local", cluster)
    _run_m0(slurm, "slurm", cluster)
    return local, slurm


def _docs_rows(out: Path) -> list[dict]:
    import pyarrow.parquet as pq

    files = sorted((out / "docs").rglob("*.parquet"))
    assert files, f"no parquet shards under {out / 'docs'}"
    rows = [r for f in files for r in pq.read_table(f).to_pylist()]
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_m0_on_slurm_equals_local(m0_runs):
    local, slurm = m0_runs
    rows = _docs_rows(local)
    assert len(rows) > 10
    assert _docs_rows(slurm) == rows  # same documents, text and metadata (shard order may differ)
    assert (slurm / "tokenizer" / "tokenizer.json").read_bytes() == (
        local / "tokenizer" / "tokenizer.json"
    ).read_bytes()
    for split in ("train", "val"):
        for ext in ("bin", "idx"):
            f = f"bin/{split}.{ext}"
            assert _digest(slurm / f) == _digest(local / f), f
    splits = json.loads((local / "manifest.json").read_text())["splits"]
    assert json.loads((slurm / "manifest.json").read_text())["splits"] == splits
    assert splits["train"]["tokens"] > 0 and splits["val"]["tokens"] > 0
    # The Slurm run really ran on Slurm: datatrove wrote its launch script and Slurm job logs.
    assert list(slurm.rglob("launch_script.slurm")), "no sbatch launch script under the Slurm run"


def _train_args(data: Path, out: Path) -> list[str]:
    return ["--preset", "tiny", "--data", str(data), "--out", str(out), "--steps", "2", "--device", "cpu",
            "--seed", "0", "--log-every", "1", "--eval-every", "1", "--val-tokens", "4096"]  # fmt: skip


def _final_weights(run: Path) -> dict:
    from safetensors.torch import load_file

    files = sorted(run.rglob("model.safetensors"))
    assert files, f"no checkpoint under {run}"
    return load_file(files[-1])


@pytest.fixture(scope="module")
def train_data(request, tmp_path_factory) -> Path:
    """The local M0 run's output when pipelines/m0.py exists, else a tokenizer + .bin built directly."""
    import importlib.util

    if importlib.util.find_spec("pipelines.m0") is not None:
        return request.getfixturevalue("m0_runs")[0]
    import numpy as np

    from cppllm.pipeline.pretokenize.indexed import IndexedWriter
    from cppllm.pipeline.readers.corpus import embedded_roots
    from cppllm.tokenizer.special import BOS_ID, EOS_ID
    from cppllm.tokenizer.tokenizer import train_tokenizer

    files = sorted(p for r in embedded_roots() for p in r.path.rglob("*.h") if p.stat().st_size < 50_000)
    texts = [p.read_text(errors="replace") for p in files[:: max(1, len(files) // 80)][:80]]
    root = tmp_path_factory.mktemp("traindata")
    tok = train_tokenizer(texts, 512)
    tok.save(root / "tokenizer")
    (root / "bin").mkdir()
    for split, docs in (("val", texts[:8]), ("train", texts[8:])):
        with IndexedWriter(root / "bin" / split, np.uint16) as w:
            for ids in tok.encode_batch(docs):
                w.add_document([BOS_ID, *ids, EOS_ID])
    (root / "manifest.json").write_text(json.dumps({"tokenizer_hash": tok.hash()}))
    return root


def test_train_via_sbatch_equals_local(cluster, train_data, tmp_path):
    """2 steps of `tiny` through cppllm/train/slurm/train.sbatch (srun -> torchrun) == the same run locally."""
    import torch

    from cppllm.train.metrics import read_metrics

    data = train_data
    local = tmp_path / "local"
    cmd = [sys.executable, "-m", "cppllm.train", *_train_args(data, local), "--no-progress"]
    proc = subprocess.run(cmd, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]

    slurm = tmp_path / "slurm"
    env = {**_env(), "PYTHON": sys.executable, "GPUS_PER_NODE": "1", "MASTER_PORT": "29533"}
    sbatch_wait(
        [f"--partition={cluster['partition']}", "--gpus-per-node=0", "--cpus-per-task=1", "--time=00:15:00",
         "--job-name=cppllm-train-test", str(REPO / "cppllm/train/slurm/train.sbatch"),
         *_train_args(data, slurm)],
        log=tmp_path / "train.out",
        env=env,
    )  # fmt: skip

    ours, theirs = read_metrics(local / "metrics.jsonl"), read_metrics(slurm / "metrics.jsonl")
    losses = [(m["step"], m["loss"]) for m in ours if m.get("loss") is not None]
    assert len(losses) == 2
    assert [(m["step"], m["loss"]) for m in theirs if m.get("loss") is not None] == losses
    val = [(m["step"], m["val_bpb"]) for m in ours if "val_bpb" in m]
    assert val and [(m["step"], m["val_bpb"]) for m in theirs if "val_bpb" in m] == val
    a, b = _final_weights(local), _final_weights(slurm)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
