"""DeepSeekMoE feed-forward block: fine-grained routed experts + always-on shared experts.

DeepSeekMoE (arXiv 2401.06066) with DeepSeek-V3's router (arXiv 2412.19437, section 2.1.2):
- scores s = sigmoid(x W_r^T) per routed expert (fp32); each token picks its top-k experts by s + b, where
  b is the auxiliary-loss-free balancing bias; the gate weights are the picked *unbiased* scores,
  normalised to sum to 1 and multiplied by `routed_scaling`. The bias only decides *which* experts run.
- b is not learned by gradient: after every optimizer step `update_bias()` moves it by `router_bias_rate`
  towards balance, b_i += rate * sign(mean load - load_i), with the load counted over the whole step (all
  micro-batches, all ranks).
- optional sequence-wise balance loss (V3 eq. 17-20): alpha * sum_i f_i P_i per sequence, f_i = E / (k T) x
  tokens routed to i, P_i = mean over the sequence of the normalised scores s_i / sum_j s_j. It is added
  to the gradient by `AddAuxLoss` (the trainer's loss and logs do not change); with gradient accumulation
  it counts once per micro-batch.
- shared experts process every token; `n_shared_experts` of width H run as one SwiGLU of width
  n_shared * H, which is the same function as summing them (and transformers' layout).

Capacity / drop policy: dropless by default (DeepSeek-V3 drops no token in training or inference). With
`capacity_factor` set, in training each expert takes at most ceil(cf * N k / E) of the N k token-expert
assignments of the micro-batch; beyond that, the assignments with the lowest gate weights (the smallest
contributions) are dropped (the token keeps its other experts, the shared experts and the residual), and
the count is reported. Evaluation never drops.

Dispatch: the N k (token, expert) pairs are sorted by expert, the tokens gathered once, each expert's
SwiGLU run on its contiguous slice (`torch._grouped_mm` when the installed torch has it: one kernel for all
experts; else a loop over experts), weighted, and scattered back with `index_add_`. No loop over tokens.
"""

from __future__ import annotations

import math

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from cppllm.model.config import GPTConfig


