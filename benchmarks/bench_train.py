"""Training-step throughput: our trainer's step vs a transformers Llama of the same shape, plus GPU MFU.

CPU part: the `tiny` preset (32K vocabulary, the M0 tokenizer's size) in fp32. One training step = forward,
backward, gradient clipping, optimizer step, zero_grad, with the same batch and the same optimizer family
for both (AdamW on every parameter: `--optimizer adamw`; or Muon for the hidden matrices in both:
`--optimizer muon`), built by the same `build_optimizers` call with the same flags (fused AdamW where
torch has it, on both sides). Ours is exactly the trainer's step (`TrainModule`: chunked cross-entropy from the
hidden states, `build_optimizers`); the baseline is `LlamaForCausalLM(input_ids, labels=...)`, the standard
transformers training call, with SDPA attention. Steps are interleaved so machine noise hits both alike.

GPU part (CUDA only): bf16-autocast training steps of `d12` and `d20` through the same `TrainModule`, MFU
from the model's FLOPs/token and the device's peak table; and the d20 M1 run time on 8xH100 projected
from FLOPs/token x Chinchilla tokens at the measured MFU (or at an assumed MFU without a GPU, labelled).

    .venv/bin/python benchmarks/bench_train.py [--steps 5] [--batch 4] [--optimizer adamw]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from machine import machine_line

from cppllm.loss import resolve_loss_impl
from cppllm.model.config import get_preset
from cppllm.model.gpt import GPT, count_params, flops_per_token
from cppllm.train.metrics import PEAK_BF16_FLOPS, peak_flops
from cppllm.train.muon import build_optimizers
from cppllm.train.trainer import TrainModule

VOCAB = 32000
H100 = dict(PEAK_BF16_FLOPS)["H100"]


def _optimizers(model, groups, optimizer: str, fused: bool):
    lr = dict(matrix_lr=0.02 if optimizer == "muon" else 3e-3, embed_lr=3e-3, head_lr=3e-3, scalar_lr=3e-3)
    return build_optimizers(groups, optimizer=optimizer, weight_decay=0.0, fused=fused, **lr)


def build_ours(cfg, optimizer: str, device: torch.device, autocast: bool = False):
    gpt = GPT(cfg).to(device)
    module = TrainModule(
        gpt, loss_impl=resolve_loss_impl("auto", device.type), chunk=256 if device.type == "cpu" else 4096
    )
    opts = _optimizers(gpt, gpt.param_groups(), optimizer, fused=True)  # as the trainer

    def loss_of(x, y):
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            return module(x, y)

    return _train_step(loss_of, list(module.parameters()), opts)


def _train_step(loss_of, params, opts):
    """One optimizer step as the trainer takes it: backward, clip at 1.0, step and zero every optimizer."""

    def step(x, y):
        loss = loss_of(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        for o in opts:
            o.step()
            o.zero_grad(set_to_none=True)
        return loss

    return step


def build_hf(cfg, optimizer: str):
    from transformers import LlamaForCausalLM

    from cppllm.model.export import llama_config

    model = LlamaForCausalLM(llama_config(cfg))
    model.config._attn_implementation = "sdpa"
    model.train()
    assert sum(p.numel() for p in model.parameters()) == count_params(cfg)["total"], "shape mismatch"
    groups = {"matrix": [], "embed": [], "head": [], "scalar": []}
    for name, p in model.named_parameters():
        if "embed_tokens" in name:
            groups["embed"].append(p)
        elif name == "lm_head.weight":
            groups["head"].append(p)
        else:
            groups["matrix" if p.ndim == 2 else "scalar"].append(p)
    opts = _optimizers(model, groups, optimizer, fused=True)  # the same optimizer flags as ours
    # the standard transformers training call (it shifts the labels itself)
    return _train_step(lambda x, y: model(input_ids=x, labels=x).loss, list(model.parameters()), opts)


def cpu_bench(steps: int, batch: int, seq: int, optimizer: str) -> dict[str, float]:
    cfg = get_preset("tiny", vocab_size=VOCAB)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, VOCAB, (batch, seq), generator=g)
    y = torch.randint(0, VOCAB, (batch, seq), generator=g)
    runs = {"ours": build_ours(cfg, optimizer, torch.device("cpu")), "hf": build_hf(cfg, optimizer)}
    times: dict[str, list[float]] = {k: [] for k in runs}
    for i in range(steps + 1):
        for name, step in runs.items():
            t0 = time.perf_counter()
            step(x, y)
            if i:  # first step: warm-up
                times[name].append(time.perf_counter() - t0)
    return {k: batch * seq / statistics.median(v) for k, v in times.items()}


def gpu_mfu(preset: str, steps: int, micro_batch: int) -> dict[str, float]:
    device = torch.device("cuda")
    cfg = get_preset(preset, vocab_size=VOCAB)
    step = build_ours(cfg, "muon", device, autocast=True)
    x = torch.randint(0, VOCAB, (micro_batch, cfg.max_seq_len), device=device)
    for _ in range(3):
        step(x, x)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step(x, x)
    torch.cuda.synchronize()
    tok_s = micro_batch * cfg.max_seq_len * steps / (time.perf_counter() - t0)
    peak = peak_flops(device)
    fpt = flops_per_token(cfg, cfg.max_seq_len)
    return {"tok_s": tok_s, "mfu": fpt * tok_s / peak if peak else float("nan"), "peak": peak or float("nan")}


def projection_hours(preset: str, n_gpus: int, mfu: float, peak: float = H100) -> tuple[float, float, float]:
    """(hours, tokens, FLOPs/token) of a Chinchilla-budget run: tokens x FLOPs/token / (GPUs x peak x MFU)."""
    cfg = get_preset(preset, vocab_size=VOCAB)
    tokens = 20 * count_params(cfg)["total"]
    fpt = flops_per_token(cfg, cfg.max_seq_len)
    return tokens * fpt / (n_gpus * peak * mfu) / 3600, tokens, fpt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=5, help="timed training steps per model (median counts)")
    ap.add_argument("--batch", type=int, default=4, help="rows per step (x seq tokens)")
    ap.add_argument("--seq", type=int, default=256, help="sequence length (tiny's max is 256)")
    ap.add_argument("--optimizer", choices=("adamw", "muon"), default="adamw", help="same family in both")
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (0: torch's default; 1 on a shared box)",
    )
    ap.add_argument("--assumed-mfu", type=float, default=0.40, help="MFU for the projection without a GPU")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(machine_line())

    print(f"== CPU: tiny (32K vocab) training step, batch {args.batch} x {args.seq}, {args.optimizer} in both, "
          f"fp32, {torch.get_num_threads()} threads, fused AdamW in both")  # fmt: skip
    tps = cpu_bench(args.steps, args.batch, args.seq, args.optimizer)
    print(f"ours (cppllm trainer step):        {tps['ours']:10.0f} tok/s")
    print(f"transformers LlamaForCausalLM:     {tps['hf']:10.0f} tok/s")
    print(f"ratio ours / transformers:         {tps['ours'] / tps['hf']:10.2f}x   (goal >= 1.2x)")

    print("== GPU: MFU (bf16 autocast, Muon + AdamW, chunked/CCE loss)")
    measured = None
    if torch.cuda.is_available():
        name = torch.cuda.get_device_name()
        for preset, mb in (("d12", 32), ("d20", 16)):
            r = gpu_mfu(preset, 10, mb)
            print(
                f"{preset}: {r['tok_s']:,.0f} tok/s, MFU {100 * r['mfu']:.1f}% on {name} (goal >= 45% on H100)"
            )
            if preset == "d20":
                measured = r["mfu"]
    else:
        print("skipped: no CUDA (d12 / d20 MFU need a GPU)")
    mfu = measured if measured == measured and measured else args.assumed_mfu
    label = "measured" if measured else "ASSUMED"
    hours, tokens, fpt = projection_hours("d20", 8, mfu)
    print(f"== PROJECTION (not a measurement): d20 M1 run on 8xH100 at {label} MFU {100 * mfu:.0f}%: "
          f"{tokens / 1e9:.1f}B tokens (20/param) x {fpt / 1e9:.2f} GFLOP/token / (8 x 989 TFLOP/s x "
          f"{mfu:.2f}) = {hours:.1f} h")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
