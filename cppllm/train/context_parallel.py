"""Context-parallel training: N ranks share every sequence (`--context-parallel N`, under torchrun).

The model side (`cppllm.model.context_parallel`, Llama 3's all-gather CP, arXiv 2407.21783 section 3.3.2)
splits a sequence over a process group and gathers keys/values in attention. This is the trainer's side:

- data: the N ranks of a CP group (consecutive global ranks) read the same batch; the loaders see the
  data-parallel rank and size (`DistInfo.dp_rank`, `dp_size`), and each rank keeps its shard of x and y.
- loss: rank r's micro-batch loss is its summed token nats / (the group's scored targets / N). Summed
  over the group that is N x the group's mean loss; DDP/FSDP average gradients over all dp x N ranks, so
  the update is the mean over data-parallel groups of each group's mean-loss gradient: the plain
  data-parallel gradient. Gradients through other ranks' keys/values reach their owner in the gather's
  backward. The mean of the ranks' losses (what the trainer logs) is the data-parallel mean loss.
- eval: every rank scores its shard; nats and bytes summed over all ranks count each token once.
- what CP cannot do (other stages' loops, a sequence that does not split into 2N chunks) fails before
  training; what it only approximates (MoE's per-sequence balance loss and per-micro-batch capacity, which
  see a rank's chunks) is said in a warning and in config.json.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator

import torch
from torch import nn

from cppllm.model.config import GPTConfig
from cppllm.model.context_parallel import ContextParallel
from cppllm.train.config import TrainConfig
from cppllm.train.distributed import DistInfo, context_parallel_group

CP_STAGES = ("pretrain", "lcft")


def check_context_parallel(cfg: TrainConfig, info: DistInfo, model_cfg: GPTConfig) -> list[str]:
    """Raise where `cfg` cannot train context-parallel; return the approximations it makes (may be [])."""
    n = cfg.context_parallel
    if cfg.stage not in CP_STAGES:
        raise ValueError(
            f"--context-parallel supports --stage {' / '.join(CP_STAGES)}, not {cfg.stage} (sft rows are cut "
            "to their longest chat, rl and embed run their own loops)"
        )
    if info.cp_size != n:
        raise ValueError(f"--context-parallel {n} but the process group was set up for {info.cp_size}")
    if cfg.seq_len % (2 * n):
        raise ValueError(
            f"--seq-len {cfg.seq_len} is not a multiple of 2 x --context-parallel {n} = {2 * n} "
            "(each rank holds two equal chunks of every sequence)"
        )
    notes = []
    if model_cfg.n_routed_experts and model_cfg.aux_loss_alpha > 0:
        notes.append(
            "MoE sequence-wise balance loss (aux_loss_alpha) is computed on each rank's two chunks, "
            "not on the whole sequence"
        )
    if model_cfg.n_routed_experts and model_cfg.capacity_factor is not None:
        notes.append("MoE capacity (capacity_factor) is applied to each rank's tokens, not the micro-batch's")
    for note in notes:
        warnings.warn(f"--context-parallel {n}: {note} (approximate)", stacklevel=2)
    return notes


class SequenceSplit:
    """This rank's part of every sequence: model wiring, loss weighting and eval batches of CP training."""

    def __init__(self, info: DistInfo) -> None:
        self.size = info.cp_size
        self.cp = ContextParallel(context_parallel_group(info))

    def loss(self, module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """This rank's share of the full micro-batch (x, y) (B, T)'s mean loss, times N (see the module doc)."""
        xs, ys = self.cp.shard(x), self.cp.shard(y)
        scored, total = (ys != -1).sum(), (y != -1).sum().clamp(min=1)
        return module(xs, ys) * (scored * self.size / total)  # = module's mean for fully scored rows

    def shard_batches(
        self, batches: Iterable[tuple[torch.Tensor, torch.Tensor]]
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for x, y in batches:
            yield self.cp.shard(x), self.cp.shard(y)
