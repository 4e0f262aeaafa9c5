"""The training loop: data -> GPT -> memory-lean loss -> Muon + AdamW, on one device or under torchrun.

One optimizer step = `grad_accum` micro-batches per rank x `world_size` ranks = `batch_tokens` tokens.
Gradients are synchronised only on the last micro-batch (DDP `no_sync`, FSDP2
`set_requires_gradient_sync`), clipped by global norm, then Muon steps the hidden matrices and AdamW the
rest, with the WSD schedule. A SIGTERM/SIGUSR1 (Slurm preemption) finishes the current step, saves a
checkpoint and returns; `resume` continues bit-exactly on CPU in fp32.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import signal
import sys
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cppllm.atomic import write_text
from cppllm.device import pick_device
from cppllm.loss import bpb_sums, lm_loss, resolve_loss_impl, token_logprobs, token_nats
from cppllm.model.checkpoint import load_checkpoint_model
from cppllm.model.config import GPTConfig
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
from cppllm.train.context_parallel import SequenceSplit, check_context_parallel
from cppllm.train.data import MixtureLoader, parse_data_spec, val_split_warning
from cppllm.train.distributed import (
    DistInfo,
    all_reduce_mean,
    all_reduce_sum,
    init_distributed,
    shutdown_distributed,
    wrap_model,
)
from cppllm.train.metrics import MetricsLog, mfu, peak_flops, peak_memory_gb
from cppllm.train.muon import build_optimizers
from cppllm.train.schedule import WSDSchedule
from cppllm.train.stages import find_parent, load_parent_weights, run_model_config


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
            return token_nats(h, w, y, chunk_size=self.chunk)
        if reduction == "policy":  # RL: (log-probs of y with grad, entropy), (B, T) each
            return token_logprobs(h, w, y)
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


def _tokenizer_path(cfg: TrainConfig) -> Path:
    """--tokenizer, else the data folder's tokenizer/ (pretrain, lcft), else the parent run's tokenizer."""
    if cfg.tokenizer:
        return Path(cfg.tokenizer)
    if cfg.stage not in ("sft", "rl"):
        for s in parse_data_spec(cfg.data, "train"):
            if s.tokenizer_dir is not None:
                return s.tokenizer_dir
    if cfg.init_from:
        path = find_parent(cfg.init_from).tokenizer_path
        if path is not None:
            return path
    raise FileNotFoundError(
        f"no tokenizer: --data {cfg.data!r} is not a pipeline output folder with tokenizer/ "
        "(and no --init-from run names one); pass --tokenizer"
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
            rank=info.dp_rank,  # a context-parallel group reads one batch
            world_size=info.dp_size,
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
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    for key in RESUME_MUST_MATCH:
        if old.get(key, defaults[key]) != getattr(cfg, key):
            raise ValueError(
                f"--resume: {key} was {old.get(key, defaults[key])!r} in the checkpoint, now "
                f"{getattr(cfg, key)!r}; rerun with the checkpoint's settings (see its config.json)"
            )
    if GPTConfig.from_dict(saved["model"]) != model_cfg:
        raise ValueError("--resume: the model config differs from the checkpoint's (preset or vocabulary)")


def _build_loaders(cfg: TrainConfig, tok: CppTokenizer, info: DistInfo):
    """(train loader, val loader or None, data entries for config.json) of the run's stage."""
    if cfg.stage == "sft":
        from cppllm.train.chat_data import build_chat_loaders

        loader, val, chats = build_chat_loaders(cfg, tok, rank=info.dp_rank, world_size=info.dp_size)
        return loader, val, {"data": {}, "chats": chats}
    sources = parse_data_spec(cfg.data, "train")
    loader = MixtureLoader(
        sources,
        cfg.micro_batch,
        cfg.seq_len,
        rank=info.dp_rank,  # a context-parallel group reads one batch
        world_size=info.dp_size,
        seed=cfg.seed,
        bos_aligned=cfg.bos_aligned,
        tokenizer_hash=tok.hash(),
    )
    if info.is_main and (val_warning := val_split_warning(sources, cfg.eval_every)):
        warnings.warn(val_warning, stacklevel=1)
    described = {s.name: {"prefix": str(s.prefix), "weight": s.weight} for s in sources}
    return loader, _val_loader(sources, cfg, info, tok.hash()), {"data": described}


