"""Causal self-attention with grouped-query attention (GQA, arXiv 2305.13245), optional QK-norm.

`n_kv_head` KV heads are shared by `n_head / n_kv_head` query heads each (MHA and MQA are the
extremes). The kernel is `F.scaled_dot_product_attention` with `enable_gqa` (no repeated KV copies):
flash/memory-efficient kernels are picked on CUDA automatically; CPU uses its fused kernel in fp32.
No biases.

The q/k/v projections stay three parameters (state-dict keys, export and Muon's per-matrix updates are
unchanged) but run as one matmul on their concatenated weights: the input is read once, and the backward
produces one input gradient instead of summing three. Queries and keys are rotated together, in the
(B, T, heads, D) layout the projection produces; SDPA takes transposed views, so nothing is copied.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cppllm.model.config import GPTConfig
from cppllm.model.kv_cache import KVCache
from cppllm.model.norm import RMSNorm
from cppllm.model.rope import apply_rope


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
        self.cp = None  # a ContextParallel: keys/values gathered over its ranks (GPT.enable_context_parallel)

    def forward(
        self,
        x: torch.Tensor,  # (B, T, C)
        cos: torch.Tensor,
        sin: torch.Tensor,
        cache: KVCache | None = None,
        mask: torch.Tensor | None = None,  # (B, 1, T, Tk) bool, None = causal
    ) -> torch.Tensor:
        # cos/sin: (T, 1, D) or (B, T, 1, D), broadcasting over heads in the (B, T, heads, D) layout
        b, t, _ = x.shape
        h, hk = self.n_head, self.n_kv_head
        w = torch.cat((self.q_proj.weight, self.k_proj.weight, self.v_proj.weight))
        qkv = F.linear(x, w).view(b, t, h + 2 * hk, self.head_dim)
        # split (not slicing): its backward is one concatenation, not zero-filled buffers per slice
        if self.q_norm is None:
            qk, v = qkv.split((h + hk, hk), dim=2)
            q, k = apply_rope(qk, cos, sin).split((h, hk), dim=2)  # queries and keys in one pass
        else:
            q, k, v = qkv.split((h, hk, hk), dim=2)
            q, k = apply_rope(self.q_norm(q), cos, sin), apply_rope(self.k_norm(k), cos, sin)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # (B, H, T, D) views
        if cache is not None:
            k, v = cache.update(self.layer_idx, k, v)
            k, v = k.to(q.dtype), v.to(q.dtype)
        if self.cp is not None:  # the whole sequence's keys/values; `mask` is the context-parallel one
            k, v = self.cp.gather(k, 2), self.cp.gather(v, 2)
        gqa = h != hk
        if mask is None:
            # Causal with queries aligned to the *last* keys (t == Tk in training; t == 1 when decoding).
            y = F.scaled_dot_product_attention(q, k, v, is_causal=t > 1, enable_gqa=gqa)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=gqa)
        return self.o_proj(y.transpose(1, 2).reshape(b, t, h * self.head_dim))
