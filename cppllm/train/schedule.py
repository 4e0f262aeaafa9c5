"""Warmup-stable-decay (WSD) learning-rate schedule (MiniCPM, arXiv 2404.06395; nanochat's default).

Linear warmup from 0 over `warmup_steps`, a constant plateau, then a linear decay to `final_frac` of the base
LR over the last `decay_steps`. The multiplier applies to every optimizer group's `initial_lr`.
"""

from __future__ import annotations

from typing import Any

import torch


def wsd_multiplier(step: int, total: int, warmup: int, decay: int, final_frac: float = 0.0) -> float:
    """LR multiplier for optimizer step `step` (0-based) of `total`."""
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    decay_start = total - decay
    if decay > 0 and step >= decay_start:
        progress = (step - decay_start + 1) / decay
        return 1.0 - (1.0 - final_frac) * min(progress, 1.0)
    return 1.0


class WSDSchedule:
    """Sets `lr = initial_lr * wsd_multiplier(step)` on every group of every optimizer; resumable."""

    def __init__(
        self,
        optimizers: list[torch.optim.Optimizer],
        *,
        total_steps: int,
        warmup_steps: int,
        decay_steps: int,
        final_frac: float = 0.0,
    ) -> None:
        if warmup_steps + decay_steps > total_steps:
            raise ValueError(
                f"warmup ({warmup_steps}) + decay ({decay_steps}) steps exceed the total ({total_steps})"
            )
        self.optimizers = optimizers
        self.total_steps, self.warmup_steps, self.decay_steps = total_steps, warmup_steps, decay_steps
        self.final_frac = final_frac
        self.step_count = 0

    def multiplier(self, step: int | None = None) -> float:
        s = self.step_count if step is None else step
        return wsd_multiplier(s, self.total_steps, self.warmup_steps, self.decay_steps, self.final_frac)

    def apply(self) -> float:
        """Set the LRs for the coming optimizer step; returns the multiplier."""
        m = self.multiplier()
        for opt in self.optimizers:
            for g in opt.param_groups:
                g["lr"] = g["initial_lr"] * m
        return m

    def step(self) -> None:
        self.step_count += 1

    def state_dict(self) -> dict[str, Any]:
        return {
            "step_count": self.step_count,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "decay_steps": self.decay_steps,
            "final_frac": self.final_frac,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step_count = int(state["step_count"])
