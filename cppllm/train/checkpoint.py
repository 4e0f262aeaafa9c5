"""Training checkpoints: atomic, complete (model, optimizers, schedule, RNG, loader position), resumable.

    runs/NAME/ckpt/step_000100/
        config.json        {"model": GPTConfig, "train": TrainConfig, "step", "tokens_seen", "world_size"}
        model.safetensors  the model, in `cppllm.model.checkpoint`'s layout (export/eval load this folder)
        optimizer.pt       optimizer state keyed by parameter name (torch.distributed.checkpoint's
                           full state dict: the same file loads into 1 process, DDP or FSDP2)
        trainer.pt         schedule, data loader position, per-rank RNG states, step
    runs/NAME/ckpt/latest -> step_000100

A checkpoint is written to `.step_000100.tmp/` and renamed into place, then `latest` is swapped with a
rename, so a crash mid-save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from cppllm import layout
from cppllm.atomic import atomic_path
from cppllm.layout import CKPT_DIR, LATEST, step_dir_name


def rng_state() -> dict[str, Any]:
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def _full_state_dicts(module: nn.Module, optimizers: list[torch.optim.Optimizer]):
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        get_model_state_dict,
        get_optimizer_state_dict,
    )

    opts = StateDictOptions(full_state_dict=True, cpu_offload=True)
    return get_model_state_dict(module, options=opts), get_optimizer_state_dict(
        module, optimizers, options=opts
    )


def _atomic_torch_save(obj: Any, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def save_train_checkpoint(
    run_dir: Path,
    *,
    step: int,
    module: nn.Module,
    model_prefix: str,
    optimizers: list[torch.optim.Optimizer],
    config: dict[str, Any],
    trainer_state: dict[str, Any],
    keep: int,
    tie_embeddings: bool,
) -> Path | None:
    """Collective: every rank calls it. Rank 0 writes `run_dir/ckpt/step_XXXXXX`; returns it (rank 0)."""
    from safetensors.torch import save_file

    model_sd, optim_sd = _full_state_dicts(module, optimizers)
    rngs = [rng_state()]
    rank = 0
    if _distributed():
        rank = dist.get_rank()
        rngs = [None] * dist.get_world_size()
        dist.all_gather_object(rngs, rng_state())
    final = run_dir / CKPT_DIR / step_dir_name(step)
    if rank == 0:
        state = {}
        for k, v in model_sd.items():
            if k.startswith(model_prefix):
                k = k[len(model_prefix) :]
            state[k] = v.detach().contiguous().cpu()
        if tie_embeddings:
            state.pop("lm_head.weight", None)  # stored once, as embed.weight (the model layout)
        tmp = final.with_name("." + final.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        save_file(state, str(tmp / "model.safetensors"))
        torch.save(optim_sd, tmp / "optimizer.pt")
        torch.save({**trainer_state, "step": step, "rng": rngs}, tmp / "trainer.pt")
        (tmp / "config.json").write_text(json.dumps({**config, "step": step}, indent=2, sort_keys=True))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        link = run_dir / CKPT_DIR / LATEST
        tmp_link = link.with_name(".latest.tmp")
        if tmp_link.is_symlink() or tmp_link.exists():
            tmp_link.unlink()
        os.symlink(final.name, tmp_link)
        os.replace(tmp_link, link)
        _prune(run_dir / CKPT_DIR, keep)
    if _distributed():
        dist.barrier()
    return final if rank == 0 else None


def _prune(ckpt_root: Path, keep: int) -> None:
    if keep <= 0:
        return
    steps = sorted(p for p in ckpt_root.glob("step_*") if p.is_dir())
    for old in steps[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def find_checkpoint(path: str | Path) -> Path | None:
    """A resumable checkpoint from a run dir, its `ckpt/` dir, `latest`, or a step folder; None if none."""
    return layout.find_checkpoint(path, resumable=True)


def load_trainer_files(ckpt: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config.json, trainer.pt) of a checkpoint."""
    config = json.loads((ckpt / "config.json").read_text())
    trainer = torch.load(ckpt / "trainer.pt", map_location="cpu", weights_only=False)
    return config, trainer


def load_optimizer_state(module: nn.Module, optimizers: list[torch.optim.Optimizer], ckpt: Path) -> None:
    """Collective under torch.distributed: rank 0 reads the full state and broadcasts/shards it."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

    if _distributed():
        state = torch.load(ckpt / "optimizer.pt", map_location="cpu") if dist.get_rank() == 0 else {}
        opts = StateDictOptions(full_state_dict=True, broadcast_from_rank0=True)
        set_optimizer_state_dict(module, optimizers, state, options=opts)
    else:
        set_optimizer_state_dict(module, optimizers, torch.load(ckpt / "optimizer.pt", map_location="cpu"))
