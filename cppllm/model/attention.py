"""Causal self-attention with grouped-query attention (GQA, arXiv 2305.13245), optional QK-norm.

`n_kv_head` KV heads are shared by `n_head / n_kv_head` query heads each (MHA and MQA are the
extremes). The kernel is `F.scaled_dot_product_attention`: flash/memory-efficient kernels are picked on
CUDA automatically; CPU uses its fused kernel in fp32. No biases.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cppllm.model.config import GPTConfig
from cppllm.model.kv_cache import KVCache
from cppllm.model.norm import RMSNorm
from cppllm.model.rope import apply_rope


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """(B, n_kv, T, D) -> (B, n_kv * n_rep, T, D), each KV head repeated for its query group."""
    if n_rep == 1:
        return x
    b, h, t, d = x.shape
    return x[:, :, None].expand(b, h, n_rep, t, d).reshape(b, h * n_rep, t, d)


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig, layer_idx: int) -> None:
        super().__init__()
        self.layer_idx = layer_idx
        self.n_head, self.n_kv_head, self.head_dim = config.n_head, config.n_kv_head, config.head_dim
        self.q_proj = nn.Linear(config.n_embd, config.q_dim, bias=False)
        self.k_proj = nn.Linear(config.n_embd, config.kv_dim, bias=False)
        self.v_proj = nn.Linear(config.n_embd, config.kv_dim, bias=False)
        self.o_proj = nn.Linear(config.q_dim, config.n_embd, bias=False)
        self.q_norm = RMSNorm(config.head_dim, config.norm_eps) if config.qk_norm else None
        self.k_norm = RMSNorm(config.head_dim, config.norm_eps) if config.qk_norm else None

    def forward(
        self,
        x: torch.Tensor,  # (B, T, C)
        cos: torch.Tensor,
        sin: torch.Tensor,
        cache: KVCache | None = None,
        mask: torch.Tensor | None = None,  # (B, 1, T, Tk) bool, None = causal
    ) -> torch.Tensor:
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.n_head, self.head_dim)
        k = self.k_proj(x).view(b, t, self.n_kv_head, self.head_dim)
        v = self.v_proj(x).view(b, t, self.n_kv_head, self.head_dim)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # (B, H, T, D)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            k, v = cache.update(self.layer_idx, k, v)
            k, v = k.to(q.dtype), v.to(q.dtype)
        n_rep = self.n_head // self.n_kv_head
        # Expanding KV heads is cheaper than SDPA's enable_gqa on CPU, whose fused kernel lacks GQA.
        k, v = repeat_kv(k, n_rep), repeat_kv(v, n_rep)
        if mask is None:
            # Causal with queries aligned to the *last* keys (t == Tk in training; t == 1 when decoding).
            y = F.scaled_dot_product_attention(q, k, v, is_causal=t > 1)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.o_proj(y.transpose(1, 2).reshape(b, t, self.n_head * self.head_dim))
