"""The RL stage's command-line flags (added to `python -m cppllm.train`) and its entry point."""

from __future__ import annotations

import argparse
import json
import sys

from cppllm.train.config import TrainConfig
from cppllm.train.rl.config import RLConfig
from cppllm.train.rl.rewards import parse_weights


def add_rl_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("RL stage (--stage rl)")
    a = g.add_argument
    a("--tasks", help="task sets KIND:DIR, comma-separated; KIND: complete, exercises, bugfix")
    a("--tasks-per-step", type=int, default=8, help="task groups per optimizer step (all ranks)")
    a("--group-size", type=int, default=8, help="G: replies sampled per task")
    a("--max-new-tokens", type=int, default=96, help="longest reply")
    a("--temperature", type=float, default=1.0, help="sampling temperature of the rollouts")
    a("--top-k", type=int, help="sample among the k likeliest tokens only")
    a("--eps-low", type=float, default=0.2, help="ratio clipped below at 1 - eps-low")
    a("--eps-high", type=float, default=0.28, help="ratio clipped above at 1 + eps-high (DAPO clip-higher)")
    a("--kl-beta", type=float, default=0.0, help="weight of the KL to the --init-from model (0: none)")
    a("--no-scale-advantages", action="store_true", help="do not divide advantages by the group std")
    a("--no-dynamic-sampling", action="store_true", help="keep groups whose rewards are all equal")
    a("--max-draws", type=int, default=3, help="task draws per step at most to fill the batch")
    a("--updates-per-batch", type=int, default=1, help="optimizer steps on one batch of rollouts")
    a("--rollout-batch", type=int, default=64, help="rows generated together")
    a("--micro-rows", type=int, default=16, help="rollouts per forward/backward")
    a("--reward-weights", help="e.g. 'tests=1,format=0.2' over the defaults (rewards.DEFAULT_WEIGHTS)")
    a("--eval-tasks", type=int, help="held-out tasks scored for pass@1 (default: all)")
    a("--judge-jobs", type=int, help="sandboxed build/run jobs at once (default: CPU count)")


def rl_config(args: argparse.Namespace) -> RLConfig:
    return RLConfig(
        tasks_per_step=args.tasks_per_step,
        group_size=args.group_size,
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        top_k=args.top_k,
        eps_low=args.eps_low,
        eps_high=args.eps_high,
        kl_beta=args.kl_beta,
        scale_advantages=not args.no_scale_advantages,
        dynamic_sampling=not args.no_dynamic_sampling,
        max_draws=args.max_draws,
        updates_per_batch=args.updates_per_batch,
        rollout_batch=args.rollout_batch,
        micro_rows=args.micro_rows,
        reward_weights=parse_weights(args.reward_weights),
        eval_tasks=args.eval_tasks,
        judge_jobs=args.judge_jobs,
    )


def run_rl(cfg: TrainConfig, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if cfg.steps is None:
        parser.error("--stage rl needs --steps (a token budget means nothing for RL)")
    try:
        rl = rl_config(args)
    except ValueError as e:
        parser.error(str(e))
    from cppllm.train.rl.stage import train_rl

    summary = train_rl(cfg, rl, resume=args.resume, stop_at_step=args.stop_at_step)
    print(
        f"[rl] {json.dumps({k: summary.get(k) for k in ('step', 'reward_mean', 'heldout')})}", file=sys.stderr
    )
    return 0
