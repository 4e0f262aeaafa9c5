"""Back-of-the-envelope sizes for a config: parameters, FLOPs, KV cache and training memory.

Training memory = weights + gradients + optimizer state + activations:
- fp32 master weights and fp32 gradients (4 + 4 bytes per parameter);
- optimizer state: Muon keeps one momentum buffer for hidden matrices (4 B), AdamW two moments for
  embeddings, head and norms (8 B); `--optimizer adamw` counts 8 B for everything;
- activations saved for backward per token and layer (in the autocast dtype): the block inputs to both
  norms and the 4 projections' inputs (~4 C), q/k/v/out of flash attention (2 q_dim + 2 kv_dim) and the
  SwiGLU intermediates (gate, up, silu(gate), product: 4 H), plus the residual stream in fp32;
- logits: the trainer's chunked loss holds one chunk (`--loss-chunk` rows, 4096 on a GPU) of logits at a
  time, in the dtype and as the fp32 copy the softmax uses, never the whole micro-batch.
These are estimates (no allocator fragmentation, no CUDA context, no activation checkpointing).
"""

from __future__ import annotations

from cppllm.model.config import GPTConfig
from cppllm.model.gpt import count_params, flops_per_token

DTYPE_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2}
LOSS_CHUNK_ROWS = 4096  # the trainer's `--loss-chunk` on a GPU


def kv_cache_bytes_per_token(cfg: GPTConfig, dtype: str = "bf16") -> int:
    return 2 * cfg.n_layer * cfg.n_kv_head * cfg.head_dim * DTYPE_BYTES[dtype]


def activation_bytes_per_token(cfg: GPTConfig, dtype: str = "bf16") -> int:
    """Bytes the transformer blocks save for the backward, per token (the logits are counted apart)."""
    b = DTYPE_BYTES[dtype]
    per_layer = b * (4 * cfg.n_embd + 2 * cfg.q_dim + 2 * cfg.kv_dim + 4 * cfg.mlp_hidden) + 4 * cfg.n_embd
    return cfg.n_layer * per_layer


def training_memory(
    cfg: GPTConfig,
    batch_tokens: int,
    dtype: str = "bf16",
    optimizer: str = "muon",
    loss_chunk: int = LOSS_CHUNK_ROWS,
) -> dict[str, int]:
    """Bytes needed to train `cfg` on `batch_tokens` tokens per micro-batch."""
    counts = count_params(cfg)
    n = counts["total"]
    matrices = cfg.n_layer * cfg.n_embd * (2 * cfg.q_dim + 2 * cfg.kv_dim + 3 * cfg.mlp_hidden)
    if optimizer == "muon":
        opt = 4 * matrices + 8 * (n - matrices)
    elif optimizer == "adamw":
        opt = 8 * n
    else:
        raise ValueError(f"optimizer must be muon or adamw, got {optimizer!r}")
    mem = {
        "weights": 4 * n,
        "grads": 4 * n,
        "optimizer": opt,
        "activations": batch_tokens * activation_bytes_per_token(cfg, dtype),
        "logits": min(batch_tokens, loss_chunk) * cfg.vocab_size * (DTYPE_BYTES[dtype] + 4),
    }
    mem["total"] = sum(mem.values())
    return mem


def summary(
    cfg: GPTConfig,
    batch_tokens: int,
    dtype: str = "bf16",
    optimizer: str = "muon",
    loss_chunk: int = LOSS_CHUNK_ROWS,
) -> dict[str, int]:
    counts = count_params(cfg)
    return {
        "params_total": counts["total"],
        "params_non_embedding": counts["non_embedding"],
        "flops_per_token": flops_per_token(cfg, cfg.max_seq_len),
        "kv_cache_bytes_per_token": kv_cache_bytes_per_token(cfg, dtype),
        **{
            f"train_mem_{k}": v
            for k, v in training_memory(cfg, batch_tokens, dtype, optimizer, loss_chunk).items()
        },
    }
