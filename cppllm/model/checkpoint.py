"""Model checkpoints on disk: the layout the trainer writes and export/eval read.

    DIR/config.json        {"model": <GPTConfig.to_dict()>, ...anything else (train config, step)}
                           (a bare GPTConfig dict is accepted too)
    DIR/model.safetensors  the model state dict (tied LM head stored once, as embed.weight), or
    DIR/model.pt           torch.save(state_dict) or torch.save({"model": state_dict, ...})

Keys are `GPT.state_dict()` names; `_orig_mod.` (torch.compile) and `module.` (DDP) prefixes are stripped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from cppllm.atomic import atomic_path, write_text
from cppllm.model.config import GPTConfig
from cppllm.model.gpt import GPT


def load_config(ckpt_dir: str | Path) -> GPTConfig:
    path = Path(ckpt_dir) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"no config.json in checkpoint directory {ckpt_dir}")
    data = json.loads(path.read_text())
    return GPTConfig.from_dict(data["model"] if "model" in data and isinstance(data["model"], dict) else data)


def _clean(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for k, v in state.items():
        for prefix in ("_orig_mod.", "module."):
            while k.startswith(prefix):
                k = k[len(prefix) :]
        out[k.replace("._orig_mod.", ".")] = v
    return out


def load_state_dict(ckpt_dir: str | Path) -> dict[str, torch.Tensor]:
    d = Path(ckpt_dir)
    if (d / "model.safetensors").is_file():
        from safetensors.torch import load_file

        return _clean(load_file(str(d / "model.safetensors")))
    if (d / "model.pt").is_file():
        obj = torch.load(d / "model.pt", map_location="cpu", weights_only=True)
        if isinstance(obj, dict) and "model" in obj and isinstance(obj["model"], dict):
            obj = obj["model"]
        return _clean(obj)
    raise FileNotFoundError(f"no model.safetensors or model.pt in checkpoint directory {ckpt_dir}")


def load_checkpoint_model(
    ckpt_dir: str | Path, *, map_location: str | torch.device = "cpu", **overrides: Any
) -> GPT:
    """The GPT stored in `ckpt_dir` (fp32, eval mode). `overrides` change the config, e.g. YaRN settings."""
    cfg = load_config(ckpt_dir)
    if overrides:
        cfg = GPTConfig.from_dict({**cfg.to_dict(), **overrides})
    model = GPT(cfg, init=False)
    state = load_state_dict(ckpt_dir)
    if cfg.tie_embeddings:
        state.pop("lm_head.weight", None)
        missing, unexpected = model.load_state_dict(state, strict=False)
        missing = [k for k in missing if k != "lm_head.weight"]
    else:
        missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"checkpoint {ckpt_dir} does not match its config: missing={missing} unexpected={unexpected}"
        )
    return model.float().to(map_location).eval()


def save_checkpoint_model(
    model: GPT, ckpt_dir: str | Path, extra_config: dict[str, Any] | None = None
) -> Path:
    """Write config.json + model.safetensors atomically (each via a temp file and os.replace)."""
    from safetensors.torch import save_file

    d = Path(ckpt_dir)
    d.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in _clean(model.state_dict()).items()}
    if model.config.tie_embeddings:
        state.pop("lm_head.weight", None)
    with atomic_path(d / "model.safetensors") as tmp:
        save_file(state, str(tmp))
    cfg = {**(extra_config or {}), "model": model.config.to_dict()}
    write_text(d / "config.json", json.dumps(cfg, indent=2, sort_keys=True))
    return d
