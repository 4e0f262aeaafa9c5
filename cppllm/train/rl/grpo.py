"""GRPO's group-relative advantages and the clipped policy loss with DAPO's stabilizers.

GRPO (Shao et al. 2024, DeepSeekMath, arXiv:2402.03300): G replies are sampled per task; a reply's
advantage is its reward minus the mean of its group, divided by the group's standard deviation, and every
token of the reply gets that advantage. No value model.

DAPO (Yu et al. 2025, arXiv:2503.14476) stabilizers, all here:
- decoupled clip bounds: the ratio pi/pi_old is clipped to [1 - eps_low, 1 + eps_high] (eps_high > eps_low
  lets unlikely tokens grow, against entropy collapse);
- token-level normalization: the loss is summed over every response token of the batch and divided by
  their count (not a mean per sequence, which would down-weight long replies' tokens);
- dynamic sampling: groups whose G rewards are all equal have zero advantage and carry no signal; they are
  left out (`informative_groups`), and more tasks are drawn to fill the batch.
An optional KL penalty to the reference model uses the k3 estimator exp(ref - logp) - (ref - logp) - 1
(Schulman 2020), per token, as TRL's GRPOTrainer does.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


def group_advantages(rewards: torch.Tensor, group_size: int, *, scale: bool = True, eps: float = 1e-4):
    """Advantages (N,) of rewards (N,) laid out group by group: (r - group mean) / (group std + eps).

    The std is the unbiased one (as torch.std and TRL); `scale=False` keeps only the mean baseline
    (Dr. GRPO, arXiv:2503.20783, argues the std division biases towards easy and hard tasks).
    """
    if rewards.numel() % group_size:
        raise ValueError(f"{rewards.numel()} rewards do not split into groups of {group_size}")
    r = rewards.float().view(-1, group_size)  # (n_groups, G)
    adv = r - r.mean(dim=1, keepdim=True)
    if scale and group_size > 1:
        adv = adv / (r.std(dim=1, keepdim=True) + eps)
    return adv.reshape(-1)


def informative_groups(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """(n_groups,) bool: True where the group's rewards are not all equal (DAPO's dynamic sampling)."""
    r = rewards.view(-1, group_size)
    return (r.max(dim=1).values - r.min(dim=1).values) > 0


@dataclass(frozen=True, kw_only=True)
class LossStats:
    """Token sums of one micro-batch (divide by `tokens`, summed over micro-batches and ranks)."""

    tokens: float
    clipped: float  # tokens whose ratio was clipped (low or high) in the direction that matters
    clipped_low: float
    clipped_high: float
    kl: float  # summed k3 KL to the reference (0 without one)
    ratio: float  # summed pi / pi_old


def grpo_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    *,
    eps_low: float = 0.2,
    eps_high: float = 0.28,
    ref_logp: torch.Tensor | None = None,
    beta: float = 0.0,
    n_tokens: float | torch.Tensor | None = None,
) -> tuple[torch.Tensor, LossStats]:
    """The clipped surrogate, summed over masked tokens and divided by `n_tokens` (default: the mask's sum).

    logp, old_logp, ref_logp, mask (B, T): per-token log-probabilities of the sampled tokens under the
    policy being trained, the policy that sampled them and the reference; advantages (B,) per sequence or
    (B, T). Pass the whole batch's token count as `n_tokens` when the batch is split into micro-batches
    (and over ranks) so the sum over them is DAPO's token-level mean.
    """
    mask = mask.to(logp.dtype)
    adv = advantages if advantages.dim() == logp.dim() else advantages[:, None]
    ratio = torch.exp(logp - old_logp)
    clipped_ratio = torch.clamp(ratio, 1 - eps_low, 1 + eps_high)
    per_token = -torch.min(ratio * adv, clipped_ratio * adv)
    kl = torch.zeros_like(logp)
    if ref_logp is not None and beta != 0.0:
        delta = ref_logp - logp
        kl = torch.exp(delta) - delta - 1
        per_token = per_token + beta * kl
    denom = mask.sum() if n_tokens is None else n_tokens
    loss = (per_token * mask).sum() / torch.as_tensor(denom, dtype=logp.dtype, device=logp.device).clamp(
        min=1
    )
    with torch.no_grad():
        low = ((ratio < 1 - eps_low) & (adv < 0)).to(mask.dtype) * mask
        high = ((ratio > 1 + eps_high) & (adv > 0)).to(mask.dtype) * mask
        stats = LossStats(
            tokens=float(mask.sum()),
            clipped=float((low + high).sum()),
            clipped_low=float(low.sum()),
            clipped_high=float(high.sum()),
            kl=float((kl * mask).sum()),
            ratio=float((ratio * mask).sum()),
        )
    return loss, stats
