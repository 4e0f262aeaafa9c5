"""Training configuration: one frozen dataclass, every default derived from the model preset.

`TrainConfig` holds what the user asked for (None = derive); `resolve(...)` fills the rest from the preset,
the parameter count and the world size, so the JSON saved next to every checkpoint is fully explicit.
Token budget: Chinchilla's ~20 tokens per parameter (Hoffmann et al., arXiv 2203.15556) unless `tokens` or
`steps` is given. Optimizer defaults follow nanochat (Muon LR 0.02; AdamW LRs scaled by (d/768)^-0.5).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from cppllm.model.config import from_known_fields

# Per-preset defaults: global batch in tokens and rows per device per micro-step.
PRESET_DEFAULTS: dict[str, dict[str, int]] = {
    "tiny": dict(batch_tokens=16 * 256, micro_batch=16),
    "d12": dict(batch_tokens=2**19, micro_batch=32),
    "d20": dict(batch_tokens=2**19, micro_batch=32),
    "d26": dict(batch_tokens=2**19, micro_batch=16),
    "d32": dict(batch_tokens=2**19, micro_batch=8),
    "3b": dict(batch_tokens=2**21, micro_batch=4),
    "moe-tiny": dict(batch_tokens=16 * 256, micro_batch=16),
    "moe-12b": dict(batch_tokens=2**21, micro_batch=2),
}
TOKENS_PER_PARAM = 20


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """A training run. Fields left None are derived by `resolve`."""

    stage: str = "pretrain"  # pretrain | lcft | sft | rl (cppllm.train.stages)
    init_from: str | None = None  # parent checkpoint: its weights, a fresh optimizer and schedule
    rope_scaling: str | None = None  # lcft: "yarn" extends the parent's context to seq_len by YaRN
    preset: str | None = "tiny"  # None: the --init-from parent's (tiny without one)
    model_overrides: dict[str, Any] = field(default_factory=dict)  # GPTConfig fields changed from the preset
    data: str = ""
    tasks: str | None = None  # rl: task sets 'complete:DIR,exercises:DIR,bugfix:DIR' (cppllm.train.rl)
    val_data: str | None = None  # sft: held-out chats (default: a hashed share of --data's conversations)
    tokenizer: str | None = None
    out: str = "runs/default"
    seq_len: int | None = None
    batch_tokens: int | None = None  # global batch, all ranks and accumulation steps together
    micro_batch: int | None = None  # rows per device per forward/backward
    tokens: int | None = None
    steps: int | None = None
    optimizer: str = "muon"  # muon | adamw (for the hidden matrices)
    matrix_lr: float | None = None
    embed_lr: float | None = None
    head_lr: float | None = None
    scalar_lr: float | None = None
    weight_decay: float = 0.0
    muon_momentum: float = 0.95
    adam_beta1: float = 0.8
    adam_beta2: float = 0.95
    grad_clip: float = 1.0  # 0: off
    warmup_frac: float = 0.01
    decay_frac: float = 0.2
    final_lr_frac: float = 0.0
    loss: str = "auto"  # auto | chunked | cce | plain
    loss_chunk: int | None = None  # rows of logits per chunk; None: 256 on CPU (cache-sized), 4096 on GPU
    compile: bool = False
    fsdp: bool = False
    context_parallel: int = 1  # ranks sharing each sequence (cppllm.train.context_parallel); 1: off
    device: str = "auto"
    seed: int = 0
    bos_aligned: bool = True
    vocab_multiple: int = 64  # model vocab = tokenizer vocab rounded up (fast matmul shapes)
    eval_every: int | None = None
    val_tokens: int | None = None
    ckpt_every: int | None = None
    keep_ckpts: int = 2
    log_every: int | None = None
    wandb: str | None = None  # project name; None = off
    run_name: str | None = None
    peak_flops: float | None = None  # per device; None = look up the device
    progress: bool = True

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        return from_known_fields(cls, d)

    def resolve(
        self,
        *,
        n_params: int,
        n_embd: int,
        max_seq_len: int,
        world_size: int,
        tied: bool = False,
        device_type: str = "cpu",
    ) -> TrainConfig:
        """Every None filled in: batch, accumulation, token budget, steps, LRs, eval/ckpt/log cadence.

        A tied embedding is also the LM head, so it takes the head's LR (the embedding's 0.2 diverges).
        """
        pd = PRESET_DEFAULTS.get(self.preset, PRESET_DEFAULTS["d12"])
        seq = self.seq_len or max_seq_len
        if seq > max_seq_len:
            raise ValueError(f"--seq-len {seq} > the model's max_seq_len {max_seq_len}")
        batch_tokens = self.batch_tokens or pd["batch_tokens"]
        if batch_tokens % seq:
            raise ValueError(f"--batch-tokens {batch_tokens} is not a multiple of --seq-len {seq}")
        rows = batch_tokens // seq  # global rows per optimizer step
        if rows % world_size:
            raise ValueError(f"global batch of {rows} rows does not split over {world_size} ranks")
        micro = self.micro_batch or min(pd["micro_batch"], rows // world_size)
        while (rows // world_size) % micro:  # largest micro batch <= the default that divides evenly
            micro -= 1
        if self.micro_batch and (rows // world_size) % self.micro_batch:
            raise ValueError(
                f"--micro-batch {self.micro_batch} does not divide the {rows // world_size} rows per rank "
                f"({batch_tokens} tokens / {seq} / {world_size} ranks)"
            )
        if self.steps:
            steps = self.steps
            tokens = steps * batch_tokens
        else:
            tokens = self.tokens or TOKENS_PER_PARAM * n_params
            steps = max(1, math.ceil(tokens / batch_tokens))
        scale = (n_embd / 768) ** -0.5
        warmup = round(self.warmup_frac * steps)
        decay = round(self.decay_frac * steps)
        eval_every = self.eval_every or max(1, min(250, steps // 10))
        return dataclasses.replace(
            self,
            seq_len=seq,
            batch_tokens=batch_tokens,
            micro_batch=micro,
            tokens=tokens,
            steps=steps,
            matrix_lr=self.matrix_lr
            if self.matrix_lr is not None
            else (0.02 if self.optimizer == "muon" else 3e-3),
            embed_lr=self.embed_lr if self.embed_lr is not None else (0.004 if tied else 0.2) * scale,
            head_lr=self.head_lr if self.head_lr is not None else 0.004 * scale,
            scalar_lr=self.scalar_lr if self.scalar_lr is not None else 0.004 * scale,
            warmup_frac=warmup / steps,
            decay_frac=decay / steps,
            eval_every=eval_every,
            val_tokens=self.val_tokens or min(8 * batch_tokens, 10 * 2**20),
            ckpt_every=self.ckpt_every or max(1, min(1000, steps // 4)),
            loss_chunk=self.loss_chunk or (256 if device_type == "cpu" else 4096),
            log_every=self.log_every or max(1, min(10, steps // 100)),
        )

    # derived values (valid after resolve)
    def grad_accum(self, world_size: int) -> int:
        return self.batch_tokens // self.seq_len // world_size // self.micro_batch

    @property
    def warmup_steps(self) -> int:
        return round(self.warmup_frac * self.steps)

    @property
    def decay_steps(self) -> int:
        return round(self.decay_frac * self.steps)


# Fields that must match when resuming (changing them would not continue the same run).
RESUME_MUST_MATCH = (
    "stage",
    "init_from",
    "preset",
    "seq_len",
    "batch_tokens",
    "optimizer",
    "seed",
    "bos_aligned",
    "vocab_multiple",
)
