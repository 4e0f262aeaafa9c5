"""Optimizers: Muon for the hidden 2-D matrices, AdamW for embedding, LM head and norm gains.

Muon (Keller Jordan, https://kellerjordan.github.io/posts/muon/; "Muon is Scalable for LLM Training",
arXiv 2502.16982) replaces each matrix's momentum update by its nearest semi-orthogonal matrix, found with
a quintic Newton-Schulz iteration. `torch.optim.Muon` is used on accelerators when the installed torch
has it (2.9+). `Muon` below is the same algorithm (same defaults, same state layout: a `momentum_buffer`
per parameter, so checkpoints move between the two) for older torch and for CPU, where it runs the
iteration in fp32: torch's Muon always iterates in bf16, and CPU bf16 matmuls are ~7x slower than fp32.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # Keller Jordan's quintic, slope-maximising at zero


def zeropower_via_newtonschulz(
    g: torch.Tensor,
    steps: int = 5,
    coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
    eps: float = 1e-7,
    dtype: torch.dtype = torch.bfloat16,
) -> torch.Tensor:
    """Approximate U V^T of G = U S V^T (singular values land in ~[0.7, 1.2]); bf16 like the reference.

    A 3-D G (an MoE layer's expert stack) is a batch: each expert's matrix is orthogonalised on its own."""
    a, b, c = coefficients
    x = g.to(dtype)
    tall = g.size(-2) > g.size(-1)
    if tall:
        x = x.mT
    fro = x.norm() if x.ndim == 2 else torch.linalg.matrix_norm(x, keepdim=True)
    x = x / fro.clamp(min=eps)  # spectral norm <= Frobenius norm <= 1
    for _ in range(steps):
        gram = x @ x.mT
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.mT if tall else x


class Muon(torch.optim.Optimizer):
    """MomentUm Orthogonalized by Newton-Schulz, for 2-D parameters (fallback for torch without it)."""

    def __init__(
        self,
        params: Iterable[nn.Parameter] | Iterable[dict],
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_steps: int = 5,
        eps: float = 1e-7,
        ns_dtype: torch.dtype = torch.bfloat16,
    ) -> None:
        defaults = dict(
            lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov, ns_steps=ns_steps, eps=eps
        )
        self.ns_dtype = ns_dtype
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim not in (2, 3):
                    raise ValueError(f"Muon takes 2-D (or stacked 3-D) parameters, got {tuple(p.shape)}")

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, wd, mom = group["lr"], group["weight_decay"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(p.grad)
                buf = state["momentum_buffer"]
                buf.lerp_(p.grad, 1 - mom)
                update = p.grad.lerp(buf, mom) if group["nesterov"] else buf
                update = zeropower_via_newtonschulz(
                    update, group["ns_steps"], eps=group["eps"], dtype=self.ns_dtype
                )
                p.mul_(1 - lr * wd)  # decoupled weight decay
                # Keller's shape scaling: tall matrices (fan_out > fan_in) take a larger step.
                p.add_(update.to(p.dtype), alpha=-lr * math.sqrt(max(1.0, p.size(-2) / p.size(-1))))
        return loss


def make_muon(
    params: list[nn.Parameter], *, lr: float, weight_decay: float, momentum: float
) -> torch.optim.Optimizer:
    """`torch.optim.Muon` on accelerators when available, else our `Muon` (fp32 iteration on CPU; and for
    3-D MoE expert stacks, which torch's Muon does not take)."""
    on_cpu = all(p.device.type == "cpu" for p in params)
    if hasattr(torch.optim, "Muon") and not on_cpu and all(p.ndim == 2 for p in params):
        return torch.optim.Muon(params, lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=True)
    ns_dtype = torch.float32 if on_cpu else torch.bfloat16
    return Muon(params, lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=True, ns_dtype=ns_dtype)


def build_optimizers(
    groups: dict[str, list[nn.Parameter]],
    *,
    optimizer: str,
    matrix_lr: float,
    embed_lr: float,
    head_lr: float,
    scalar_lr: float,
    weight_decay: float,
    muon_momentum: float = 0.95,
    adam_betas: tuple[float, float] = (0.8, 0.95),
    adam_eps: float = 1e-10,
    fused: bool = False,
) -> list[torch.optim.Optimizer]:
    """Optimizers over `GPT.param_groups()`: Muon (or AdamW with `optimizer="adamw"`) on the hidden
    matrices, AdamW on embedding / head / scalars. Each group keeps its base LR in `initial_lr`."""
    adam_groups = [
        dict(params=groups["embed"], lr=embed_lr, weight_decay=weight_decay, name="embed"),
        dict(params=groups["head"], lr=head_lr, weight_decay=weight_decay, name="head"),
        dict(params=groups["scalar"], lr=scalar_lr, weight_decay=0.0, name="scalar"),
    ]
    opts: list[torch.optim.Optimizer] = []
    if optimizer == "muon":
        opts.append(
            make_muon(groups["matrix"], lr=matrix_lr, weight_decay=weight_decay, momentum=muon_momentum)
        )
        opts[0].param_groups[0]["name"] = "matrix"
    elif optimizer == "adamw":
        adam_groups.insert(
            0, dict(params=groups["matrix"], lr=matrix_lr, weight_decay=weight_decay, name="matrix")
        )
    else:
        raise ValueError(f"optimizer must be 'muon' or 'adamw', got {optimizer!r}")
    adam_groups = [g for g in adam_groups if g["params"]]
    kw = {"fused": True} if fused else {}
    opts.append(torch.optim.AdamW(adam_groups, betas=adam_betas, eps=adam_eps, **kw))
    for opt in opts:
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
    return opts
