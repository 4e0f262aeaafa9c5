"""Process group set-up and model wrapping: one process, DDP, or FSDP2 (`fully_shard`), under torchrun.

torchrun sets RANK / WORLD_SIZE / LOCAL_RANK; without them the trainer runs as a single process. The
backend is NCCL on CUDA and gloo on CPU (so the multi-process path is tested on a laptop).

With context parallelism (`--context-parallel N`) every N consecutive ranks share one sequence: they form a
CP group and read the same batch, so the data-parallel rank/size (what the loaders see) is rank // N and
world / N. Consecutive ranks keep a CP group inside a node, where its per-layer all-gathers are cheapest.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from dataclasses import dataclass
from typing import NoReturn

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True, kw_only=True)
class DistInfo:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    cp_size: int = 1  # ranks per context-parallel group (consecutive ranks share one sequence)

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def dp_rank(self) -> int:
        """The data-parallel rank: which batch this rank reads (every rank of a CP group the same)."""
        return self.rank // self.cp_size

    @property
    def dp_size(self) -> int:
        """Data-parallel ranks: distinct batches per micro-step."""
        return self.world_size // self.cp_size

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def torchrun_world() -> int:
    """The number of ranks torchrun launched this process among (1: not launched by torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1")) if "RANK" in os.environ else 1


def init_distributed(device_name: str, context_parallel: int = 1) -> tuple[DistInfo, str]:
    """Join the torchrun process group if launched by torchrun; returns (info, device name for this rank)."""
    world = torchrun_world()
    if world % context_parallel or (context_parallel > 1 and world == 1):
        raise ValueError(
            f"--context-parallel {context_parallel} needs torchrun with a multiple of {context_parallel} "
            f"ranks (got {world}): the ranks of a CP group split each sequence between them"
        )
    if world <= 1:
        return DistInfo(), device_name
    info = DistInfo(
        rank=int(os.environ["RANK"]),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        world_size=world,
        cp_size=context_parallel,
    )
    use_cuda = device_name.startswith("cuda") or (device_name == "auto" and torch.cuda.is_available())
    if use_cuda:
        torch.cuda.set_device(info.local_rank)
        device_name = f"cuda:{info.local_rank}"
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return info, device_name


def context_parallel_group(info: DistInfo) -> dist.ProcessGroup:
    """This rank's CP group (ranks cp_size * dp_rank ...); collective: every rank creates every group."""
    group, _ = dist.new_subgroups(group_size=info.cp_size)
    return group


def shutdown_distributed() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def exit_process(code: int) -> NoReturn:
    """End the process with `code`. A rank of a multi-rank torchrun (`torchrun_world` > 1) runs the atexit
    handlers and flushes its output, then skips the interpreter's finalization (`os._exit`).

    Why: torch's gloo worker threads may still be about to drop the last reference to an all-reduce that
    DDP started during backward. That work holds a Python object (the context autograd stashes for
    backward), so dropping it takes the GIL, and taking the GIL once finalization has begun ends the thread
    and aborts the process ("terminate called without an active exception", exit -6) after a run that
    finished and saved (pytorch/pytorch#190489, open).
    `destroy_process_group` does not stop those threads: DDP keeps the group alive. Seen once on CI; a
    two-rank DDP script aborted in 4 of 40 runs on a loaded 2-core box, and in 0 of 40 with this exit.
    """
    if torchrun_world() <= 1:
        raise SystemExit(code)
    atexit._run_exitfuncs()  # what finalization would run first (logging.shutdown, library hooks)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed or broken pipe: nothing left to save
            stream.flush()
    os._exit(code)


def wrap_model(
    module: nn.Module, blocks: nn.ModuleList, info: DistInfo, *, fsdp: bool, device: torch.device
) -> nn.Module:
    """DDP (replicated) or FSDP2 (each block, then the root, sharded) over the process group."""
    if fsdp:
        from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

        mp = None
        if device.type == "cuda":
            mp = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
        kw = {"mp_policy": mp} if mp is not None else {}
        if not dist.is_initialized():  # one process: a 1-rank group so fully_shard has a mesh
            raise RuntimeError("--fsdp needs torchrun (it shards over the ranks of the process group)")
        for block in blocks:
            fully_shard(block, **kw)
        fully_shard(module, **kw)
        return module
    if info.enabled:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if device.type == "cuda" else None
        return DDP(module, device_ids=ids)
    return module


def all_reduce_mean(t: torch.Tensor, info: DistInfo) -> torch.Tensor:
    if info.enabled:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        t /= info.world_size
    return t


def all_reduce_sum(t: torch.Tensor, info: DistInfo) -> torch.Tensor:
    if info.enabled:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t
