"""Rotary position embeddings (RoPE, arXiv 2104.09864) and YaRN context extension (arXiv 2309.00071).

Layout and arithmetic follow `transformers`' Llama ("rotate half", cos/sin over the concatenated halves,
computed in fp32), so an exported model is bit-for-bit the same function. YaRN interpolates the
low-frequency dimensions by `factor`, keeps the high-frequency ones, ramps linearly between the
`beta_fast`/`beta_slow` rotation counts, and scales attention by the temperature `0.1 ln(factor) + 1`
(applied to cos and sin, as transformers does).
"""

from __future__ import annotations

import math

import torch

from cppllm.model.config import GPTConfig


def default_inv_freq(head_dim: int, theta: float) -> torch.Tensor:
    """Plain RoPE inverse frequencies, (head_dim/2,) fp32."""
    return 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).to(torch.float32) / head_dim))


def _correction_dim(num_rotations: float, dim: int, base: float, max_pos: int) -> float:
    # The dimension whose wavelength fits `num_rotations` times into `max_pos` tokens.
    return (dim * math.log(max_pos / (num_rotations * 2 * math.pi))) / (2 * math.log(base))


def yarn_inv_freq(
    head_dim: int,
    theta: float,
    factor: float,
    original_max_seq_len: int,
    beta_fast: float = 32.0,
    beta_slow: float = 1.0,
    truncate: bool = True,
) -> torch.Tensor:
    """YaRN ("NTK-by-parts") inverse frequencies, (head_dim/2,) fp32."""
    pos_freqs = theta ** (torch.arange(0, head_dim, 2).to(torch.float32) / head_dim)
    extrapolation = 1.0 / pos_freqs
    interpolation = 1.0 / (factor * pos_freqs)
    low = _correction_dim(beta_fast, head_dim, theta, original_max_seq_len)
    high = _correction_dim(beta_slow, head_dim, theta, original_max_seq_len)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, head_dim - 1)
    if low == high:
        high += 0.001  # avoid a zero-width ramp
    ramp = torch.clamp((torch.arange(head_dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
    extrapolation_weight = 1 - ramp  # 1 for high-frequency dims (kept), 0 for low-frequency (interpolated)
    return interpolation * (1 - extrapolation_weight) + extrapolation * extrapolation_weight


def inv_freq_for(config: GPTConfig) -> tuple[torch.Tensor, float]:
    """(inverse frequencies, cos/sin scaling) for a config.

    MLA rotates only its decoupled RoPE dimensions (`rope_head_dim`), and takes YaRN's temperature in the
    softmax scale (DeepSeek-V2's `mscale`, applied to the whole q.k, not only its RoPE part), so its
    cos/sin are unscaled.
    """
    if config.rope_scaling == "yarn":
        inv = yarn_inv_freq(
            config.rope_head_dim,
            config.rope_theta,
            config.yarn_factor,
            config.yarn_original_max_seq_len,
            config.yarn_beta_fast,
            config.yarn_beta_slow,
        )
        return inv, 1.0 if config.attention == "mla" else config.yarn_mscale
    return default_inv_freq(config.rope_head_dim, config.rope_theta), 1.0


def rope_cos_sin(
    inv_freq: torch.Tensor, positions: torch.Tensor, scaling: float = 1.0, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin for integer `positions` of shape (T,) or (B, T) -> (..., T, head_dim), computed in fp32."""
    freqs = positions[..., None].float() * inv_freq.to(device=positions.device, dtype=torch.float32)
    emb = torch.cat((freqs, freqs), dim=-1)
    return (emb.cos() * scaling).to(dtype), (emb.sin() * scaling).to(dtype)


class _Rotate(torch.autograd.Function):
    """y = x rotated by (cos, sin) pairwise over the two halves; its gradient is the inverse rotation.

    The eager composite (`x * cos + cat(-x2, x1) * sin`) makes five passes and a concatenated copy per
    direction; this writes each half once with a multiply and a fused multiply-add, in both directions,
    and saves only cos/sin for the backward (no activation).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(cos, sin)
        return _rotate(x, cos, sin, inverse=False)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        cos, sin = ctx.saved_tensors
        return _rotate(grad, cos, sin, inverse=True), None, None


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, inverse: bool) -> torch.Tensor:
    # cos/sin hold the same values in both halves (rope_cos_sin concatenates the frequencies), so each
    # output half needs only the first half of cos/sin: y1 = x1 c - x2 s, y2 = x2 c + x1 s (inverse: -s).
    half = x.shape[-1] // 2
    c, s = cos[..., :half], sin[..., :half]
    x1, x2 = x[..., :half], x[..., half:]
    out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    y1, y2 = out[..., :half], out[..., half:]
    torch.mul(x1, c, out=y1)
    y1.addcmul_(x2, s, value=1.0 if inverse else -1.0)
    torch.mul(x2, c, out=y2)
    y2.addcmul_(x1, s, value=-1.0 if inverse else 1.0)
    return out


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate x (..., D) by cos/sin (..., D) from `rope_cos_sin`, broadcast over the leading dimensions.

    Equal to transformers' `x * cos + rotate_half(x) * sin`.
    """
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    if not (torch.is_grad_enabled() and x.requires_grad):  # decoding: skip the autograd.Function's overhead
        return _rotate(x, cos, sin, inverse=False)
    return _Rotate.apply(x, cos, sin)
