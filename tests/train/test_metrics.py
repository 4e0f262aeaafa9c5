"""MFU from the peak-FLOPs table; metrics.jsonl truncation on resume."""

from __future__ import annotations

import pytest
import torch

from cppllm.train import metrics
from cppllm.train.metrics import MetricsLog, mfu, peak_flops, read_metrics


@pytest.mark.parametrize(
    "name, flops",
    [("NVIDIA H100 80GB HBM3", 989e12), ("NVIDIA H100 PCIe", 756e12), ("NVIDIA H200", 989e12),
     ("NVIDIA A100-SXM4-80GB", 312e12), ("NVIDIA A10G", 70e12), ("Some New GPU", None)],
)  # fmt: skip
def test_peak_flops_lookup(monkeypatch, name, flops):
    monkeypatch.setattr(metrics.torch.cuda, "get_device_name", lambda device=None: name)
    assert peak_flops(torch.device("cuda", 0)) == flops
    assert peak_flops(torch.device("cpu")) is None


def test_mfu_formula():
    # 6 * 100M params, 1M tok/s on 8 devices of 1 PFLOP/s: 6e8 * 1e6 / 8e15 = 7.5%
    assert mfu(6e8, 1e6, 1e15, 8) == pytest.approx(0.075)
    assert mfu(6e8, 1e6, None, 1) is None


def test_resume_truncates_later_records(tmp_path):
    path = tmp_path / "metrics.jsonl"
    log = MetricsLog(path)
    for s in range(1, 6):
        log.log({"step": s, "loss": 1.0 / s, "tok_per_s": 1.0})
    MetricsLog(path, resume_step=3)
    assert [r["step"] for r in read_metrics(path)] == [1, 2, 3]
    MetricsLog(path)  # a fresh run starts a fresh file
    assert path.read_text() == ""
