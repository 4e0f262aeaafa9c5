"""The RL stage's settings: one frozen dataclass, saved under `rl` in config.json and every checkpoint."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from cppllm.model.config import from_known_fields
from cppllm.train.rl.rewards import DEFAULT_WEIGHTS


@dataclass(frozen=True, kw_only=True)
class RLConfig:
    tasks_per_step: int = 8  # groups per optimizer step, all ranks together
    group_size: int = 8  # G replies per task
    max_new_tokens: int = 96
    temperature: float = 1.0
    top_k: int | None = None
    eps_low: float = 0.2  # clip the ratio below at 1 - eps_low
    eps_high: float = 0.28  # and above at 1 + eps_high (DAPO's clip-higher)
    kl_beta: float = 0.0  # weight of the k3 KL to the reference (the --init-from weights); 0: no reference
    scale_advantages: bool = True  # divide by the group's std (GRPO); False: mean baseline only
    dynamic_sampling: bool = True  # drop groups with identical rewards and draw more tasks
    max_draws: int = 3  # task draws per step at most when filling the batch
    updates_per_batch: int = 1  # optimizer steps on one batch of rollouts (mu; >1 makes the ratio matter)
    rollout_batch: int = 64  # rows generated together
    micro_rows: int = 16  # rows per forward/backward
    reward_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    eval_tasks: int | None = None  # held-out tasks scored (greedy pass@1) before/after and at eval steps
    judge_jobs: int | None = None  # sandboxed build/run jobs at once (default: the CPU count)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RLConfig:
        return from_known_fields(cls, d)

    def __post_init__(self) -> None:
        if self.group_size < 2:
            raise ValueError("--group-size must be at least 2 (advantages are relative to the group)")
        if not 0 <= self.eps_low < 1 or self.eps_high < 0:
            raise ValueError("--eps-low must be in [0, 1) and --eps-high >= 0")


# Fields a resumed RL run must keep (the rest, e.g. eval_tasks or judge_jobs, may change).
RL_RESUME_MUST_MATCH = (
    "tasks_per_step",
    "group_size",
    "max_new_tokens",
    "temperature",
    "top_k",
    "eps_low",
    "eps_high",
    "kl_beta",
    "scale_advantages",
    "dynamic_sampling",
    "updates_per_batch",
    "reward_weights",
)
