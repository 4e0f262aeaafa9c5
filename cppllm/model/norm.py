"""RMSNorm (arXiv 1910.07467) with a learnable gain, computed in fp32 like Llama's.

On CUDA `F.rms_norm` dispatches to PyTorch's fused kernel. On the CPU it is a composite of about six
elementwise ops whose autograd backward adds as many again; `_RMSNormCPU` does the same arithmetic with a
fused reduction (`vector_norm`, `vecdot`) and the backward written out, in about half the passes over the
activations, saving only the input and the per-row 1/rms.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class _RMSNormCPU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:  # x (..., C)
        c = x.shape[-1]
        rstd = (torch.linalg.vector_norm(x, dim=-1, keepdim=True).square_().div_(c).add_(eps)).rsqrt_()
        ctx.save_for_backward(x, weight, rstd)
        return torch.mul(x, rstd).mul_(weight)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight, rstd = ctx.saved_tensors
        xhat = torch.mul(x, rstd)
        grad_weight = None
        if ctx.needs_input_grad[1]:
            grad_weight = torch.mul(grad, xhat).reshape(-1, x.shape[-1]).sum(0)
        # d(x * rstd)/dx applied to g = grad * weight: rstd * (g - xhat * mean(g * xhat))
        g = torch.mul(grad, weight)
        dot = torch.linalg.vecdot(g, xhat, dim=-1).unsqueeze(-1).div_(-x.shape[-1])
        grad_x = torch.addcmul(g, xhat, dot).mul_(rstd)
        return grad_x, grad_weight, None


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.float32:
            if x.device.type == "cpu" and self.weight.dtype == torch.float32 and torch.is_grad_enabled():
                return _RMSNormCPU.apply(x, self.weight, self.eps)
            return F.rms_norm(x, (x.shape[-1],), self.weight, self.eps)
        # Low precision: normalise in fp32 (as transformers does) and cast back before the gain.
        y = F.rms_norm(x.float(), (x.shape[-1],), None, self.eps).to(x.dtype)
        return self.weight.to(x.dtype) * y
