"""The training loop: data -> GPT -> memory-lean loss -> Muon + AdamW, on one device or under torchrun.

One optimizer step = `grad_accum` micro-batches per rank x `world_size` ranks = `batch_tokens` tokens.
Gradients are synchronised only on the last micro-batch (DDP `no_sync`, FSDP2
`set_requires_gradient_sync`), clipped by global norm, then Muon steps the hidden matrices and AdamW the
rest, with the WSD schedule. A SIGTERM/SIGUSR1 (Slurm preemption) finishes the current step, saves a
checkpoint and returns; `resume` continues bit-exactly on CPU in fp32.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cppllm.device import pick_device
from cppllm.eval.bpb import bpb_sums
from cppllm.model.checkpoint import load_checkpoint_model
from cppllm.model.config import GPTConfig, get_preset
from cppllm.model.gpt import GPT, count_params
from cppllm.tokenizer.tokenizer import CppTokenizer
from cppllm.train.checkpoint import (
    find_checkpoint,
    load_optimizer_state,
    load_trainer_files,
    save_train_checkpoint,
    set_rng_state,
)
from cppllm.train.config import RESUME_MUST_MATCH, TrainConfig
from cppllm.train.data import MixtureLoader, parse_data_spec
from cppllm.train.distributed import (
    DistInfo,
    all_reduce_mean,
    all_reduce_sum,
    init_distributed,
    shutdown_distributed,
    wrap_model,
)
from cppllm.train.loss import chunked_cross_entropy, lm_loss, resolve_loss_impl
from cppllm.train.metrics import MetricsLog, mfu, peak_flops, peak_memory_gb
from cppllm.train.muon import build_optimizers
from cppllm.train.schedule import WSDSchedule


class TrainModule(nn.Module):
    """GPT + loss in one forward, so DDP/FSDP2 hooks see the whole step (the head included)."""

    def __init__(self, gpt: GPT, *, loss_impl: str, chunk: int) -> None:
        super().__init__()
        self.gpt = gpt
        self.loss_impl, self.chunk = loss_impl, chunk

    def forward(self, x: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        h = self.gpt.forward_hidden(x)  # (B, T, C)
        w = self.gpt.lm_head.weight
        if reduction == "none":
            return chunked_cross_entropy(h, w, y, chunk_size=self.chunk, reduction="none")
        return lm_loss(h, w, y, impl=self.loss_impl, chunk_size=self.chunk)


class _StopSignal:
    """Records SIGTERM/SIGUSR1 so the loop can save and exit at the next step boundary."""

    SIGNALS = (signal.SIGTERM, signal.SIGUSR1)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._prev: dict[int, Any] = {}

    def _handle(self, signum, frame) -> None:
        self.signum = signum

    def __enter__(self) -> _StopSignal:
        with contextlib.suppress(ValueError):  # not the main thread: no handlers
            for s in self.SIGNALS:
                self._prev[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for s, h in self._prev.items():
            signal.signal(s, h)


def _padded_vocab(n: int, multiple: int) -> int:
    return multiple * math.ceil(n / multiple) if multiple > 1 else n


def _load_tokenizer(cfg: TrainConfig, sources) -> CppTokenizer:
    if cfg.tokenizer:
        return CppTokenizer.load(cfg.tokenizer)
    for s in sources:
        if s.tokenizer_dir is not None:
            return CppTokenizer.load(s.tokenizer_dir)
    raise FileNotFoundError(
        f"no tokenizer: --data {cfg.data!r} is not a pipeline output folder with tokenizer/; pass --tokenizer"
    )


def _val_loader(sources, cfg: TrainConfig, info: DistInfo, tok_hash: str) -> MixtureLoader | None:
    val = []
    for s in sources:
        v = s.for_split("val")
        if v.prefix.with_suffix(".bin").is_file() and v.prefix.with_suffix(".idx").is_file():
            val.append(v)
    if not val:
        return None
    try:
        return MixtureLoader(
            val,
            cfg.micro_batch,
            cfg.seq_len,
            rank=info.rank,
            world_size=info.world_size,
            seed=cfg.seed,
            # every val token scored once: BOS-aligned windows would score only document openings
            # (licence headers, include blocks), which flatters bpb
            bos_aligned=False,
            shuffle=False,
            tokenizer_hash=tok_hash,
        )
    except ValueError as e:  # val split shorter than one window
        warnings.warn(f"validation split unusable ({e}); val bpb is skipped", stacklevel=2)
        return None


def _check_resume(saved: dict[str, Any], cfg: TrainConfig, model_cfg: GPTConfig) -> None:
    old = saved["train"]
    for key in RESUME_MUST_MATCH:
        if old.get(key) != getattr(cfg, key):
            raise ValueError(
                f"--resume: {key} was {old.get(key)!r} in the checkpoint, now {getattr(cfg, key)!r}; "
                "rerun with the checkpoint's settings (see its config.json)"
            )
    if GPTConfig.from_dict(saved["model"]) != model_cfg:
        raise ValueError("--resume: the model config differs from the checkpoint's (preset or vocabulary)")


def train(cfg: TrainConfig, *, resume: str | None = None, stop_at_step: int | None = None) -> dict[str, Any]:
    """Run (or resume) training; returns a summary. `resume`: a checkpoint path, 'latest' or 'auto'."""
    info, device_name = init_distributed(cfg.device)
    try:
        return _train(cfg, info, device_name, resume=resume, stop_at_step=stop_at_step)
    finally:
        shutdown_distributed()


def _train(
    cfg: TrainConfig, info: DistInfo, device_name: str, *, resume: str | None, stop_at_step: int | None
) -> dict[str, Any]:
    dev = pick_device(device_name)
    device = dev.device
    out = Path(cfg.out)
    sources = parse_data_spec(cfg.data, "train")
    tok = _load_tokenizer(cfg, sources)
    tok_hash = tok.hash()
    model_cfg = get_preset(
        cfg.preset,
        **{
            "vocab_size": _padded_vocab(tok.vocab_size, cfg.vocab_multiple),
            "init_seed": cfg.seed,
            **cfg.model_overrides,
        },
    )
    cfg = cfg.resolve(
        n_params=count_params(model_cfg)["total"],
        n_embd=model_cfg.n_embd,
        max_seq_len=model_cfg.max_seq_len,
        world_size=info.world_size,
        tied=model_cfg.tie_embeddings,
        device_type=device.type,
    )
    accum = cfg.grad_accum(info.world_size)

    ckpt = None
    if resume is not None:
        ckpt = find_checkpoint(out if resume in ("latest", "auto") else resume)
        if ckpt is None and resume != "auto":
            raise FileNotFoundError(
                f"--resume {resume}: no checkpoint under {out if resume in ('latest', 'auto') else resume}"
            )
    saved_cfg, trainer_state = load_trainer_files(ckpt) if ckpt is not None else (None, None)
    if saved_cfg is not None:
        _check_resume(saved_cfg, cfg, model_cfg)
        gpt = load_checkpoint_model(ckpt).train()
    else:
        gpt = GPT(model_cfg)
    gpt.to(device)

    loader = MixtureLoader(
        sources,
        cfg.micro_batch,
        cfg.seq_len,
        rank=info.rank,
        world_size=info.world_size,
        seed=cfg.seed,
        bos_aligned=cfg.bos_aligned,
        tokenizer_hash=tok_hash,
    )
    val_loader = _val_loader(sources, cfg, info, tok_hash)
    val_start = val_loader.state_dict() if val_loader is not None else None
    token_bytes = tok.token_bytes()

    loss_impl = resolve_loss_impl(cfg.loss, device.type)
    module = TrainModule(gpt, loss_impl=loss_impl, chunk=cfg.loss_chunk)
    if cfg.compile:
        for block in gpt.blocks:
            block.compile()
    wrapped = wrap_model(module, gpt.blocks, info, fsdp=cfg.fsdp, device=device)
    optimizers = build_optimizers(
        gpt.param_groups(),
        optimizer=cfg.optimizer,
        matrix_lr=cfg.matrix_lr,
        embed_lr=cfg.embed_lr,
        head_lr=cfg.head_lr,
        scalar_lr=cfg.scalar_lr,
        weight_decay=cfg.weight_decay,
        muon_momentum=cfg.muon_momentum,
        adam_betas=(cfg.adam_beta1, cfg.adam_beta2),
        fused=not cfg.fsdp,  # fused AdamW kernels exist for CPU and CUDA (not for DTensors)
    )
    schedule = WSDSchedule(
        optimizers,
        total_steps=cfg.steps,
        warmup_steps=cfg.warmup_steps,
        decay_steps=cfg.decay_steps,
        final_frac=cfg.final_lr_frac,
    )
    start_step, tokens_seen = 0, 0
    if trainer_state is not None:
        load_optimizer_state(module, optimizers, ckpt)
        schedule.load_state_dict(trainer_state["schedule"])
        loader.load_state_dict(trainer_state["loader"])
        start_step, tokens_seen = int(trainer_state["step"]), int(trainer_state["tokens_seen"])
        rngs = trainer_state["rng"]
        if len(rngs) == info.world_size:
            set_rng_state(rngs[info.rank])

    scaler = torch.amp.GradScaler("cuda") if dev.autocast_dtype == torch.float16 else None
    autocast = (
        (lambda: torch.autocast(device.type, dtype=dev.autocast_dtype))
        if dev.autocast_dtype is not None
        else contextlib.nullcontext
    )
    params = [p for p in wrapped.parameters() if p.requires_grad]
    flops_tok = gpt.flops_per_token(cfg.seq_len)
    peak = cfg.peak_flops or peak_flops(device)
    run_config = {
        "train": cfg.to_dict(),
        "model": model_cfg.to_dict(),
        "world_size": info.world_size,
        "grad_accum": accum,
        "tokenizer_hash": tok_hash,
        "tokenizer_vocab_size": tok.vocab_size,
        "data": {s.name: {"prefix": str(s.prefix), "weight": s.weight} for s in sources},
        "device": str(device),
        "loss_impl": loss_impl,
        "flops_per_token": flops_tok,
        "num_params": count_params(model_cfg)["total"],
    }
    log = None
    if info.is_main:
        out.mkdir(parents=True, exist_ok=True)
        tmp = out / "config.json.tmp"
        tmp.write_text(json.dumps(run_config, indent=2, sort_keys=True))
        tmp.replace(out / "config.json")
        log = MetricsLog(
            out / "metrics.jsonl",
            resume_step=start_step if ckpt is not None else None,
            wandb_run=_wandb_run(cfg, run_config),
        )

    def evaluate() -> float | None:
        if val_loader is None:
            return None
        val_loader.load_state_dict(val_start)
        n_windows = sum(len(w) for w in val_loader.windows)
        per_batch = cfg.micro_batch * info.world_size
        n = max(1, min(cfg.val_tokens // (per_batch * cfg.seq_len), n_windows // per_batch))
        batches = (val_loader.next_batch() for _ in range(n))
        wrapped.eval()
        with autocast():
            nats, nbytes = bpb_sums(_TokenLosses(wrapped), batches, token_bytes, device)
        wrapped.train()
        sums = all_reduce_sum(torch.tensor([nats, float(nbytes)], dtype=torch.float64, device=device), info)
        return float(sums[0] / (math.log(2) * sums[1])) if sums[1] > 0 else None

    def checkpoint(step: int) -> None:
        save_train_checkpoint(
            out,
            step=step,
            module=module,
            model_prefix="gpt.",
            optimizers=optimizers,
            config={**run_config, "tokens_seen": tokens_seen},
            trainer_state={
                "schedule": schedule.state_dict(),
                "loader": loader.state_dict(),
                "tokens_seen": tokens_seen,
            },
            keep=cfg.keep_ckpts,
            tie_embeddings=model_cfg.tie_embeddings,
        )

    summary: dict[str, Any] = {"out": str(out), "steps": cfg.steps, "start_step": start_step, "stopped": None}
    bar = None
    if info.is_main and cfg.progress:
        from tqdm import tqdm

        bar = tqdm(
            total=cfg.steps, initial=start_step, desc=f"train {cfg.preset}", unit="step", dynamic_ncols=True
        )
    if info.is_main:
        print(
            f"[train] {cfg.preset}: {run_config['num_params'] / 1e6:.2f}M params, {cfg.steps} steps x "
            f"{cfg.batch_tokens} tokens ({cfg.micro_batch} x {cfg.seq_len} x {accum} accum x {info.world_size} "
            f"ranks), {cfg.optimizer} + adamw, loss={loss_impl}, device={device}, out={out}",
            file=sys.stderr,
        )
    if start_step == 0 and ckpt is None:  # the curve starts at the untrained model (collective)
        bpb0 = evaluate()
        if log is not None and bpb0 is not None:
            log.log({"step": 0, "loss": None, "tok_per_s": None, "val_bpb": bpb0, "tokens": 0})
    last_bpb = None
    step = start_step
    loss_acc = torch.zeros((), device=device)
    steps_since, t_last = 0, time.perf_counter()
    step_times: list[float] = []
    with _StopSignal() as stop:
        while step < cfg.steps:
            schedule.apply()
            for micro in range(accum):
                x, y = loader.next_batch()
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                last = micro == accum - 1
                sync_ctx = contextlib.nullcontext()
                if cfg.fsdp:
                    wrapped.set_requires_gradient_sync(last)
                elif info.enabled and not last:
                    sync_ctx = wrapped.no_sync()
                with sync_ctx:
                    with autocast():
                        loss = wrapped(x, y) / accum
                    (scaler.scale(loss) if scaler else loss).backward()
                loss_acc += loss.detach()
            if scaler is not None:
                for opt in optimizers:
                    scaler.unscale_(opt)
            grad_norm = None
            if cfg.grad_clip > 0:
                grad_norm = torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            for opt in optimizers:
                if scaler is not None:
                    scaler.step(opt)
                else:
                    opt.step()
                opt.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.update()
            schedule.step()
            gpt.update_router_bias()  # MoE: aux-loss-free balancing from this step's expert load
            step += 1
            steps_since += 1
            tokens_seen += cfg.batch_tokens

            stopping = stop.signum is not None or step == stop_at_step
            if info.enabled:  # every rank must agree to stop at the same step
                flag = torch.tensor([1.0 if stopping else 0.0], device=device)
                stopping = bool(all_reduce_sum(flag, info).item() > 0)
            do_eval = step % cfg.eval_every == 0 or step == cfg.steps
            if step % cfg.log_every == 0 or do_eval or step == cfg.steps or stopping:
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                dt = time.perf_counter() - t_last
                step_times.append(dt / steps_since)
                loss_val = float(all_reduce_mean(loss_acc / steps_since, info))
                tok_s = steps_since * cfg.batch_tokens / dt
                recent = step_times[-20:]
                record = {
                    "step": step,
                    "loss": loss_val,
                    "tok_per_s": tok_s,
                    "lr_mult": schedule.multiplier(step - 1),
                    "grad_norm": float(
                        grad_norm.full_tensor() if hasattr(grad_norm, "full_tensor") else grad_norm
                    )
                    if grad_norm is not None
                    else None,
                    "mfu": mfu(flops_tok, tok_s, peak, info.world_size),
                    "peak_mem_gb": peak_memory_gb(device),
                    "tokens": tokens_seen,
                    "eta_s": (cfg.steps - step) * sum(recent) / len(recent),
                    **gpt.expert_stats(),  # MoE: per-layer load of the last step (empty if dense)
                }
                if do_eval:
                    last_bpb = evaluate()
                    record["val_bpb"] = last_bpb
                if log is not None:
                    log.log(record)
                if bar is not None:
                    post = {"loss": f"{loss_val:.3f}", "tok/s": f"{tok_s:,.0f}"}
                    if record["mfu"] is not None:
                        post["mfu"] = f"{100 * record['mfu']:.1f}%"
                    if last_bpb is not None:
                        post["val_bpb"] = f"{last_bpb:.3f}"
                    bar.set_postfix(post, refresh=False)
                summary["loss"] = loss_val
                loss_acc.zero_()
                steps_since = 0
            if bar is not None:
                bar.update(1)
            if step % cfg.ckpt_every == 0 or step == cfg.steps or stopping:
                checkpoint(step)
            if stopping:
                why = (
                    signal.Signals(stop.signum).name if stop.signum is not None else f"--stop-at-step {step}"
                )
                summary["stopped"] = why
                if info.is_main:
                    print(
                        f"\n[train] {why}: saved {out}/ckpt/latest at step {step}; resume with --resume",
                        file=sys.stderr,
                    )
                break
            if steps_since == 0:
                t_last = time.perf_counter()  # eval/checkpoint time is not training time
    if bar is not None:
        bar.close()
    if log is not None:
        log.close()
    summary.update(step=step, val_bpb=last_bpb, tokens=tokens_seen)
    return summary


class _TokenLosses:
    """Per-token losses through the wrapped module (DDP/FSDP2 hooks run; no grad)."""

    def __init__(self, wrapped: nn.Module) -> None:
        self.wrapped = wrapped

    def token_losses(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.wrapped(x, y, reduction="none")


def _wandb_run(cfg: TrainConfig, run_config: dict[str, Any]):
    if not cfg.wandb:
        return None
    try:
        import wandb
    except ImportError:
        raise ImportError("--wandb was given but wandb is not installed: pip install wandb") from None
    return wandb.init(project=cfg.wandb, name=cfg.run_name or Path(cfg.out).name, config=run_config)
