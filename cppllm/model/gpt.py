"""The GPT: token embedding -> n_layer pre-norm blocks (RMSNorm, GQA + RoPE, SwiGLU) -> RMSNorm -> LM head.

Initialisation (deterministic given `config.init_seed` or `init_weights(seed)`):
- hidden matrices (q/k/v, gate/up): N(0, 1/sqrt(fan_in)), so every projection preserves the scale of
  its unit-RMS (normalised) input;
- residual output projections (o_proj, down_proj): the same, divided by sqrt(2 * n_layer) (GPT-2), so the
  residual stream's variance stays O(1) however deep the model is;
- untied token embedding: N(0, 1), the same scale as the normalised stream it feeds;
- LM head (and a tied embedding): N(0, 0.5/sqrt(n_embd)), so the initial logits have std ~0.5 at any
  width and the initial loss is close to ln(vocab_size);
- RMSNorm gains: 1.
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
from cppllm.model.kv_cache import KVCache
from cppllm.model.mlp import SwiGLU
from cppllm.model.norm import RMSNorm
from cppllm.model.rope import inv_freq_for, rope_cos_sin


class Block(nn.Module):
    def __init__(self, config: GPTConfig, layer_idx: int) -> None:
        super().__init__()
        self.attn_norm = RMSNorm(config.n_embd, config.norm_eps)
        self.attn = CausalSelfAttention(config, layer_idx)
        self.mlp_norm = RMSNorm(config.n_embd, config.norm_eps)
        self.mlp = SwiGLU(config)

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
            elif name.endswith(("o_proj.weight", "down_proj.weight")):
                normal_(p, resid_scale / math.sqrt(p.shape[1]))
            else:
                normal_(p, 1.0 / math.sqrt(p.shape[1]))

    # ----- forward -----
    def _cos_sin(self, t: int, cache: KVCache | None, device: torch.device):
        # shaped to broadcast over heads in the attention's (B, T, heads, D) layout
        positions = torch.arange(t, device=device) if cache is None else cache.positions(t)
        cos, sin = rope_cos_sin(self.inv_freq, positions, self.rope_scaling)  # (T, D) or (B, T, D)
        return cos.unsqueeze(-2), sin.unsqueeze(-2)

    def forward_hidden(self, idx: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """Final normalised hidden states (B, T, C), the input of `lm_head` (for chunked/fused losses)."""
        _, t = idx.shape
        if cache is None and t > self.config.max_seq_len:
            raise ValueError(
                f"sequence length {t} > max_seq_len={self.config.max_seq_len} "
                "(extend the context with config.with_yarn(factor))"
            )
        cos, sin = self._cos_sin(t, cache, idx.device)
        mask = cache.mask(t) if cache is not None else None
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
            elif p.ndim == 2:
                groups["matrix"].append(p)
            else:
                groups["scalar"].append(p)
        return groups


def count_params(cfg: GPTConfig) -> dict[str, int]:
    """Parameter counts from the config alone (no allocation): total, embedding, non-embedding."""
    attn = cfg.n_embd * (2 * cfg.q_dim + 2 * cfg.kv_dim)
    mlp = 3 * cfg.n_embd * cfg.mlp_hidden
    norms = 2 * cfg.n_embd + (2 * cfg.head_dim if cfg.qk_norm else 0)
    layers = cfg.n_layer * (attn + mlp + norms)
    embed = cfg.vocab_size * cfg.n_embd
    head = 0 if cfg.tie_embeddings else embed
    total = embed + layers + cfg.n_embd + head
    return {"total": total, "embedding": embed, "non_embedding": total - embed}


def flops_per_token(cfg: GPTConfig, seq_len: int) -> int:
    """6 x (non-embedding params + LM-head matmul when tied) + 12 * n_layer * n_head * head_dim * seq_len."""
    counts = count_params(cfg)
    matmul = counts["non_embedding"] + (cfg.vocab_size * cfg.n_embd if cfg.tie_embeddings else 0)
    return 6 * matmul + 12 * cfg.n_layer * cfg.n_head * cfg.head_dim * seq_len