class AddAuxLoss(torch.autograd.Function):
    """Returns x unchanged; in the backward, adds d(aux)/d(params) as if `aux` were added to the loss."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, aux: torch.Tensor) -> torch.Tensor:
        ctx.aux_dtype, ctx.aux_device = aux.dtype, aux.device
        return x

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad, torch.ones((), dtype=ctx.aux_dtype, device=ctx.aux_device)


def _grouped_mm_ok(x: torch.Tensor) -> bool:
    # torch._grouped_mm: CPU (fp32/bf16) and CUDA bf16 on SM90+ (H100/H200); anything else takes the loop.
    if not hasattr(torch, "_grouped_mm"):
        return False
    if x.device.type == "cpu":
        return True
    return x.is_cuda and x.dtype == torch.bfloat16 and torch.cuda.get_device_capability(x.device) >= (9, 0)


def grouped_linear(
    x: torch.Tensor, w: torch.Tensor, counts: torch.Tensor, offsets: torch.Tensor
) -> torch.Tensor:
    """Rows of x (M, in), sorted by expert with `counts[e]` rows each, times w[e]^T (w: (E, out, in))."""
    kind = x.device.type
    if torch.is_autocast_enabled(kind):  # _grouped_mm is not an autocast op: cast as F.linear would
        x = x.to(torch.get_autocast_dtype(kind))
    if _grouped_mm_ok(x):
        # the backward needs a dense output gradient (an expanded one trips the CPU kernel's stride check)
        return torch._grouped_mm(x, w.to(x.dtype).transpose(-2, -1), offs=offsets)
    parts = x.split(counts.tolist())  # a loop over experts (never over tokens)
    return torch.cat([F.linear(xe, w[e].to(x.dtype)) for e, xe in enumerate(parts)])


class Router(nn.Module):
    """Sigmoid top-k router with the aux-loss-free balancing bias (a buffer, saved in checkpoints)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_experts, self.top_k = config.n_routed_experts, config.n_experts_per_tok
        self.scaling = config.routed_scaling
        self.weight = nn.Parameter(torch.empty(self.n_experts, config.n_embd))
        self.register_buffer("bias", torch.zeros(self.n_experts, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x (N, C) -> gate weights (N, k) fp32, expert ids (N, k), scores (N, E) fp32."""
        scores = F.linear(x.float(), self.weight.float()).sigmoid()
        idx = torch.topk(scores.detach() + self.bias, self.top_k, dim=-1).indices
        weights = scores.gather(1, idx)
        weights = weights / (weights.sum(-1, keepdim=True) + 1e-20) * self.scaling
        return weights, idx, scores


class SharedExperts(nn.Module):
    """SwiGLU of width n_shared * moe_hidden: the shared experts, summed (transformers' layout)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        hidden = config.n_shared_experts * config.moe_hidden
        self.gate_proj = nn.Linear(config.n_embd, hidden, bias=False)
        self.up_proj = nn.Linear(config.n_embd, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, config.n_embd, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = F.linear(x, torch.cat((self.gate_proj.weight, self.up_proj.weight))).chunk(2, dim=-1)
        return self.down_proj(F.silu(gate) * up)


class MoE(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        e, c, h = config.n_routed_experts, config.n_embd, config.moe_hidden
        self.n_experts, self.top_k = e, config.n_experts_per_tok
        self.capacity_factor = config.capacity_factor
        self.aux_alpha = config.aux_loss_alpha
        self.bias_rate = config.router_bias_rate
        self.router = Router(config)
        # (E, out, in), like a stack of nn.Linear weights; gate and up stay apart for Muon
        self.w_gate = nn.Parameter(torch.empty(e, h, c))
        self.w_up = nn.Parameter(torch.empty(e, h, c))
        self.w_down = nn.Parameter(torch.empty(e, c, h))
        self.shared = SharedExperts(config) if config.n_shared_experts else None
        # Step statistics: plain tensors, not buffers (DDP would overwrite them from rank 0 every forward).
        self._load: torch.Tensor | None = None  # assignments per expert since the last bias update
        self._dropped = 0
        self.last_load: torch.Tensor | None = None
        self.last_dropped = 0
        self.last_aux: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, C) -> (B, T, C)
        b, t, c = x.shape
        flat = x.reshape(-1, c)
        weights, idx, scores = self.router(flat)
        out = self._routed(flat, weights, idx)
        if self.shared is not None:
            out = out + self.shared(flat)
        out = out.view(b, t, c)
        if self.training:
            with torch.no_grad():
                load = torch.bincount(idx.flatten(), minlength=self.n_experts).float()
                self._load = load if self._load is None else self._load + load
            if self.aux_alpha > 0 and torch.is_grad_enabled():
                aux = self.balance_loss(scores.view(b, t, -1), idx.view(b, t, -1))
                self.last_aux = aux.detach()
                out = AddAuxLoss.apply(out, aux)
        return out

    def balance_loss(self, scores: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """Sequence-wise balance loss, alpha * mean over sequences of sum_i f_i P_i. scores (B, T, E)."""
        b, t, e = scores.shape
        counts = torch.zeros(b, e, device=scores.device).scatter_add_(
            1, idx.reshape(b, -1), torch.ones(b, idx.shape[1] * idx.shape[2], device=scores.device)
        )
        f = counts * (e / (self.top_k * t))
        p = (scores / scores.sum(-1, keepdim=True)).mean(1)
        return self.aux_alpha * (f * p).sum(-1).mean()

    def _routed(self, flat: torch.Tensor, weights: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        n, k = idx.shape
        expert = idx.flatten()  # (N k,) assignment a = token * k + slot
        gate = weights.flatten()
        if self.capacity_factor is not None and self.training:
            order = torch.argsort(-gate.detach(), stable=True)  # best-scored first within each expert
            order = order[torch.argsort(expert[order], stable=True)]
        else:
            order = torch.argsort(expert, stable=True)
        counts_t = torch.bincount(expert, minlength=self.n_experts)
        if self.capacity_factor is not None and self.training:
            cap = math.ceil(self.capacity_factor * n * k / self.n_experts)
            starts = torch.cumsum(counts_t, 0) - counts_t
            rank = torch.arange(order.numel(), device=order.device) - starts[expert[order]]
            keep = rank < cap
            self._dropped += int((~keep).sum())
            order = order[keep]
            counts_t = counts_t.clamp(max=cap)
        token = order // k
        offsets = torch.cumsum(counts_t, 0).to(torch.int32)
        xs = flat[token]  # (M, C), grouped by expert
        gate_up = torch.cat((self.w_gate, self.w_up), dim=1)  # (E, 2H, C)
        g, u = grouped_linear(xs, gate_up, counts_t, offsets).chunk(2, dim=-1)
        ys = grouped_linear(F.silu(g) * u, self.w_down, counts_t, offsets)  # (M, C)
        ys = ys * gate[order].unsqueeze(-1).to(ys.dtype)
        return torch.zeros_like(flat, dtype=ys.dtype).index_add_(0, token, ys).to(flat.dtype)

    # ----- balancing (called by the trainer once per optimizer step) -----
    @torch.no_grad()
    def update_bias(self) -> None:
        """b_i += rate * sign(mean load - load_i) from this step's load (summed over ranks); resets it."""
        load = self._load
        if load is None:
            return
        dropped = torch.tensor([float(self._dropped)], device=load.device)
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(load)
            dist.all_reduce(dropped)
        if self.bias_rate > 0:
            self.router.bias += self.bias_rate * torch.sign(load.mean() - load)
        self.last_load, self.last_dropped = load, int(dropped.item())
        self._load, self._dropped = None, 0

    def stats(self) -> dict[str, float]:
        """The last step's load: max and min over mean (1 = balanced), dropped fraction, bias range."""
        if self.last_load is None:
            return {}
        load = self.last_load
        mean = load.mean().clamp(min=1e-9)
        total = float(load.sum()) or 1.0
        return {
            "load_max": float(load.max() / mean),
            "load_min": float(load.min() / mean),
            "dropped": self.last_dropped / total,
            "bias_max": float(self.router.bias.abs().max()),
            "aux": float(self.last_aux) if self.last_aux is not None else 0.0,
        }
