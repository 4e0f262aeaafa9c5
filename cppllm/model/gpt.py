"""The GPT: token embedding -> n_layer pre-norm blocks (RMSNorm, GQA + RoPE, SwiGLU) -> RMSNorm -> LM head.

M5 options of the same config: MLA attention (`mla.py`), DeepSeekMoE FFN layers (`moe.py`, with the
per-step `update_router_bias()` / `expert_stats()` the trainer calls) and context parallelism
(`enable_context_parallel`, `context_parallel.py`).

Initialisation (deterministic given `config.init_seed` or `init_weights(seed)`):
- hidden matrices (q/k/v, gate/up, MLA's projections, routers, each expert of an (E, out, in) stack):
  N(0, 1/sqrt(fan_in)), so every projection preserves the scale of its unit-RMS (normalised) input;
- residual output projections (o_proj, down_proj, experts' w_down): the same, divided by sqrt(2 * n_layer) (GPT-2), so the
  residual stream's variance stays O(1) however deep the model is;
- untied token embedding: N(0, 1), the same scale as the normalised stream it feeds;
- LM head (and a tied embedding): N(0, 0.5/sqrt(n_embd)), so the initial logits have std ~0.5 at any
  width and the initial loss is close to ln(vocab_size);
- RMSNorm gains: 1; MoE balancing biases: 0.
Draws happen in a fixed parameter order from a CPU generator, so the same seed gives the same weights on
any device.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from cppllm.loss import chunked_cross_entropy, token_nats
from cppllm.model.attention import CausalSelfAttention
from cppllm.model.config import GPTConfig
from cppllm.model.context_parallel import ContextParallel
from cppllm.model.kv_cache import KVCache
from cppllm.model.mla import MLAttention
from cppllm.model.mlp import SwiGLU
from cppllm.model.moe import MoE
from cppllm.model.norm import RMSNorm
from cppllm.model.rope import inv_freq_for, rope_cos_sin


class Block(nn.Module):
    def __init__(self, config: GPTConfig, layer_idx: int) -> None:
        super().__init__()
        self.attn_norm = RMSNorm(config.n_embd, config.norm_eps)
        attn = MLAttention if config.attention == "mla" else CausalSelfAttention
        self.attn = attn(config, layer_idx)
        self.mlp_norm = RMSNorm(config.n_embd, config.norm_eps)
        self.mlp = MoE(config) if config.layer_is_moe(layer_idx) else SwiGLU(config)

    def forward(self, x, cos, sin, cache=None, mask=None):  # (B, T, C) -> (B, T, C)
        x = x + self.attn(self.attn_norm(x), cos, sin, cache, mask)
        return x + self.mlp(self.mlp_norm(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig, *, init: bool = True) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.n_embd)
        self.blocks = nn.ModuleList(Block(config, i) for i in range(config.n_layer))
        self.norm = RMSNorm(config.n_embd, config.norm_eps)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_embeddings:
            self.lm_head.weight = self.embed.weight
        self.cp: ContextParallel | None = None
        inv_freq, self.rope_scaling = inv_freq_for(config)
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        if init:
            self.init_weights(config.init_seed)

    # ----- initialisation -----
    @torch.no_grad()
    def init_weights(self, seed: int | None = None) -> None:
        """(Re)initialise every parameter as documented above; deterministic given `seed`."""
        cfg = self.config
        gen = torch.Generator().manual_seed(cfg.init_seed if seed is None else seed)
        resid_scale = 1.0 / math.sqrt(2 * cfg.n_layer)
        head_std = 0.5 / math.sqrt(cfg.n_embd)

        def normal_(p: torch.Tensor, std: float) -> None:
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float32).mul_(std))

        self.inv_freq = inv_freq_for(cfg)[0].to(self.inv_freq.device)
        for name, p in self.named_parameters():  # fixed order; a tied weight appears once
            if p.ndim == 1:
                p.fill_(1.0)
            elif name == "embed.weight":
                normal_(p, head_std if cfg.tie_embeddings else 1.0)
            elif name == "lm_head.weight":
                normal_(p, head_std)
            elif name.endswith(("o_proj.weight", "down_proj.weight", "w_down")):
                normal_(p, resid_scale / math.sqrt(p.shape[-1]))
            else:  # (out, in) matrices and (experts, out, in) expert stacks
                normal_(p, 1.0 / math.sqrt(p.shape[-1]))
        for m in self.moe_layers():
            m.router.bias.zero_()

    # ----- forward -----
    def enable_context_parallel(self, cp: ContextParallel | None) -> None:
        """Split every sequence over `cp`'s ranks: forward then takes this rank's `cp.shard(idx)` (None: off)."""
        self.cp = cp
        for block in self.blocks:
            block.attn.cp = cp

    def _cos_sin(self, t: int, cache: KVCache | None, device: torch.device):
        # shaped to broadcast over heads in the attention's (B, T, heads, D) layout
        if self.cp is not None:
            positions = self.cp.positions(t, device)
        else:
            positions = torch.arange(t, device=device) if cache is None else cache.positions(t)
        cos, sin = rope_cos_sin(self.inv_freq, positions, self.rope_scaling)  # (T, D) or (B, T, D)
        return cos.unsqueeze(-2), sin.unsqueeze(-2)

    def forward_hidden(self, idx: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """Final normalised hidden states (B, T, C), the input of `lm_head` (for chunked/fused losses)."""
        _, t = idx.shape
        full = t * self.cp.world if self.cp is not None else t
        if cache is None and full > self.config.max_seq_len:
            raise ValueError(
                f"sequence length {full} > max_seq_len={self.config.max_seq_len} "
                "(extend the context with config.with_yarn(factor))"
            )
        if self.cp is not None and cache is not None:
            raise ValueError("context parallelism is for training: no KV cache")
        cos, sin = self._cos_sin(t, cache, idx.device)
        mask = cache.mask(t) if cache is not None else None
        if self.cp is not None:
            mask = self.cp.mask(t, idx.device)
        x = self.embed(idx)
        for block in self.blocks:
            x = block(x, cos, sin, cache, mask)
        if cache is not None:
            cache.advance(t)
        return self.norm(x)

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None, cache: KVCache | None = None
    ) -> torch.Tensor:
        """idx (B, T) -> logits (B, T, V); with `targets` (B, T), the mean cross-entropy (ignore_index=-1).

        With targets the (B, T, V) logits are never materialised: the loss is the trainer's fused
        LM-head + cross-entropy (`cppllm.loss.chunked_cross_entropy`, fp32 softmax), which also
        computes the head's gradients chunk by chunk instead of a separate log-softmax backward.
        """
        h = self.forward_hidden(idx, cache)
        if targets is None:
            return self.lm_head(h)
        if torch.is_grad_enabled():
            return chunked_cross_entropy(h, self.lm_head.weight, targets, ignore_index=-1)
        # no autograd (eval): per-token nats only, no gradients computed in the forward
        return token_nats(h, self.lm_head.weight, targets).sum() / (targets != -1).sum().clamp(min=1)

    @torch.no_grad()
    def token_nats(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per-target nats (B, T) of inputs x and targets y (B, T); 0 where y == -1 (`cppllm.loss`)."""
        return token_nats(self.forward_hidden(x), self.lm_head.weight, y)

    # ----- mixture of experts (no-ops for a dense model) -----
    def moe_layers(self) -> list[MoE]:
        return [b.mlp for b in self.blocks if isinstance(b.mlp, MoE)]

    def update_router_bias(self) -> None:
        """Aux-loss-free balancing: the trainer calls this once after every optimizer step."""
        for m in self.moe_layers():
            m.update_bias()

    def expert_stats(self) -> dict[str, float]:
        """Per-MoE-layer load of the last step, flat `moe/L{i}/{stat}` keys for metrics.jsonl."""
        out: dict[str, float] = {}
        for i, b in enumerate(self.blocks):
            if isinstance(b.mlp, MoE):
                out.update({f"moe/L{i}/{k}": v for k, v in b.mlp.stats().items()})
        if out:
            out["moe/load_max"] = max(v for k, v in out.items() if k.endswith("/load_max"))
        return out

    # ----- accounting -----
    def num_params(self, non_embedding: bool = False) -> int:
        """Parameter count; `non_embedding` leaves out the input embedding (a tied LM head with it)."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.embed.weight.numel() if non_embedding else n

    def flops_per_token(self, seq_len: int | None = None) -> int:
        """Training FLOPs per token: 6 x matmul params + attention 12 * L * H * D * T (PaLM / nanochat)."""
        cfg = self.config
        t = cfg.max_seq_len if seq_len is None else seq_len
        return flops_per_token(cfg, t)

    def param_groups(self) -> dict[str, list[nn.Parameter]]:
        """Parameters split for the optimizers: hidden 2-D matrices (Muon), embedding, head, scalars (AdamW)."""
        groups: dict[str, list[nn.Parameter]] = {"matrix": [], "embed": [], "head": [], "scalar": []}
        for name, p in self.named_parameters():  # a tied weight appears once, as embed.weight
            if name == "embed.weight":
                groups["embed"].append(p)
            elif name == "lm_head.weight":
                groups["head"].append(p)
            elif p.ndim in (2, 3):  # 3-D: expert stacks, one matrix per expert for Muon
                groups["matrix"].append(p)
            else:
                groups["scalar"].append(p)
        return groups


def attention_params(cfg: GPTConfig) -> int:
    """Parameters of one attention layer (its norms included: QK-norm, MLA's latent norms)."""
    c, h = cfg.n_embd, cfg.n_head
    if cfg.attention != "mla":
        return c * (2 * cfg.q_dim + 2 * cfg.kv_dim) + (2 * cfg.head_dim if cfg.qk_norm else 0)
    dn, dr, dv, r, rq = (
        cfg.qk_nope_head_dim,
        cfg.qk_rope_head_dim,
        cfg.v_head_dim,
        cfg.kv_lora_rank,
        cfg.q_lora_rank,
    )
    q = c * h * (dn + dr) if rq is None else c * rq + rq + rq * h * (dn + dr)
    return q + c * (r + dr) + r + r * h * (dn + dv) + h * dv * c


def ffn_params(cfg: GPTConfig, layer_idx: int) -> tuple[int, int]:
    """(total, active per token) parameters of one layer's FFN: dense SwiGLU or MoE (router included)."""
    c = cfg.n_embd
    if not cfg.layer_is_moe(layer_idx):
        return 3 * c * cfg.mlp_hidden, 3 * c * cfg.mlp_hidden
    expert, router = 3 * c * cfg.moe_hidden, cfg.n_routed_experts * c
    total = expert * (cfg.n_routed_experts + cfg.n_shared_experts) + router
    return total, expert * (cfg.n_experts_per_tok + cfg.n_shared_experts) + router


def count_params(cfg: GPTConfig) -> dict[str, int]:
    """Parameter counts from the config alone (no allocation): total, embedding, non-embedding, active
    (what one token uses: every routed expert but its top-k left out), vectors (norm gains)."""
    ffn = [ffn_params(cfg, i) for i in range(cfg.n_layer)]
    layers = cfg.n_layer * (attention_params(cfg) + 2 * cfg.n_embd) + sum(t for t, _ in ffn)
    embed = cfg.vocab_size * cfg.n_embd
    head = 0 if cfg.tie_embeddings else embed
    total = embed + layers + cfg.n_embd + head
    active = total - sum(t - a for t, a in ffn)
    latent_norms = (cfg.kv_lora_rank + (cfg.q_lora_rank or 0)) if cfg.attention == "mla" else 0
    qk_norms = 2 * cfg.head_dim if cfg.qk_norm and cfg.attention != "mla" else 0
    vectors = cfg.n_layer * (2 * cfg.n_embd + latent_norms + qk_norms) + cfg.n_embd
    return {
        "total": total,
        "embedding": embed,
        "non_embedding": total - embed,
        "active": active,
        "active_non_embedding": active - embed,
        "vectors": vectors,
    }


def attention_flops_per_token(cfg: GPTConfig, seq_len: int) -> int:
    """Training FLOPs of the scores and the weighted sum: 6 * L * H * T * (qk dim + v dim)."""
    if cfg.attention == "mla":
        dims = cfg.qk_nope_head_dim + cfg.qk_rope_head_dim + cfg.v_head_dim
    else:
        dims = 2 * cfg.head_dim
    return 6 * cfg.n_layer * cfg.n_head * dims * seq_len


def flops_per_token(cfg: GPTConfig, seq_len: int) -> int:
    """6 x (active non-embedding params + LM-head matmul when tied) + attention (12 L H D T for GQA)."""
    counts = count_params(cfg)
    matmul = counts["active_non_embedding"] + (cfg.vocab_size * cfg.n_embd if cfg.tie_embeddings else 0)
    return 6 * matmul + attention_flops_per_token(cfg, seq_len)
