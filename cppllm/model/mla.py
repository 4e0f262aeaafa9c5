"""Multi-head Latent Attention (MLA, DeepSeek-V2, arXiv 2405.04434, section 2.1).

Keys and values are compressed jointly into one latent c (width `kv_lora_rank`) per token; per-head keys
and values are up-projections of it. RoPE cannot pass through that compression, so a small *decoupled*
RoPE key (width `qk_rope_head_dim`, one shared by all heads, like MQA) carries the position; each head's
query is [q_nope | q_rope] and its key [W_uk c | k_rope]. The KV cache stores only c and k_rope:
(kv_lora_rank + qk_rope_head_dim) values per token and layer, instead of 2 x n_kv_head x head_dim.

Two equal ways to attend:
- naive (training, prefill without a cache): up-project c to per-head k_nope and v, run SDPA;
- absorbed (decoding from the cache): q_nope . (W_uk c) = (W_uk^T q_nope) . c, so queries move into the
  latent space and attention runs directly over the cached [c | k_rope] as one shared KV head; the output
  latent is projected by W_uv afterwards. Nothing per-head is ever materialised for the cached tokens.
The query may be low-rank too (`q_lora_rank`, V2/V3) or full-rank (V2-Lite). The latents are RMS-normalised
(eps 1e-6, as DeepSeek). YaRN's temperature multiplies the softmax scale (DeepSeek's mscale^2), so it applies
to the whole q.k; the RoPE part uses the shared `cppllm.model.rope` code. Parameter names follow
transformers' `DeepseekV3Attention`, so export is a renaming.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from cppllm.model.config import GPTConfig
from cppllm.model.kv_cache import KVCache
from cppllm.model.norm import RMSNorm
from cppllm.model.rope import apply_rope

LATENT_NORM_EPS = 1e-6  # DeepSeek's q_a_layernorm / kv_a_layernorm


class MLAttention(nn.Module):
    def __init__(self, config: GPTConfig, layer_idx: int) -> None:
        super().__init__()
        self.layer_idx = layer_idx
        self.n_head = h = config.n_head
        self.dn, self.dr, self.dv = config.qk_nope_head_dim, config.qk_rope_head_dim, config.v_head_dim
        self.rank = config.kv_lora_rank
        c, dqk = config.n_embd, self.dn + self.dr
        if config.q_lora_rank is None:
            self.q_proj = nn.Linear(c, h * dqk, bias=False)
        else:
            self.q_a_proj = nn.Linear(c, config.q_lora_rank, bias=False)
            self.q_a_norm = RMSNorm(config.q_lora_rank, LATENT_NORM_EPS)
            self.q_b_proj = nn.Linear(config.q_lora_rank, h * dqk, bias=False)
        self.kv_a_proj = nn.Linear(c, self.rank + self.dr, bias=False)
        self.kv_a_norm = RMSNorm(self.rank, LATENT_NORM_EPS)
        self.kv_b_proj = nn.Linear(self.rank, h * (self.dn + self.dv), bias=False)
        self.o_proj = nn.Linear(h * self.dv, c, bias=False)
        self.scale = config.yarn_mscale**2 / math.sqrt(dqk)
        self.cp = None  # a ContextParallel: the latents are gathered over its ranks

    def _query(self, x: torch.Tensor) -> torch.Tensor:
        if hasattr(self, "q_proj"):
            return self.q_proj(x)
        return self.q_b_proj(self.q_a_norm(self.q_a_proj(x)))

    def forward(
        self,
        x: torch.Tensor,  # (B, T, C)
        cos: torch.Tensor,
        sin: torch.Tensor,
        cache: KVCache | None = None,
        mask: torch.Tensor | None = None,  # (B, 1, T, Tk) bool, None = causal
        absorb: bool | None = None,  # None: absorbed with a cache, naive without
    ) -> torch.Tensor:
        b, t, _ = x.shape
        q = self._query(x).view(b, t, self.n_head, self.dn + self.dr)
        q_nope, q_rope = q.split((self.dn, self.dr), dim=-1)
        q_rope = apply_rope(q_rope, cos, sin)  # (B, T, H, dr)
        latent, k_rope = self.kv_a_proj(x).split((self.rank, self.dr), dim=-1)
        latent = self.kv_a_norm(latent).unsqueeze(1)  # (B, 1, T, r)
        k_rope = apply_rope(k_rope.unsqueeze(2), cos, sin).transpose(1, 2)  # (B, 1, T, dr)
        if cache is not None:
            latent, k_rope = cache.update(self.layer_idx, latent, k_rope)
            latent, k_rope = latent.to(x.dtype), k_rope.to(x.dtype)
        if self.cp is not None:  # context parallel: gather only the latent and RoPE key (the small part)
            latent, k_rope = self.cp.gather(latent, 2), self.cp.gather(k_rope, 2)
        causal = mask is None and t > 1  # queries aligned to the last keys (see CausalSelfAttention)
        if absorb if absorb is not None else cache is not None:
            y = self._absorbed(q_nope, q_rope, latent, k_rope, mask, causal)
        else:
            y = self._naive(q_nope, q_rope, latent, k_rope, mask, causal)
        return self.o_proj(y.reshape(b, t, self.n_head * self.dv))

    def _naive(self, q_nope, q_rope, latent, k_rope, mask, causal) -> torch.Tensor:
        b, _, tk, _ = latent.shape
        h = self.n_head
        kv = self.kv_b_proj(latent.squeeze(1)).view(b, tk, h, self.dn + self.dv)
        k_nope, v = kv.split((self.dn, self.dv), dim=-1)
        k = torch.cat((k_nope, k_rope.transpose(1, 2).expand(b, tk, h, self.dr)), dim=-1)
        q = torch.cat((q_nope, q_rope), dim=-1)
        y = F.scaled_dot_product_attention(
            q.transpose(1, 2),
            k.transpose(1, 2),
            v.transpose(1, 2),
            attn_mask=mask,
            is_causal=causal,
            scale=self.scale,
        )
        return y.transpose(1, 2)  # (B, T, H, dv)

    def _absorbed(self, q_nope, q_rope, latent, k_rope, mask, causal) -> torch.Tensor:
        w = self.kv_b_proj.weight.view(self.n_head, self.dn + self.dv, self.rank)
        w_uk, w_uv = w[:, : self.dn], w[:, self.dn :]  # (H, dn, r), (H, dv, r)
        q_latent = torch.einsum("bthd,hdr->bhtr", q_nope, w_uk)
        q = torch.cat((q_latent, q_rope.transpose(1, 2)), dim=-1)  # (B, H, T, r + dr)
        k = torch.cat((latent, k_rope), dim=-1)  # (B, 1, Tk, r + dr): one KV head shared by all queries
        y = F.scaled_dot_product_attention(
            q, k, latent, attn_mask=mask, is_causal=causal, scale=self.scale, enable_gqa=True
        )  # (B, H, T, r)
        return torch.einsum("bhtr,hvr->bthv", y, w_uv)  # (B, T, H, dv)
