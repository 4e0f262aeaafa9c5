"""Context parallelism: every sequence split over the ranks of a process group, attention over all of it.

The sequence (length T) is cut into 2W chunks; rank r holds chunks r and 2W-1-r, so every rank gets the
same amount of causal attention work (the early chunk attends to little, the late one to a lot; Llama 3's
and Megatron's load-balanced split). Each attention layer all-gathers the keys and values of the whole
sequence (the all-gather form of context parallelism used for Llama 3 training, arXiv 2407.21783 section
3.3.2: exact, simpler than a ring, and cheap for GQA/MLA whose K/V are small; MLA gathers only its latent
and RoPE key) and attends its local queries with a causal mask built from the global positions. The
gather's backward sums every rank's key/value gradients (all-reduce) and keeps the local slice, so with the
loss averaged over ranks the gradients equal the single-process ones (tested on CPU with gloo).

Everything else in a block is per token (norms, projections, MoE routing), so it runs unchanged on the
local chunks. MoE's sequence-wise balance loss then sees each rank's chunks only (an approximation; the
aux-loss-free bias update sums the load over all ranks and is exact).

    cp = ContextParallel()                # the default process group (or a CP sub-group)
    model.enable_context_parallel(cp)
    loss = model(cp.shard(x), cp.shard(y))  # then all-reduce the gradients (mean) over the group
"""

from __future__ import annotations

import torch
import torch.distributed as dist


class _GatherSeq(torch.autograd.Function):
    """All-gather along `dim` (rank order); backward: all-reduce the gradient, keep this rank's slice."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, dim: int, group, rank: int, world: int) -> torch.Tensor:
        ctx.dim, ctx.group, ctx.rank, ctx.n = dim, group, rank, x.shape[dim]
        parts = [torch.empty_like(x) for _ in range(world)]
        dist.all_gather(parts, x.contiguous(), group=group)
        return torch.cat(parts, dim=dim)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        grad = grad.contiguous()
        dist.all_reduce(grad, group=ctx.group)
        return grad.narrow(ctx.dim, ctx.rank * ctx.n, ctx.n), None, None, None, None


class ContextParallel:
    """The sequence split of one process group (default: the whole world)."""

    def __init__(self, group: dist.ProcessGroup | None = None) -> None:
        if not (dist.is_available() and dist.is_initialized()):
            raise RuntimeError("context parallelism needs an initialised process group (torchrun)")
        self.group = group
        self.rank = dist.get_rank(group)
        self.world = dist.get_world_size(group)

    def _chunks(self, rank: int) -> tuple[int, int]:
        return rank, 2 * self.world - 1 - rank

    def shard(self, x: torch.Tensor, dim: int = 1) -> torch.Tensor:
        """This rank's part of a full-sequence tensor (e.g. token ids (B, T)): chunks r and 2W-1-r."""
        if x.shape[dim] % (2 * self.world):
            raise ValueError(f"sequence length {x.shape[dim]} is not a multiple of 2 x {self.world} ranks")
        chunks = x.chunk(2 * self.world, dim=dim)
        a, b = self._chunks(self.rank)
        return torch.cat((chunks[a], chunks[b]), dim=dim)

    def positions(self, t_local: int, device: torch.device, rank: int | None = None) -> torch.Tensor:
        """Global positions (t_local,) of a rank's tokens (default: this rank's)."""
        n = t_local // 2
        a, b = self._chunks(self.rank if rank is None else rank)
        return torch.cat((torch.arange(a * n, (a + 1) * n), torch.arange(b * n, (b + 1) * n))).to(device)

    def mask(self, t_local: int, device: torch.device) -> torch.Tensor:
        """Causal mask (1, 1, t_local, W t_local): local queries over the gathered keys (in rank order)."""
        q = self.positions(t_local, device)
        k = torch.cat([self.positions(t_local, device, r) for r in range(self.world)])
        return (q[:, None] >= k[None, :])[None, None]

    def gather(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        """Every rank's `x` concatenated along `dim`, differentiable."""
        return _GatherSeq.apply(x, dim, self.group, self.rank, self.world)