def train(cfg: TrainConfig, *, resume: str | None = None, stop_at_step: int | None = None) -> dict[str, Any]:
    """Run (or resume) training; returns a summary. `resume`: a checkpoint path, 'latest' or 'auto'."""
    info, device_name = init_distributed(cfg.device, cfg.context_parallel)
    try:
        return Trainer(cfg, info, device_name, resume=resume).fit(stop_at_step=stop_at_step)
    finally:
        shutdown_distributed()


class Trainer:
    """One training run: built in `__init__` (setup), then `step` / `evaluate` / `save`, driven by `fit`.

    The stages (pretrain, lcft, sft) differ only in the model config and weights they start from and in
    their data (`_build_loaders`); a later loop (RL) reuses `step` with its own batches.
    """

    def __init__(self, cfg: TrainConfig, info: DistInfo, device_name: str, *, resume: str | None = None):
        self.info = info
        self.dev = pick_device(device_name)
        self.device = device = self.dev.device
        self.out = Path(cfg.out)
        self.parent = parent = find_parent(cfg.init_from) if cfg.init_from else None
        tok_path = _tokenizer_path(cfg)
        self.tok = tok = CppTokenizer.load(tok_path)
        # resolved like every other field, so eval, chat and child stages find the tokenizer
        preset = cfg.preset or (parent.preset if parent is not None else None) or "tiny"
        cfg = dataclasses.replace(cfg, tokenizer=str(tok_path.resolve()), preset=preset)
        self.model_cfg = model_cfg = run_model_config(cfg, tok, parent)
        self.cfg = cfg = cfg.resolve(
            n_params=count_params(model_cfg)["total"],
            n_embd=model_cfg.n_embd,
            max_seq_len=model_cfg.max_seq_len,
            world_size=info.dp_size,  # the batch splits over data-parallel ranks (= ranks without CP)
            tied=model_cfg.tie_embeddings,
            device_type=device.type,
        )
        self.accum = cfg.grad_accum(info.dp_size)
        self.cp_notes = check_context_parallel(cfg, info, model_cfg) if cfg.context_parallel > 1 else []

        self.ckpt = ckpt = self._find_resume(resume)
        saved_cfg, trainer_state = load_trainer_files(ckpt) if ckpt is not None else (None, None)
        if saved_cfg is not None:
            _check_resume(saved_cfg, cfg, model_cfg)
            gpt = load_checkpoint_model(ckpt).train()
        else:
            gpt = GPT(model_cfg, init=parent is None)
            if parent is not None:
                load_parent_weights(gpt, parent)
        self.gpt = gpt.to(device)
        self.seq_split = None  # --context-parallel: this rank's part of every sequence
        if cfg.context_parallel > 1:
            self.seq_split = SequenceSplit(info)
            gpt.enable_context_parallel(self.seq_split.cp)
        self.loader, self.val_loader, data_entries = self._build_loaders(cfg, tok, info)
        self.val_start = self.val_loader.state_dict() if self.val_loader is not None else None
        self.token_bytes = tok.token_bytes()
        self._setup_parallel_and_optimizers()
        self.step_no, self.tokens_seen = 0, 0
        if trainer_state is not None:
            self._restore(ckpt, trainer_state)
        self.flops_tok = gpt.flops_per_token(cfg.seq_len)
        self.peak = cfg.peak_flops or peak_flops(device)
        self.run_config = {
            "train": cfg.to_dict(),
            "model": model_cfg.to_dict(),
            "parent": parent.lineage() if parent is not None else None,
            "world_size": info.world_size,
            "context_parallel": {"size": cfg.context_parallel, "data_parallel": info.dp_size}
            | ({"approximations": self.cp_notes} if self.cp_notes else {}),
            "grad_accum": self.accum,
            "tokenizer_hash": tok.hash(),
            "tokenizer_vocab_size": tok.vocab_size,
            **data_entries,
            "device": str(device),
            "loss_impl": self.loss_impl,
            "flops_per_token": self.flops_tok,
            "num_params": count_params(model_cfg)["total"],
        }
        self.log = None
        if info.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            write_text(self.out / "config.json", json.dumps(self.run_config, indent=2, sort_keys=True))
            self.log = MetricsLog(
                self.out / "metrics.jsonl",
                resume_step=self.step_no if ckpt is not None else None,
                wandb_run=_wandb_run(cfg, self.run_config),
            )

    def _setup_parallel_and_optimizers(self) -> None:
        """Loss module, compile, DDP/FSDP2 wrapping, Muon + AdamW, the WSD schedule, the fp16 scaler."""
        cfg, gpt = self.cfg, self.gpt
        self.loss_impl = resolve_loss_impl(cfg.loss, self.device.type)
        self.module = TrainModule(gpt, loss_impl=self.loss_impl, chunk=cfg.loss_chunk)
        if cfg.compile:
            for block in gpt.blocks:
                block.compile()
        self.wrapped = wrap_model(self.module, gpt.blocks, self.info, fsdp=cfg.fsdp, device=self.device)
        self.optimizers = build_optimizers(
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
        self.schedule = WSDSchedule(
            self.optimizers,
            total_steps=cfg.steps,
            warmup_steps=cfg.warmup_steps,
            decay_steps=cfg.decay_steps,
            final_frac=cfg.final_lr_frac,
        )
        self.scaler = torch.amp.GradScaler("cuda") if self.dev.autocast_dtype == torch.float16 else None
        self.params = [p for p in self.wrapped.parameters() if p.requires_grad]

    def _restore(self, ckpt: Path, trainer_state: dict[str, Any]) -> None:
        """Optimizer, schedule, loader position, step, tokens and RNG of a checkpoint (`--resume`)."""
        load_optimizer_state(self.module, self.optimizers, ckpt)
        self.schedule.load_state_dict(trainer_state["schedule"])
        self.loader.load_state_dict(trainer_state["loader"])
        self.step_no, self.tokens_seen = int(trainer_state["step"]), int(trainer_state["tokens_seen"])
        rngs = trainer_state["rng"]
        if len(rngs) == self.info.world_size:
            set_rng_state(rngs[self.info.rank])

    def _find_resume(self, resume: str | None) -> Path | None:
        if resume is None:
            return None
        where = self.out if resume in ("latest", "auto") else resume
        ckpt = find_checkpoint(where)
        if ckpt is None and resume != "auto":
            raise FileNotFoundError(f"--resume {resume}: no checkpoint under {where}")
        return ckpt

    def autocast(self):
        if self.dev.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dev.autocast_dtype)

    # ----- one optimizer step -----
    def _build_loaders(self, cfg: TrainConfig, tok: CppTokenizer, info: DistInfo):
        """(train loader with state_dict/load_state_dict, val loader or None, config.json entries)."""
        return _build_loaders(cfg, tok, info)

    def micro_loss(self, batch: Any, n_micro: int) -> torch.Tensor:
        """One micro-batch's share of the step's loss (the LM loss; the RL stage overrides it)."""
        x, y = (t.to(self.device, non_blocking=True) for t in batch)
        if self.seq_split is not None:
            return self.seq_split.loss(self.wrapped, x, y) / n_micro
        return self.wrapped(x, y) / n_micro

    def step(self, micro_batches: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, Any]:
        """Forward/backward over the micro-batches (targets -1 are not scored), then one optimizer and
        schedule step. Returns (the mean loss per scored target of this rank's micro-batches; grad norm).

        Each micro-batch's mean loss is weighted by its share of this rank's scored targets, so a
        micro-batch with few assistant tokens (SFT) counts for few; with every target scored (pretrain)
        that is 1 / accumulation steps. Ranks are averaged by DDP/FSDP as usual.
        """
        micro_batches = list(micro_batches)
        n = len(micro_batches)
        full, counts, total = True, [], 0
        if micro_batches and not isinstance(micro_batches[0], dict):  # dict batches: the RL stage's own
            counts = [int((y != -1).sum()) for _, y in micro_batches]
            total = sum(counts)
            full = all(c == y.numel() for c, (_, y) in zip(counts, micro_batches, strict=True))
        cfg, wrapped, scaler = self.cfg, self.wrapped, self.scaler
        self.schedule.apply()
        loss_sum = torch.zeros((), device=self.device)
        positions = 0
        for micro, batch in enumerate(micro_batches):
            positions += (batch["x"] if isinstance(batch, dict) else batch[0]).numel()
            last = micro == n - 1
            sync_ctx = contextlib.nullcontext()
            if cfg.fsdp:
                wrapped.set_requires_gradient_sync(last)
            elif self.info.enabled and not last:
                sync_ctx = wrapped.no_sync()
            with sync_ctx:
                with self.autocast():
                    loss = self.micro_loss(batch, n)
                    if not full:  # weight by the micro-batch's share of scored targets, not 1 / n
                        loss = loss * (n * counts[micro] / max(1, total))
                (scaler.scale(loss) if scaler else loss).backward()
            loss_sum += loss.detach()
        if scaler is not None:
            for opt in self.optimizers:
                scaler.unscale_(opt)
        grad_norm = None
        if cfg.grad_clip > 0:
            grad_norm = torch.nn.utils.clip_grad_norm_(self.params, cfg.grad_clip)
        for opt in self.optimizers:
            if scaler is not None:
                scaler.step(opt)
            else:
                opt.step()
            opt.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.update()
        self.schedule.step()
        self.gpt.update_router_bias()  # MoE: aux-loss-free balancing from this step's expert load
        self.step_no += 1
        # = batch_tokens for fixed-width rows; SFT rows are cut to their longest chat (this rank's x ranks)
        self.tokens_seen += positions * self.info.dp_size
        return loss_sum, grad_norm

    # ----- validation -----
    def evaluate(self) -> float | None:
        """Val bits per byte over `val_tokens` (collective); None without a val split."""
        cfg, info, val_loader = self.cfg, self.info, self.val_loader
        if val_loader is None:
            return None
        val_loader.load_state_dict(self.val_start)
        per_batch = cfg.micro_batch * info.dp_size
        n = max(1, min(cfg.val_tokens // (per_batch * cfg.seq_len), val_loader.num_rows // per_batch))
        batches = (val_loader.next_batch() for _ in range(n))
        if self.seq_split is not None:  # each rank scores its shard; the sums below count every token once
            batches = self.seq_split.shard_batches(batches)
        self.wrapped.eval()
        with self.autocast():
            nats, nbytes = bpb_sums(_TokenLosses(self.wrapped), batches, self.token_bytes, self.device)
        self.wrapped.train()
        sums = all_reduce_sum(
            torch.tensor([nats, float(nbytes)], dtype=torch.float64, device=self.device), info
        )
        return float(sums[0] / (math.log(2) * sums[1])) if sums[1] > 0 else None

    # ----- checkpoint -----
    def save(self) -> None:
        """A complete checkpoint of the current step (collective)."""
        save_train_checkpoint(
            self.out,
            step=self.step_no,
            module=self.module,
            model_prefix="gpt.",
            optimizers=self.optimizers,
            config={**self.run_config, "tokens_seen": self.tokens_seen},
            trainer_state={
                "schedule": self.schedule.state_dict(),
                "loader": self.loader.state_dict(),
                "tokens_seen": self.tokens_seen,
            },
            keep=self.cfg.keep_ckpts,
            tie_embeddings=self.model_cfg.tie_embeddings,
        )

    # ----- the loop -----
    def fit(self, *, stop_at_step: int | None = None) -> dict[str, Any]:
        """Train to `cfg.steps` (or `stop_at_step`, or a SIGTERM/SIGUSR1), logging, evaluating and saving."""
        cfg, info, log = self.cfg, self.info, self.log
        summary: dict[str, Any] = {
            "out": str(self.out),
            "steps": cfg.steps,
            "start_step": self.step_no,
            "stopped": None,
        }
        bar = None
        if info.is_main and cfg.progress:
            from tqdm import tqdm

            bar = tqdm(
                total=cfg.steps,
                initial=self.step_no,
                desc=f"{cfg.stage} {cfg.preset}",
                unit="step",
                dynamic_ncols=True,
            )
        if info.is_main:
            print(
                f"[train] {cfg.stage} {cfg.preset}: {self.run_config['num_params'] / 1e6:.2f}M params, "
                f"{cfg.steps} steps x {cfg.batch_tokens} tokens ({cfg.micro_batch} x {cfg.seq_len} x "
                f"{self.accum} accum x {info.dp_size} ranks"
                + (f", each sequence over {cfg.context_parallel} ranks" if self.seq_split else "")
                + f"), {cfg.optimizer} + adamw, "
                f"loss={self.loss_impl}, device={self.device}, out={self.out}"
                + (f", from {self.parent.ckpt}" if self.parent is not None else ""),
                file=sys.stderr,
            )
        if self.step_no == 0 and self.ckpt is None:  # the curve starts at the untrained model (collective)
            bpb0 = self.evaluate()
            if log is not None and bpb0 is not None:
                log.log({"step": 0, "loss": None, "tok_per_s": None, "val_bpb": bpb0, "tokens": 0})
        last_bpb = None
        loss_acc = torch.zeros((), device=self.device)
        steps_since, t_last, tokens_last = 0, time.perf_counter(), self.tokens_seen
        step_times: list[float] = []
        with _StopSignal() as stop:
            while self.step_no < cfg.steps:
                loss, grad_norm = self.step(self.loader.next_batch() for _ in range(self.accum))
                loss_acc += loss
                step = self.step_no
                steps_since += 1
                stopping = stop.signum is not None or step == stop_at_step
                if info.enabled:  # every rank must agree to stop at the same step
                    flag = torch.tensor([1.0 if stopping else 0.0], device=self.device)
                    stopping = bool(all_reduce_sum(flag, info).item() > 0)
                do_eval = step % cfg.eval_every == 0 or step == cfg.steps
                if step % cfg.log_every == 0 or do_eval or step == cfg.steps or stopping:
                    if self.device.type == "cuda":
                        torch.cuda.synchronize(self.device)
                    dt = time.perf_counter() - t_last
                    step_times.append(dt / steps_since)
                    loss_val = float(all_reduce_mean(loss_acc / steps_since, info))
                    tok_s = (self.tokens_seen - tokens_last) / dt
                    recent = step_times[-20:]
                    record = {
                        "step": step,
                        "loss": loss_val,
                        "tok_per_s": tok_s,
                        "lr_mult": self.schedule.multiplier(step - 1),
                        "grad_norm": _grad_norm_value(grad_norm),
                        "mfu": mfu(self.flops_tok, tok_s, self.peak, info.world_size),
                        "peak_mem_gb": peak_memory_gb(self.device),
                        "tokens": self.tokens_seen,
                        "eta_s": (cfg.steps - step) * sum(recent) / len(recent),
                        **self.gpt.expert_stats(),  # MoE: per-layer load of the last step (empty if dense)
                        **getattr(self.loader, "metrics", dict)(),
                    }
                    if do_eval:
                        last_bpb = self.evaluate()
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
                    self.save()
                if stopping:
                    why = (
                        signal.Signals(stop.signum).name
                        if stop.signum is not None
                        else f"--stop-at-step {step}"
                    )
                    summary["stopped"] = why
                    if info.is_main:
                        print(
                            f"\n[train] {why}: saved {self.out}/ckpt/latest at step {step}; resume with --resume",
                            file=sys.stderr,
                        )
                    break
                if steps_since == 0:
                    t_last = time.perf_counter()  # eval/checkpoint time is not training time
                    tokens_last = self.tokens_seen
        if bar is not None:
            bar.close()
        if log is not None:
            log.close()
        summary.update(step=self.step_no, val_bpb=last_bpb, tokens=self.tokens_seen)
        return summary


def _grad_norm_value(grad_norm: Any) -> float | None:
    if grad_norm is None:
        return None
    return float(grad_norm.full_tensor() if hasattr(grad_norm, "full_tensor") else grad_norm)


class _TokenLosses:
    """Per-token nats through the wrapped module (DDP/FSDP2 hooks run; no grad): a `cppllm.loss.Scorer`."""

    def __init__(self, wrapped: nn.Module) -> None:
        self.wrapped = wrapped

    def token_nats(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.wrapped(x, y, reduction="none")


def _wandb_run(cfg: TrainConfig, run_config: dict[str, Any]):
    if not cfg.wandb:
        return None
    try:
        import wandb
    except ImportError:
        raise ImportError("--wandb was given but wandb is not installed: pip install wandb") from None
    return wandb.init(project=cfg.wandb, name=cfg.run_name or Path(cfg.out).name, config=run_config)
