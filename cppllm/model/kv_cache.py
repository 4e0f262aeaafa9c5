"""Static KV cache for incremental decoding, with per-row left padding for batched prompts.

Keys/values of every layer live in preallocated tensors (B, n_kv_head, T_max, head_dim). Row b's first
`left_pad[b]` slots are padding: they are never attended to, and that row's RoPE positions start at 0
on its first real token, so a left-padded row computes exactly what it would alone.
With MLA (`attention="mla"`) the two tensors hold the latent (width kv_lora_rank) and the decoupled RoPE
key (width qk_rope_head_dim), one "head" each: that is all MLA caches.
"""

from __future__ import annotations

import torch

from cppllm.model.config import GPTConfig


class KVCache:
    def __init__(
        self,
        config: GPTConfig,
        batch_size: int,
        max_len: int,
        *,
        left_pad: torch.Tensor | list[int] | None = None,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> None:
        if config.attention == "mla":
            k_shape = (config.n_layer, batch_size, 1, max_len, config.kv_lora_rank)
            v_shape = (config.n_layer, batch_size, 1, max_len, config.qk_rope_head_dim)
        else:
            k_shape = v_shape = (config.n_layer, batch_size, config.n_kv_head, max_len, config.head_dim)
        self.k = torch.zeros(k_shape, device=device, dtype=dtype)
        self.v = torch.zeros(v_shape, device=device, dtype=dtype)
        self.max_len = max_len
        self.pos = 0  # slots filled so far (same for every row)
        if left_pad is None:
            left_pad = [0] * batch_size
        self.left_pad = torch.as_tensor(left_pad, dtype=torch.long, device=device)
        if self.left_pad.shape != (batch_size,):
            raise ValueError(f"left_pad must have one entry per row, got shape {tuple(self.left_pad.shape)}")

    @property
    def padded(self) -> bool:
        return bool((self.left_pad > 0).any())

    def positions(self, t: int) -> torch.Tensor:
        """RoPE positions (B, t) of the next `t` slots."""
        slots = torch.arange(self.pos, self.pos + t, device=self.left_pad.device)
        return (slots[None, :] - self.left_pad[:, None]).clamp_min(0)

    def mask(self, t: int) -> torch.Tensor | None:
        """Boolean attention mask (B, 1, t, pos + t) for the next `t` queries; None when plain causal works."""
        if not self.padded and (t == 1 or self.pos == 0):
            return None  # a single query sees all keys; a fresh unpadded prefill is plain causal
        q = torch.arange(self.pos, self.pos + t, device=self.left_pad.device)[:, None]
        k = torch.arange(self.pos + t, device=self.left_pad.device)[None, :]
        allowed = (k <= q)[None] & (k[None] >= self.left_pad[:, None, None])
        allowed = allowed | (k == q)[None]  # padding queries see themselves only (never an empty row)
        return allowed[:, None]

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store k, v (B, n_kv, t, D) at the current slots; return all keys/values so far."""
        t = k.shape[2]
        end = self.pos + t
        if end > self.max_len:
            raise ValueError(f"KV cache full: {end} > max_len={self.max_len}")
        self.k[layer, :, :, self.pos : end] = k
        self.v[layer, :, :, self.pos : end] = v
        return self.k[layer, :, :, :end], self.v[layer, :, :, :end]

    def advance(self, t: int) -> None:
        self.pos += t

    def bytes(self) -> int:
        return (self.k.numel() + self.v.numel()) * self.k.element_size()
