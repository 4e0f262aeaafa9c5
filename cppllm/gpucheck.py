"""One GPU check for a lent H100/H200: every GPU path of the project, measured in one run (< 8 minutes).

    python -m cppllm.gpucheck [--out runs/gpu_check.json]     # `make gpu-check`
    python -m cppllm.gpucheck --dry-run                       # the same plumbing on CPU, tiny shapes

Checks, each printed as it finishes and collected in a JSON summary:
    train_eager / train_compile  d12 bf16 training steps (Muon + AdamW, the trainer's `TrainModule`):
                                 tok/s, MFU against the device's bf16 peak, peak memory
    loss_parity                  chunked loss and cut-cross-entropy (`pip install cppllm[gpu]`) against a
                                 plain fp32 cross-entropy: loss and head-gradient differences
    flash_sdpa                   attention forward with only the flash backend allowed, and the kernels the
                                 default path launches (profiler)
    fsdp_one_gpu                 FSDP2 (`fully_shard`) over a 1-rank process group: same losses as unsharded
    context_parallel             the trainer's `--context-parallel 2` loss (`SequenceSplit`) in 2 processes
                                 against one process: loss and gradients (fp32); NCCL with a GPU per rank,
                                 else NCCL on one shared GPU if it allows it, else gloo (CUDA, then CPU
                                 tensors); the backend used is reported. Correctness, not CP speed.
    kv_generation                greedy decoding with the KV cache equals a full forward per token; tokens/s
    hf_export                    `LlamaForCausalLM` from our export, on the same device: max |logit diff|
    projection                   d20 (M1) on 8xH100 in hours, from the MFU measured here
A check that cannot run says why (`skipped: ...`); a failing one is `fail` and the exit code is 1.
`--dry-run` runs on CPU with a `tiny`-shaped model and `torch.compile(backend="eager")` (Dynamo tracing
without Inductor's C++ build), so tests exercise every code path; its figures are not GPU figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from cppllm.atomic import write_text


@dataclass(frozen=True, kw_only=True)
class CheckConfig:
    """Shapes of the check: d12 at 16 x 2048 on a GPU, a tiny model on CPU for `--dry-run`."""

    preset: str = "d12"
    batch: int = 16
    seq: int = 2048
    steps: int = 10
    warmup: int = 3
    vocab: int = 32768
    compile_backend: str = "inductor"
    optimizer: str = (
        "muon"  # the trainer's default; the dry run uses AdamW (Muon's bf16 Newton-Schulz is slow on CPU)
    )
    n_layer: int | None = None  # None: the preset's
    dry_run: bool = False

    @classmethod
    def dry(cls) -> CheckConfig:
        return cls(
            preset="tiny",
            batch=2,
            seq=64,
            steps=2,
            warmup=1,
            vocab=512,
            compile_backend="eager",
            optimizer="adamw",
            n_layer=2,
            dry_run=True,
        )


def _model(cc: CheckConfig, device: torch.device, **overrides):
    from cppllm.model.config import get_preset
    from cppllm.model.gpt import GPT

    if cc.n_layer is not None:
        overrides.setdefault("n_layer", cc.n_layer)
    cfg = get_preset(cc.preset, vocab_size=cc.vocab, max_seq_len=max(cc.seq, 16), **overrides)
    torch.manual_seed(0)
    return GPT(cfg).to(device)


def _batch(cc: CheckConfig, device: torch.device, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    xy = torch.randint(0, cc.vocab, (cc.batch, cc.seq + 1), generator=g)
    return xy[:, :-1].to(device), xy[:, 1:].to(device)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _train_step(module, gpt, device: torch.device, optimizer: str) -> Callable:
    """The trainer's step: bf16 autocast on CUDA, backward, clip 1.0, Muon (or AdamW) + AdamW."""
    from cppllm.train.muon import build_optimizers

    opts = build_optimizers(
        gpt.param_groups(), optimizer=optimizer, matrix_lr=0.02, embed_lr=3e-3, head_lr=3e-3, scalar_lr=3e-3,
        weight_decay=0.0, fused=device.type == "cuda",
    )  # fmt: skip
    params = [p for p in module.parameters() if p.requires_grad]

    def step(x, y) -> float:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss = module(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        for o in opts:
            o.step()
            o.zero_grad(set_to_none=True)
        return float(loss.detach())

    return step


def check_train(cc: CheckConfig, device: torch.device, *, compiled: bool) -> dict:
    from cppllm.loss import resolve_loss_impl
    from cppllm.model.gpt import flops_per_token
    from cppllm.train.metrics import mfu, peak_flops, peak_memory_gb
    from cppllm.train.trainer import TrainModule

    gpt = _model(cc, device)
    module = TrainModule(gpt, loss_impl=resolve_loss_impl("auto", device.type), chunk=4096)
    if compiled:
        module = torch.compile(module, backend=cc.compile_backend)
    step = _train_step(module, gpt, device, cc.optimizer)
    x, y = _batch(cc, device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    t0 = time.perf_counter()
    for _ in range(cc.warmup):  # compilation happens here
        step(x, y)
    _sync(device)
    warmup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    losses = [step(x, y) for _ in range(cc.steps)]
    _sync(device)
    tok_s = cc.batch * cc.seq * cc.steps / (time.perf_counter() - t0)
    fpt = flops_per_token(gpt.config, cc.seq)
    u = mfu(fpt, tok_s, peak_flops(device), 1)
    return {
        "status": "ok" if all(v == v for v in losses) else "fail",
        "preset": cc.preset,
        "tokens_per_step": cc.batch * cc.seq,
        "tok_s": round(tok_s, 1),
        "mfu": None if u is None else round(u, 4),
        "peak_memory_gib": round(peak_memory_gb(device), 2),
        "memory_kind": "max_memory_allocated" if device.type == "cuda" else "process peak RSS",
        "warmup_s": round(warmup_s, 1),
        "loss_first_last": [round(losses[0], 4), round(losses[-1], 4)],
        "loss_impl": getattr(module, "loss_impl", None) or resolve_loss_impl("auto", device.type),
        "compile_backend": cc.compile_backend if compiled else None,
        "optimizer": cc.optimizer,
    }


def check_loss_parity(cc: CheckConfig, device: torch.device) -> dict:
    from cppllm.loss import cce_available, lm_loss

    g = torch.Generator().manual_seed(1)
    n, c = min(cc.batch * cc.seq, 8192), 768 if not cc.dry_run else 64
    h = (torch.randn(1, n, c, generator=g) * 0.5).to(device)
    w = (torch.randn(cc.vocab, c, generator=g) * 0.05).to(device)
    y = torch.randint(0, cc.vocab, (1, n), generator=g).to(device)
    y[0, ::17] = -1  # ignored targets

    def run(impl: str) -> tuple[float, torch.Tensor]:
        wi = w.clone().requires_grad_(True)
        hi = h.to(torch.bfloat16) if impl == "cce" else h
        loss = lm_loss(hi, wi, y, impl=impl, chunk_size=1024)
        loss.backward()
        return float(loss.detach()), wi.grad.float()

    ref_loss, ref_grad = run("plain")
    out: dict = {"status": "ok", "reference": "plain fp32 cross-entropy", "tokens": n}
    impls = ["chunked"] + (["cce"] if device.type == "cuda" and cce_available() else [])
    for impl in impls:
        loss, grad = run(impl)
        tol = 2e-2 if impl == "cce" else 1e-4  # cce takes bf16 inputs
        d_loss, d_grad = abs(loss - ref_loss), float((grad - ref_grad).abs().max() / ref_grad.abs().max())
        out[impl] = {"loss_diff": d_loss, "grad_rel_max_diff": d_grad, "tolerance": tol}
        if d_loss > tol or d_grad > tol * 10:
            out["status"] = "fail"
    if "cce" not in impls:
        why = (
            "no CUDA"
            if device.type != "cuda"
            else "cut-cross-entropy not installed (pip install cppllm[gpu])"
        )
        out["cce"] = f"skipped: {why}"
    return out


def check_flash(cc: CheckConfig, device: torch.device) -> dict:
    if device.type != "cuda":
        return {"status": "skipped: no CUDA (CPU SDPA has no flash-attention kernel to check)"}
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.profiler import ProfilerActivity, profile

    gpt = _model(cc, device).to(torch.bfloat16)
    x, _ = _batch(cc, device)
    x = x[:2]
    out: dict = {}
    with torch.no_grad():
        try:
            with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
                gpt(x)
            out["flash_only_forward"] = "ok"
        except RuntimeError as e:
            out["flash_only_forward"] = f"fail: {str(e).splitlines()[0]}"
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            gpt(x)
            _sync(device)
    kernels = sorted(
        {e.key for e in prof.key_averages() if "flash" in e.key.lower() or "fmha" in e.key.lower()}
    )
    out["attention_kernels_default_path"] = kernels[:5]
    out["status"] = (
        "ok" if out["flash_only_forward"] == "ok" and any("flash" in k.lower() for k in kernels) else "fail"
    )
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_fsdp(cc: CheckConfig, device: torch.device) -> dict:
    import torch.distributed as dist

    from cppllm.loss import resolve_loss_impl
    from cppllm.train.distributed import DistInfo, wrap_model
    from cppllm.train.trainer import TrainModule

    if dist.is_initialized():
        return {"status": "skipped: a process group already exists (run without torchrun)"}
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ["MASTER_PORT"] = str(_free_port())
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=0, world_size=1)
    try:
        x, y = _batch(cc, device, seed=2)
        losses = {}
        for sharded in (False, True):
            gpt = _model(cc, device)
            module = TrainModule(gpt, loss_impl=resolve_loss_impl("auto", device.type), chunk=4096)
            if sharded:
                module = wrap_model(module, gpt.blocks, DistInfo(), fsdp=True, device=device)
            step = _train_step(module, gpt, device, cc.optimizer)
            losses[sharded] = [step(x, y) for _ in range(2)]
    finally:
        dist.destroy_process_group()
    diff = max(abs(a - b) for a, b in zip(losses[False], losses[True], strict=True))
    tol = 5e-2 if device.type == "cuda" else 1e-4  # FSDP2's bf16 params vs autocast on CUDA
    return {
        "status": "ok" if diff <= tol else "fail",
        "losses_unsharded": losses[False],
        "losses_fsdp2": losses[True],
        "max_diff": diff,
        "tolerance": tol,
    }


def _cp_worker(rank: int, cc: CheckConfig, backend: str, device_name: str, port: int, out: str) -> None:
    """One of the 2 ranks of `check_context_parallel` (spawned): one-process reference, then the CP loss."""
    import torch.distributed as dist

    from cppllm.train.context_parallel import SequenceSplit
    from cppllm.train.distributed import DistInfo
    from cppllm.train.trainer import TrainModule

    if cc.dry_run:
        torch.set_num_threads(1)
    device = torch.device(device_name.replace("RANK", str(rank)))
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend, init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        gpt = _model(cc, device)  # seeded: the same weights on both ranks
        module = TrainModule(gpt, loss_impl="chunked", chunk=4096)  # fp32 both ways
        x, y = _batch(CheckConfig(**{**asdict(cc), "batch": 2}), device, seed=3)
        y = y.clone()  # a view of x's storage
        y[0, : cc.seq // 3] = -1  # unevenly scored shards exercise the loss weighting
        ref = module(x, y)
        ref.backward()
        ref_grads = {n: q.grad.clone() for n, q in gpt.named_parameters()}
        gpt.zero_grad(set_to_none=True)
        split = SequenceSplit(DistInfo(rank=rank, world_size=2, cp_size=2))
        gpt.enable_context_parallel(split.cp)
        loss = split.loss(module, x, y)
        loss.backward()
        loss = loss.detach()
        dist.all_reduce(loss)
        grad_diff = 0.0
        for n, q in gpt.named_parameters():
            dist.all_reduce(q.grad)  # DDP's mean over the 2 ranks
            diff = (q.grad / 2 - ref_grads[n]).abs().max() / ref_grads[n].abs().max().clamp(min=1e-12)
            grad_diff = max(grad_diff, float(diff))
        if rank == 0:
            write_text(Path(out), json.dumps({"loss_diff": abs(float(loss) / 2 - float(ref)),
                                              "grad_rel_max_diff": grad_diff}))  # fmt: skip
    finally:
        dist.destroy_process_group()


def _cp_attempts(device: torch.device) -> list[tuple[str, str]]:
    """(backend, device of rank RANK) to try, best first."""
    if device.type != "cuda":
        return [("gloo", "cpu")]
    if torch.cuda.device_count() >= 2:
        return [("nccl", "cuda:RANK")]
    one = f"cuda:{device.index or 0}"
    return [("nccl", one), ("gloo", one), ("gloo", "cpu")]  # NCCL usually refuses two ranks on one GPU


def check_context_parallel(cc: CheckConfig, device: torch.device, timeout_s: float = 180.0) -> dict:
    import multiprocessing as mp

    if cc.seq % 4:
        return {"status": f"skipped: sequence {cc.seq} does not split into 4 chunks"}
    import torch.distributed as dist

    ctx = mp.get_context("spawn")
    attempts: list[dict] = []
    for backend, dev in _cp_attempts(device):
        tried = {"backend": backend, "device": dev.replace("RANK", "<rank>")}
        if backend == "nccl" and not dist.is_nccl_available():
            attempts.append({**tried, "error": "NCCL is not in this torch build"})
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out, port = Path(tmp) / "cp.json", _free_port()
            procs = [
                ctx.Process(target=_cp_worker, args=(r, cc, backend, dev, port, str(out))) for r in range(2)
            ]
            for proc in procs:
                proc.start()
            for proc in procs:
                proc.join(timeout_s)
            hung = [proc for proc in procs if proc.is_alive()]
            for proc in hung:
                proc.kill()
                proc.join()
            if hung or not out.is_file():
                why = (
                    f"timed out after {timeout_s:.0f} s"
                    if hung
                    else f"exit codes {[q.exitcode for q in procs]}"
                )
                attempts.append({**tried, "error": why})
                continue
            res = json.loads(out.read_text())
        tol = 1e-4 if device.type == "cuda" else 1e-5
        ok = res["loss_diff"] <= tol and res["grad_rel_max_diff"] <= 10 * tol
        same_gpu = dev.startswith("cuda") and "RANK" not in dev
        return {
            "status": "ok" if ok else "fail",
            **tried,
            "ranks": 2,
            **res,
            "tolerance": tol,
            "dtype": "fp32",
            "failed_attempts": attempts,
            "note": "2 ranks share one GPU: the CP path's correctness, not its speed"
            if same_gpu
            else ("CPU tensors" + (" (the GPU could not host 2 ranks)" if device.type == "cuda" else "")),
        }
    return {"status": "fail: no backend ran 2 context-parallel ranks", "failed_attempts": attempts}


def check_generation(cc: CheckConfig, device: torch.device) -> dict:
    from cppllm.model.generate import generate

    gpt = _model(cc, device).eval()
    prompt = _batch(cc, device)[0][0, :16].tolist()
    new = 64 if not cc.dry_run else 8
    _sync(device)
    t0 = time.perf_counter()
    cached = generate(gpt, [prompt], new, temperature=0.0)[0]
    _sync(device)
    elapsed = time.perf_counter() - t0
    ids = list(prompt)
    with torch.no_grad():
        for _ in range(len(cached)):  # the same greedy decode, one full forward per token
            logits = gpt(torch.tensor([ids], device=device))
            ids.append(int(logits[0, -1].argmax()))
    full = ids[len(prompt) :]
    return {
        "status": "ok" if full == cached else "fail",
        "new_tokens": len(cached),
        "tok_s_cached": round(len(cached) / elapsed, 1),
        "cached_equals_full_forward": full == cached,
    }


def check_hf_export(cc: CheckConfig, device: torch.device) -> dict:
    try:
        from transformers import LlamaForCausalLM
    except ImportError:
        return {"status": "skipped: transformers not installed (pip install cppllm[export])"}
    from cppllm.model.export import export_hf

    gpt = _model(cc, device).eval()
    x = _batch(cc, device)[0][:1, : min(cc.seq, 256)]
    with tempfile.TemporaryDirectory() as tmp:
        export_hf(gpt.cpu(), Path(tmp) / "hf")
        hf = LlamaForCausalLM.from_pretrained(Path(tmp) / "hf", torch_dtype=torch.float32).to(device).eval()
        gpt.to(device)
        with torch.no_grad():
            diff = float((gpt(x) - hf(x).logits).abs().max())
    return {"status": "ok" if diff < 1e-3 else "fail", "max_abs_logit_diff": diff, "dtype": "fp32"}


def projection(train: dict) -> dict:
    """d20 (M1) Chinchilla run on 8xH100 at the MFU measured here."""
    from cppllm.model.config import get_preset
    from cppllm.model.gpt import count_params, flops_per_token
    from cppllm.train.metrics import PEAK_BF16_FLOPS

    measured = train.get("mfu")
    if not measured:
        return {"status": "skipped: no MFU measured (no GPU with a known bf16 peak)"}
    cfg = get_preset("d20")
    tokens = 20 * count_params(cfg)["total"]
    fpt = flops_per_token(cfg, cfg.max_seq_len)
    h100 = dict(PEAK_BF16_FLOPS)["H100"]
    hours = tokens * fpt / (8 * h100 * measured) / 3600
    return {
        "status": "ok",
        "kind": "PROJECTION from d12's measured MFU (d20 usually runs at a higher MFU: wider matmuls)",
        "tokens": tokens,
        "flops_per_token": fpt,
        "mfu": measured,
        "hours_8xH100": round(hours, 2),
    }


CHECKS: list[tuple[str, Callable]] = [
    ("train_eager", lambda cc, d: check_train(cc, d, compiled=False)),
    ("train_compile", lambda cc, d: check_train(cc, d, compiled=True)),
    ("loss_parity", check_loss_parity),
    ("flash_sdpa", check_flash),
    ("fsdp_one_gpu", check_fsdp),
    ("context_parallel", check_context_parallel),
    ("kv_generation", check_generation),
    ("hf_export", check_hf_export),
]


def run_checks(cc: CheckConfig, device: torch.device, only: list[str] | None = None) -> dict:
    results: dict = {}
    for name, fn in CHECKS:
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        try:
            res = fn(cc, device)
        except Exception as e:  # one broken path must not hide the others' figures
            res = {"status": f"fail: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}
        res["seconds"] = round(time.perf_counter() - t0, 1)
        results[name] = res
        print(f"{name:<15} {json.dumps(res)}", flush=True)
        if device.type == "cuda":
            torch.cuda.empty_cache()
    best = max(
        (results.get(k, {}) for k in ("train_compile", "train_eager")), key=lambda r: r.get("mfu") or 0
    )
    results["projection"] = projection(best)
    print(f"{'projection':<15} {json.dumps(results['projection'])}", flush=True)
    return results


def machine(device: torch.device) -> dict:
    import platform

    out = {"torch": torch.__version__, "python": platform.python_version(), "device": str(device)}
    if device.type == "cuda":
        out |= {"gpu": torch.cuda.get_device_name(device), "cuda": torch.version.cuda}
    else:
        out |= {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cppllm.gpucheck", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("runs/gpu_check.json"), help="JSON summary path")
    p.add_argument("--dry-run", action="store_true", help="CPU, tiny shapes: the plumbing, not GPU figures")
    p.add_argument("--only", action="append", choices=[n for n, _ in CHECKS], help="run only this check")
    p.add_argument("--steps", type=int, default=None, help="timed training steps (default 10; dry run 2)")
    args = p.parse_args(argv)
    cc = CheckConfig.dry() if args.dry_run else CheckConfig()
    if args.steps is not None:
        cc = CheckConfig(**{**asdict(cc), "steps": args.steps})
    if args.dry_run:
        device = torch.device("cpu")
        torch.set_num_threads(1)  # tiny shapes: more threads only contend
    elif torch.cuda.is_available():
        device = torch.device("cuda")
    else:
        print("error: no CUDA device; `--dry-run` runs the checks' plumbing on CPU", file=sys.stderr)
        return 2
    info = machine(device)
    print(f"gpu-check on {json.dumps(info)}; config {json.dumps(asdict(cc))}", flush=True)
    t0 = time.perf_counter()
    with contextlib.ExitStack():
        results = run_checks(cc, device, args.only)
    summary = {
        "machine": info,
        "config": asdict(cc),
        "checks": results,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_text(args.out, json.dumps(summary, indent=2) + "\n")
    failed = [k for k, v in results.items() if str(v.get("status", "")).startswith("fail")]
    print(f"wrote {args.out}; {len(results)} checks, failed: {failed or 'none'} ({summary['seconds']} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
