"""Training metrics: device peak FLOPs, MFU, peak memory, and the run's `metrics.jsonl` (+ wandb).

MFU = achieved model FLOPs / peak FLOPs (PaLM, arXiv 2204.02311), with the model's training FLOPs per
token (6N + attention) and the dense bf16 tensor-core peak of the device from the vendor data sheets.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path
from typing import Any

import torch

from cppllm.atomic import write_text

# Dense (no sparsity) bf16 peak FLOP/s per device, matched against torch.cuda.get_device_name().
# First match wins, so more specific names come first.
PEAK_BF16_FLOPS: list[tuple[str, float]] = [
    ("GH200", 989e12),
    ("H200", 989e12),
    ("H100 PCIe", 756e12),
    ("H100 NVL", 835e12),
    ("H100", 989e12),  # SXM
    ("H800", 989e12),
    ("H20", 148e12),
    ("B200", 2250e12),
    ("B100", 1750e12),
    ("A100", 312e12),
    ("A800", 312e12),
    ("A10G", 70e12),
    ("A10", 125e12),
    ("A6000", 155e12),
    ("L40S", 362e12),
    ("L40", 181e12),
    ("L4", 121e12),
    ("RTX 4090", 165e12),
    ("RTX 3090", 71e12),
    ("V100", 125e12),  # fp16 (no bf16 on Volta)
    ("T4", 65e12),  # fp16
    ("MI300X", 1307e12),
    ("MI250X", 383e12),
]


def peak_flops(device: torch.device) -> float | None:
    """The device's dense bf16 peak FLOP/s, or None when unknown (CPU, unlisted GPU)."""
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for key, flops in PEAK_BF16_FLOPS:
        if key in name:
            return flops
    return None


def mfu(
    flops_per_token: float, tokens_per_s: float, peak_per_device: float | None, n_devices: int
) -> float | None:
    """Model FLOPs utilisation in [0, 1], or None without a known peak."""
    if not peak_per_device:
        return None
    return flops_per_token * tokens_per_s / (peak_per_device * n_devices)


def peak_memory_gb(device: torch.device) -> float:
    """Peak allocated accelerator memory (CUDA), else the process's peak RSS, in GiB."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return rss / (2**30 if sys.platform == "darwin" else 2**20)


class MetricsLog:
    """Appends one JSON object per logged step to `metrics.jsonl`; mirrors it to wandb when enabled."""

    def __init__(self, path: Path, *, resume_step: int | None = None, wandb_run: Any = None) -> None:
        self.path = path
        self.wandb_run = wandb_run
        path.parent.mkdir(parents=True, exist_ok=True)
        if resume_step is None:
            path.write_text("")
        elif path.exists():
            # Drop lines logged after the checkpoint we resume from: they will be logged again.
            keep = [
                line
                for line in path.read_text().splitlines()
                if line.strip() and json.loads(line).get("step", 0) <= resume_step
            ]
            write_text(path, "".join(line + "\n" for line in keep))

    def log(self, record: dict[str, Any]) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")
        if self.wandb_run is not None:
            self.wandb_run.log({k: v for k, v in record.items() if v is not None}, step=record["step"])

    def close(self) -> None:
        if self.wandb_run is not None:
            self.wandb_run.finish()


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """The records of a run's `metrics.jsonl`."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
