"""Forward+backward training throughput of our GPT vs transformers' LlamaForCausalLM of the same shape.

Both run eagerly on the CPU with identical shapes (GQA, SwiGLU, RMSNorm, RoPE, tied or untied head) and
the same loss (mean cross-entropy over all positions): ours via `model(x, y)`, whose fused chunked
LM-head cross-entropy never materialises the logits; HF via its logits and `F.cross_entropy`. fp32 by
default (what the trainer uses on a CPU); `--autocast bf16` runs both under the same CPU autocast (AMX).
Timing runs both models in one process with their steps interleaved (the median step counts), so the
noise of a shared machine hits both alike; peak memory (RSS) comes from a fresh subprocess per model.

Both models run the same matmuls on the same FLOPs, the same attention kernel and the same embedding
backward. The benchmark profiles one HF step and prints the share of those kernels, and so the ratio an
implementation could reach if everything else it did were free ("ceiling").

    .venv/bin/python benchmarks/bench_model.py [--steps 4] [--threads 1] [--shapes tiny,d12x2,d12]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from machine import machine_line

SHAPES = {
    # the `tiny` preset, full depth
    "tiny": dict(preset="tiny", overrides={}, batch=4, seq=256),
    # d12 width and heads (768, 6 x 128, SwiGLU 2048, 32K vocab), 2 layers to keep the run short
    "d12x2": dict(preset="d12", overrides={"n_layer": 2}, batch=1, seq=512),
    # the whole d12 preset (12 layers), 1024-token rows
    "d12": dict(preset="d12", overrides={}, batch=1, seq=1024),
}
# Kernels both implementations must run on the same work: matmuls, attention, the embedding backward.
SHARED_KERNELS = ("aten::mm", "aten::addmm", "aten::bmm", "scaled_dot_product", "embedding_dense_backward")


def build(shape: str, impl: str, autocast: str = "none"):
    """(step function, x, y, tokens per step) for one shape and implementation."""
    import contextlib

    import torch

    from cppllm.model.config import get_preset
    from cppllm.model.gpt import GPT

    spec = SHAPES[shape]
    cfg = get_preset(spec["preset"], **spec["overrides"])
    if impl == "ours":
        model = GPT(cfg)

        def loss_fn(x, y):
            return model(x, y)
    else:
        from transformers import LlamaForCausalLM

        from cppllm.model.export import llama_config

        model = LlamaForCausalLM(llama_config(cfg))
        model.config._attn_implementation = "sdpa"

        def loss_fn(x, y):
            # logits for every position vs targets given in advance: the loss our model computes
            logits = model(input_ids=x).logits
            return torch.nn.functional.cross_entropy(logits.float().view(-1, logits.size(-1)), y.view(-1))

    model.train()

    def step(x, y):
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if autocast == "bf16" else contextlib.nullcontext()
        with ctx:
            loss = loss_fn(x, y)
        loss.backward()
        model.zero_grad(set_to_none=True)

    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, cfg.vocab_size, (spec["batch"], spec["seq"]), generator=g)
    y = torch.randint(0, cfg.vocab_size, (spec["batch"], spec["seq"]), generator=g)
    return step, x, y, spec["batch"] * spec["seq"]


def memory_worker(shape: str, impl: str, threads: int, autocast: str) -> dict:
    """Peak RSS of a fresh process that builds the model and runs two training steps."""
    import torch

    torch.set_num_threads(threads)
    step, x, y, _ = build(shape, impl, autocast)
    step(x, y)
    step(x, y)
    return {"peak_mib": _peak_rss_mib()}


def _peak_rss_mib() -> float:
    # VmHWM belongs to this process image; ru_maxrss would carry the parent's peak across fork + exec.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_memory(shape: str, impl: str, threads: int, autocast: str) -> float:
    cmd = [sys.executable, __file__, "--worker", shape, impl, "--threads", str(threads)]
    cmd += ["--autocast", autocast]
    out = subprocess.run(
        cmd, check=True, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


def time_pair(shape: str, steps: int, autocast: str = "none") -> dict[str, float]:
    """Median tokens/s of ours and HF, their steps interleaved so machine noise hits both alike."""
    steps_by_impl = {impl: build(shape, impl, autocast) for impl in ("ours", "hf")}
    times: dict[str, list[float]] = {"ours": [], "hf": []}
    for i in range(steps + 1):
        for impl, (step, x, y, _) in steps_by_impl.items():
            t0 = time.perf_counter()
            step(x, y)
            if i:  # the first step of each is warm-up
                times[impl].append(time.perf_counter() - t0)
    tokens = steps_by_impl["ours"][3]
    result = {impl: tokens / statistics.median(ts) for impl, ts in times.items()}
    result["hf_shared_share"] = shared_kernel_share(*steps_by_impl["hf"][:3])
    return result


def shared_kernel_share(step, x, y) -> float:
    """Share of one profiled step's CPU time spent in SHARED_KERNELS."""
    from torch.profiler import ProfilerActivity, profile

    # the profiler's own start/stop log lines go to fd 2 from C++: keep them out of the report
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                step(x, y)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    shared = sum(e.self_cpu_time_total for e in events if any(k in e.key for k in SHARED_KERNELS))
    return shared / total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shapes", default="tiny,d12x2,d12", help=f"comma-separated, from {list(SHAPES)}")
    ap.add_argument(
        "--autocast", choices=("none", "bf16"), default="none", help="run both models under CPU bf16 autocast"
    )
    ap.add_argument(
        "--steps", type=int, default=4, help="timed forward+backward steps per model (median counts)"
    )
    ap.add_argument(
        "--threads", type=int, default=1, help="torch intra-op threads (1: stable on a shared box)"
    )
    ap.add_argument("--worker", nargs=2, metavar=("SHAPE", "IMPL"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(memory_worker(*args.worker, args.threads, args.autocast)))
        return 0
    shapes = args.shapes.split(",")
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        ap.error(f"unknown shapes {unknown}; valid: {', '.join(SHAPES)}")
    import torch

    torch.set_num_threads(args.threads)
    precision = "fp32" if args.autocast == "none" else "bf16 autocast"
    print(machine_line())
    print(f"{precision} eager, {args.threads} thread(s)")
    for shape in shapes:
        tok_s = time_pair(shape, args.steps, args.autocast)
        mem = {impl: run_memory(shape, impl, args.threads, args.autocast) for impl in ("ours", "hf")}
        spec = SHAPES[shape]
        print(
            f"{shape} (batch {spec['batch']} x {spec['seq']}): ours {tok_s['ours']:,.0f} tok/s, "
            f"peak RSS {mem['ours']:,.0f} MiB | HF Llama {tok_s['hf']:,.0f} tok/s, peak RSS {mem['hf']:,.0f} MiB | "
            f"speed ratio {tok_s['ours'] / tok_s['hf']:.2f}x, memory ratio {mem['ours'] / mem['hf']:.2f}x | "
            f"shared kernels {tok_s['hf_shared_share']:.0%} of HF's step: ceiling {1 / tok_s['hf_shared_share']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
