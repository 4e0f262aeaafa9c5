"""`python -m cppllm.gpucheck --dry-run`: every GPU check's plumbing on CPU, tiny shapes, one JSON summary."""

from __future__ import annotations

import json

from cppllm import gpucheck


def test_dry_run_runs_every_check_and_writes_the_summary(tmp_path):
    out = tmp_path / "gpu_check.json"
    assert gpucheck.main(["--dry-run", "--out", str(out)]) == 0
    summary = json.loads(out.read_text())
    checks = summary["checks"]
    assert set(checks) == {name for name, _ in gpucheck.CHECKS} | {"projection"}
    for name in ("train_eager", "train_compile"):
        assert checks[name]["status"] == "ok" and checks[name]["tok_s"] > 0
        assert checks[name]["loss_first_last"][1] < checks[name]["loss_first_last"][0]  # it trains
    assert checks["train_compile"]["compile_backend"] == "eager"
    assert checks["loss_parity"]["chunked"]["loss_diff"] < 1e-4
    assert checks["loss_parity"]["cce"].startswith("skipped")  # said, not hidden
    assert checks["fsdp_one_gpu"]["losses_fsdp2"] == checks["fsdp_one_gpu"]["losses_unsharded"]
    assert checks["kv_generation"]["cached_equals_full_forward"] is True
    cp = checks["context_parallel"]
    assert (cp["status"], cp["backend"], cp["device"], cp["ranks"]) == ("ok", "gloo", "cpu", 2)
    assert cp["loss_diff"] < 1e-5 and cp["grad_rel_max_diff"] < 1e-5
    assert checks["hf_export"]["max_abs_logit_diff"] < 1e-4
    assert checks["flash_sdpa"]["status"].startswith("skipped") and checks["projection"]["status"].startswith(
        "skipped"
    )
    assert summary["machine"]["device"] == "cpu"


def test_a_failing_check_is_reported_and_fails_the_run(tmp_path, monkeypatch):
    def broken(cc, device):
        raise RuntimeError("kernel exploded")

    monkeypatch.setattr(
        gpucheck, "CHECKS", [("kv_generation", broken), ("loss_parity", gpucheck.check_loss_parity)]
    )
    out = tmp_path / "s.json"
    assert gpucheck.main(["--dry-run", "--out", str(out)]) == 1
    checks = json.loads(out.read_text())["checks"]
    assert checks["kv_generation"]["status"] == "fail: RuntimeError: kernel exploded"
    assert checks["loss_parity"]["status"] == "ok"  # the others still run


def test_projection_uses_the_measured_mfu():
    a = gpucheck.projection({"mfu": 0.4})
    b = gpucheck.projection({"mfu": 0.2})
    assert a["status"] == "ok" and abs(b["hours_8xH100"] - 2 * a["hours_8xH100"]) < 0.02
    assert a["tokens"] > 8e9 and "PROJECTION" in a["kind"]


def test_context_parallel_check_tries_backends_in_order_and_reports_each_failure(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    one_gpu = gpucheck._cp_attempts(torch.device("cuda", 0))
    assert one_gpu == [("nccl", "cuda:0"), ("gloo", "cuda:0"), ("gloo", "cpu")]
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 8)
    assert gpucheck._cp_attempts(torch.device("cuda", 0)) == [("nccl", "cuda:RANK")]
    # backends that cannot run are recorded with the reason, and the check fails rather than pass silently
    monkeypatch.setattr(gpucheck, "_cp_attempts", lambda device: [("nccl", "cpu"), ("gloo", "cuda:99")])
    res = gpucheck.check_context_parallel(gpucheck.CheckConfig.dry(), torch.device("cpu"), timeout_s=120)
    assert res["status"] == "fail: no backend ran 2 context-parallel ranks"
    nccl, gloo_cuda = res["failed_attempts"]
    if not torch.distributed.is_nccl_available():
        assert nccl["error"] == "NCCL is not in this torch build"
    assert gloo_cuda == {"backend": "gloo", "device": "cuda:99", "error": "exit codes [1, 1]"}  # no such GPU
