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
- MLA layers save q, k (H x (nope + rope)), v and the output (H x v_head_dim) and the latents; MoE layers
  save the k gathered token copies, each routed and shared expert's SwiGLU intermediates and the fp32
  router scores. Every parameter (all experts) is held on every rank: no expert parallelism.
These are estimates (no allocator fragmentation, no CUDA context, no activation checkpointing).
"""

from __future__ import annotations

from cppllm.model.config import GPTConfig
from cppllm.model.gpt import count_params, flops_per_token

DTYPE_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2}
LOSS_CHUNK_ROWS = 4096  # the trainer's `--loss-chunk` on a GPU


def gqa_kv_cache_bytes_per_token(cfg: GPTConfig, dtype: str = "bf16") -> int:
    """K and V of `n_kv_head` heads x `head_dim` per layer: the cache of the config's GQA attention."""
    return 2 * cfg.n_layer * cfg.n_kv_head * cfg.head_dim * DTYPE_BYTES[dtype]


def kv_cache_bytes_per_token(cfg: GPTConfig, dtype: str = "bf16") -> int:
    """What the KV cache holds per token: GQA's K and V, or MLA's latent + decoupled RoPE key."""
    if cfg.attention == "mla":
        return cfg.n_layer * (cfg.kv_lora_rank + cfg.qk_rope_head_dim) * DTYPE_BYTES[dtype]
    return gqa_kv_cache_bytes_per_token(cfg, dtype)


def _attention_saved(cfg: GPTConfig) -> int:  # values per token and layer
    if cfg.attention == "mla":
        dqk = cfg.qk_nope_head_dim + cfg.qk_rope_head_dim
        latents = cfg.kv_lora_rank + cfg.qk_rope_head_dim + (cfg.q_lora_rank or 0)
        return cfg.n_head * (2 * dqk + 2 * cfg.v_head_dim) + latents
    return 2 * cfg.q_dim + 2 * cfg.kv_dim


def _ffn_saved(cfg: GPTConfig, layer_idx: int) -> int:
    if not cfg.layer_is_moe(layer_idx):
        return 4 * cfg.mlp_hidden
    k, s = cfg.n_experts_per_tok, cfg.n_shared_experts
    return 2 * k * cfg.n_embd + 4 * cfg.moe_hidden * (k + s)


def activation_bytes_per_token(cfg: GPTConfig, dtype: str = "bf16") -> int:
    """Bytes the transformer blocks save for the backward, per token (the logits are counted apart)."""
    b = DTYPE_BYTES[dtype]
    total = 0
    for i in range(cfg.n_layer):
        total += b * (4 * cfg.n_embd + _attention_saved(cfg) + _ffn_saved(cfg, i)) + 4 * cfg.n_embd
        if cfg.layer_is_moe(i):
            total += 4 * cfg.n_routed_experts  # fp32 router scores
    return total


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
    embed_head = counts["embedding"] * (1 if cfg.tie_embeddings else 2)
    matrices = n - embed_head - counts["vectors"]  # Muon's: hidden matrices and expert stacks
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
        "params_active": counts["active"],
        "flops_per_token": flops_per_token(cfg, cfg.max_seq_len),
        "kv_cache_bytes_per_token": kv_cache_bytes_per_token(cfg, dtype),
        "kv_cache_bytes_per_token_gqa": gqa_kv_cache_bytes_per_token(cfg, dtype),
        **{
            f"train_mem_{k}": v
            for k, v in training_memory(cfg, batch_tokens, dtype, optimizer, loss_chunk).items()
        },
    }
