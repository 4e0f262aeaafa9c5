"""`python -m cppllm.train` end to end on CPU: run dir, falling val bpb, exact resume, signals, torchrun."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from cppllm.model.checkpoint import load_checkpoint_model
from cppllm.train.__main__ import main
from cppllm.train.metrics import read_metrics

REPO = Path(__file__).resolve().parents[2]
# A micro model (the tiny preset, shrunk) so each run takes about a second.
MICRO = [
    "--preset", "tiny",
    "--model", "n_layer=2", "--model", "n_embd=64", "--model", "n_head=2", "--model", "n_kv_head=1",
    "--model", "head_dim=32", "--model", "max_seq_len=32",
    "--seq-len", "32", "--batch-tokens", "256", "--no-progress", "--log-every", "1",
]  # fmt: skip


def run(data_dir: Path, out: Path, *extra: str) -> list[dict]:
    assert main([*MICRO, "--data", str(data_dir), "--out", str(out), *extra]) == 0
    return read_metrics(out / "metrics.jsonl")


def losses(records: list[dict]) -> dict[int, float]:
    return {r["step"]: r["loss"] for r in records if r["loss"] is not None}


def test_run_dir_layout_metrics_and_falling_val_bpb(data_dir, tmp_path):
    out = tmp_path / "run"
    recs = run(data_dir, out, "--steps", "8", "--eval-every", "4", "--val-tokens", "1024")
    assert [r["step"] for r in recs] == list(range(9))
    for r in recs[1:]:
        assert {"step", "loss", "tok_per_s", "mfu", "peak_mem_gb", "eta_s", "lr_mult"} <= set(r)
        assert r["loss"] > 0 and r["tok_per_s"] > 0 and r["mfu"] is None  # no peak FLOPs known for CPU
    bpb = {r["step"]: r["val_bpb"] for r in recs if "val_bpb" in r}
    assert set(bpb) == {0, 4, 8}
    assert bpb[8] < bpb[4] < bpb[0]
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["train"]["steps"] == 8 and cfg["train"]["micro_batch"] == 8 and cfg["grad_accum"] == 1
    assert cfg["model"]["n_layer"] == 2 and cfg["model"]["vocab_size"] % 64 == 0
    latest = out / "ckpt" / "latest"
    assert latest.is_symlink() and latest.resolve().name == "step_000008"
    assert {p.name for p in latest.iterdir()} == {
        "config.json",
        "model.safetensors",
        "optimizer.pt",
        "trainer.pt",
    }
    assert not list((out / "ckpt").glob(".*tmp"))
    model = load_checkpoint_model(latest)  # the layout export/eval read
    state = load_file(str(latest / "model.safetensors"))
    assert "lm_head.weight" not in state  # tied: stored once
    torch.testing.assert_close(model.embed.weight, state["embed.weight"])


def test_resume_continues_exactly(data_dir, tmp_path):
    """CPU fp32: stop after step 3 and resume == one uninterrupted run (steps 4.. bit-identical)."""
    common = ["--steps", "6", "--eval-every", "100", "--ckpt-every", "2", "--micro-batch", "4"]
    full = losses(run(data_dir, tmp_path / "full", *common))
    run(data_dir, tmp_path / "split", *common, "--stop-at-step", "3")
    assert (tmp_path / "split" / "ckpt" / "latest").resolve().name == "step_000003"
    resumed = losses(run(data_dir, tmp_path / "split", *common, "--resume"))
    assert sorted(resumed) == list(range(1, 7))  # metrics.jsonl keeps steps 1-3 and appends 4-6
    for step in range(4, 7):
        assert resumed[step] == full[step], (step, resumed[step], full[step])
    a = load_file(str(tmp_path / "full" / "ckpt" / "latest" / "model.safetensors"))
    b = load_file(str(tmp_path / "split" / "ckpt" / "latest" / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_refuses_changed_settings_and_missing_checkpoints(data_dir, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        main([*MICRO, "--data", str(data_dir), "--out", str(out), "--steps", "2", "--resume"])
    run(data_dir, out, "--steps", "2", "--resume", "auto")  # auto: nothing to resume, starts fresh
    with pytest.raises(ValueError, match="batch_tokens"):
        main([*MICRO[:-5], "--batch-tokens", "512", "--no-progress", "--data", str(data_dir), "--out", str(out),
              "--steps", "4", "--resume"])  # fmt: skip


def test_explicit_prefix_needs_a_tokenizer(data_dir, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    for split, ext in ((s, e) for s in ("train", "val") for e in (".bin", ".idx")):
        shutil.copy(data_dir / "bin" / f"{split}{ext}", bare / f"{split}{ext}")
    with pytest.raises(FileNotFoundError, match="--tokenizer"):
        main([*MICRO, "--data", str(bare / "train"), "--out", str(tmp_path / "r"), "--steps", "1"])
    recs = run(bare / "train", tmp_path / "r", "--tokenizer", str(data_dir / "tokenizer"), "--steps", "1")
    assert recs[-1]["step"] == 1 and "val_bpb" in recs[-1]  # the sibling val split is found too


def _env() -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    env.pop("RANK", None)
    return env


def test_sigterm_saves_and_exits_cleanly(data_dir, tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "cppllm.train", *MICRO, "--data", str(data_dir), "--out", str(out),
           "--steps", "100000", "--eval-every", "100000"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    metrics = out / "metrics.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if metrics.exists() and len(metrics.read_text().splitlines()) >= 3:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    text, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, text
    assert "SIGTERM" in text
    last = read_metrics(metrics)[-1]["step"]
    trainer = torch.load(out / "ckpt" / "latest" / "trainer.pt", weights_only=False)
    assert trainer["step"] == last and 2 <= last < 100000


@pytest.mark.parametrize("mode", ["ddp", pytest.param("fsdp", marks=pytest.mark.slow)])
def test_two_gloo_processes_equal_one_process(data_dir, tmp_path, mode, torchrun):
    """Same global batch: 1 process x 2 accumulation steps == 2 ranks (gloo) x 1 step."""
    common = [*MICRO, "--data", str(data_dir), "--steps", "3", "--micro-batch", "4", "--eval-every", "3"]
    single = run(data_dir, tmp_path / "one", *common[len(MICRO) + 2 :])
    extra = ["--fsdp"] if mode == "fsdp" else []
    res = torchrun("-m", "cppllm.train", *common, "--out", str(tmp_path / "two"), *extra)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    cfg = json.loads((tmp_path / "two" / "config.json").read_text())
    assert cfg["world_size"] == 2 and cfg["grad_accum"] == 1
    assert json.loads((tmp_path / "one" / "config.json").read_text())["grad_accum"] == 2
    double = read_metrics(tmp_path / "two" / "metrics.jsonl")
    for a, b in zip(single, double, strict=True):
        assert a["step"] == b["step"]
        for key in ("loss", "val_bpb"):
            if a.get(key) is not None:
                assert b[key] == pytest.approx(a[key], rel=1e-5, abs=1e-6), (key, a, b)
    wa = load_file(str(tmp_path / "one" / "ckpt" / "latest" / "model.safetensors"))
    wb = load_file(str(tmp_path / "two" / "ckpt" / "latest" / "model.safetensors"))
    for k in wa:
        torch.testing.assert_close(wb[k], wa[k], rtol=1e-4, atol=1e-5)


def test_wandb_asked_but_missing_is_a_clear_error(data_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # import wandb -> ImportError
    with pytest.raises(ImportError, match="pip install wandb"):
        run(data_dir, tmp_path / "r", "--steps", "1", "--wandb", "cppllm")


@pytest.mark.slow
def test_compile_trains_like_eager(data_dir, tmp_path):
    eager = losses(run(data_dir, tmp_path / "eager", "--steps", "2"))
    compiled = losses(run(data_dir, tmp_path / "compiled", "--steps", "2", "--compile"))
    for step in eager:
        assert compiled[step] == pytest.approx(eager[step], rel=1e-4)


@pytest.mark.gpu
def test_cuda_bf16_run_logs_memory_and_mfu(data_dir, tmp_path):
    recs = run(data_dir, tmp_path / "gpu", "--steps", "4", "--device", "cuda", "--peak-flops", "1e15")
    last = recs[-1]
    assert math.isfinite(last["loss"]) and last["peak_mem_gb"] > 0 and 0 < last["mfu"] < 1
    cfg = json.loads((tmp_path / "gpu" / "config.json").read_text())
    assert cfg["device"].startswith("cuda")
