"""Training stages and their lineage: a new run that starts from another run's weights.

    base (pretrain) -> lcft (long context, YaRN) -> sft (chat + reasoning) -> rl

`--init-from runs/base[/ckpt/step_N]` loads the parent's weights into a fresh run (new optimizer state,
new schedule, new data order). The model config is the parent's: a stage may only change what it exists
to change (`STAGE_MAY_CHANGE`: the context and RoPE scaling for `lcft`); anything else is an error, not a
silently different model. The tokenizer must be the parent's (same hash). The parent run, checkpoint, step
and stage are recorded in the child's `config.json` under `parent`, with the parent's own lineage, so a
user can follow base -> lcft -> sft -> rl from any run.
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from pathlib import Path
from typing import Any

from cppllm.layout import CKPT_DIR, find_checkpoint, find_tokenizer
from cppllm.model.checkpoint import load_state_dict
from cppllm.model.config import GPTConfig, get_preset
from cppllm.model.gpt import GPT
from cppllm.tokenizer.tokenizer import CppTokenizer
from cppllm.train.config import TrainConfig

STAGES = ("pretrain", "lcft", "sft", "rl")

# GPTConfig fields a stage may change relative to its parent (everything else must match).
_CONTEXT_FIELDS = frozenset(
    {
        "max_seq_len",
        "rope_scaling",
        "yarn_factor",
        "yarn_original_max_seq_len",
        "yarn_beta_fast",
        "yarn_beta_slow",
        "yarn_attention_factor",
    }
)
STAGE_MAY_CHANGE: dict[str, frozenset[str]] = {
    "pretrain": frozenset(),
    "lcft": _CONTEXT_FIELDS,
    "sft": frozenset(),
    "rl": frozenset(),
    "embed": frozenset(),  # cppllm.train.embed: the parent's GPT unchanged, plus a pooling head
}
# Never part of the comparison: the init seed does not matter once weights are loaded; the name is a label.
_IGNORED = frozenset({"init_seed", "name"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class Parent:
    """The checkpoint a run starts from, and what its run recorded."""

    ckpt: Path  # folder with config.json + model.safetensors
    run: Path  # the parent's run directory
    step: int | None
    config: dict[str, Any]  # the checkpoint's config.json

    @property
    def model(self) -> GPTConfig:
        return GPTConfig.from_dict(self.config["model"])

    @property
    def stage(self) -> str:
        return self.config.get("train", {}).get("stage", "pretrain")

    @property
    def preset(self) -> str | None:
        return self.config.get("train", {}).get("preset")

    @property
    def tokenizer_hash(self) -> str | None:
        return self.config.get("tokenizer_hash")

    @property
    def tokenizer_path(self) -> Path | None:
        """The tokenizer the parent trained with, if its folder still exists."""
        train = self.config.get("train", {})
        cands = [train.get("tokenizer")]
        for src in (self.config.get("data") or {}).values():  # runs that predate the resolved path
            cands.append(find_tokenizer(Path(src.get("prefix", ""))))
        for c in filter(None, cands):
            if (Path(c) / "tokenizer.json").is_file() or Path(c).is_file():
                return Path(c)
        return None

    def lineage(self) -> dict[str, Any]:
        """The `parent` entry of the child's config.json (nested: the parent's own parent, and so on)."""
        return {
            "run": str(self.run),
            "checkpoint": str(self.ckpt),
            "step": self.step,
            "stage": self.stage,
            "parent": self.config.get("parent"),
        }


def find_parent(path: str | Path) -> Parent:
    """The checkpoint of `--init-from`: a run dir (its latest checkpoint), a `ckpt/` dir or a step folder."""
    ckpt = find_checkpoint(path)
    if ckpt is None:
        raise FileNotFoundError(
            f"--init-from {path}: no checkpoint (config.json + model.safetensors) in it, its latest/ "
            "or its ckpt/latest/ (or ckpt/step_*)"
        )
    config = json.loads((ckpt / "config.json").read_text())
    if "model" not in config:
        raise ValueError(f"--init-from {path}: {ckpt}/config.json has no 'model' entry")
    run = ckpt.parent.parent if ckpt.parent.name == CKPT_DIR else ckpt
    step = config.get("step")
    return Parent(ckpt=ckpt, run=run, step=int(step) if step is not None else None, config=config)


def stage_model_config(
    parent: GPTConfig,
    stage: str,
    *,
    seq_len: int | None,
    rope_scaling: str | None,
    overrides: dict[str, Any],
) -> GPTConfig:
    """The child's model config: the parent's, with only the changes `stage` may make.

    `lcft` with `seq_len` N > the parent's context T: `rope_scaling="yarn"` extends with YaRN by N/T
    (`GPTConfig.with_yarn`), `rope_scaling=None` keeps plain RoPE and only raises `max_seq_len`.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    cfg = parent
    if seq_len is not None and seq_len > parent.max_seq_len:
        if stage != "lcft":
            raise ValueError(
                f"--seq-len {seq_len} > the parent's context {parent.max_seq_len}: extend the context in "
                "a long-context stage first (--stage lcft --rope-scaling yarn)"
            )
        if rope_scaling == "yarn":
            cfg = parent.with_yarn(seq_len / (parent.yarn_original_max_seq_len or parent.max_seq_len))
        else:
            cfg = dataclasses.replace(parent, max_seq_len=seq_len)
    elif rope_scaling is not None and stage == "lcft":
        raise ValueError(
            f"--rope-scaling {rope_scaling} needs --seq-len above the parent's {parent.max_seq_len}"
        )
    if overrides:
        cfg = GPTConfig.from_dict({**cfg.to_dict(), **overrides})
    check_stage_change(parent, cfg, stage)
    return cfg


def check_stage_change(parent: GPTConfig, child: GPTConfig, stage: str) -> None:
    """Raise if `child` differs from `parent` in a field `stage` may not change."""
    allowed = STAGE_MAY_CHANGE[stage] | _IGNORED
    a, b = parent.to_dict(), child.to_dict()
    bad = [k for k in a if k not in allowed and a[k] != b[k]]
    if bad:
        changes = ", ".join(f"{k}: {a[k]!r} -> {b[k]!r}" for k in bad)
        may = ", ".join(sorted(STAGE_MAY_CHANGE[stage])) or "nothing"
        raise ValueError(
            f"--init-from: the {stage} stage cannot change the model's {changes} "
            f"(it may change: {may}); the weights would not fit or would mean something else"
        )


def padded_vocab(n: int, multiple: int) -> int:
    return multiple * math.ceil(n / multiple) if multiple > 1 else n


def run_model_config(cfg: TrainConfig, tok: CppTokenizer, parent: Parent | None) -> GPTConfig:
    """The preset's config (vocabulary from the tokenizer), or the parent's with the stage's changes."""
    if parent is None:
        if cfg.stage != "pretrain" or cfg.rope_scaling is not None:
            raise ValueError(
                f"--stage {cfg.stage}{' --rope-scaling' if cfg.rope_scaling else ''} continues a trained "
                "model: pass --init-from RUN_OR_CHECKPOINT"
            )
        return get_preset(
            cfg.preset,
            **{
                "vocab_size": padded_vocab(tok.vocab_size, cfg.vocab_multiple),
                "init_seed": cfg.seed,
                **cfg.model_overrides,
            },
        )
    if parent.tokenizer_hash is not None and parent.tokenizer_hash != tok.hash():
        raise ValueError(
            f"--init-from {parent.ckpt}: the parent was trained with tokenizer {parent.tokenizer_hash[:12]}, "
            f"this run's is {tok.hash()[:12]}; use the parent's tokenizer (and data tokenized with it)"
        )
    if parent.preset is not None and cfg.preset != parent.preset:
        raise ValueError(f"--init-from: --preset {cfg.preset} differs from the parent's {parent.preset}")
    if parent.tokenizer_hash is None:
        warnings.warn(f"--init-from {parent.ckpt}: no tokenizer_hash recorded; not checked", stacklevel=2)
    return stage_model_config(
        parent.model,
        cfg.stage,
        seq_len=cfg.seq_len,
        rope_scaling=cfg.rope_scaling,
        overrides=cfg.model_overrides,
    )


def load_parent_weights(gpt: GPT, parent: Parent) -> None:
    """The parent's weights into `gpt` (same shapes; the RoPE tables follow `gpt`'s own config)."""
    state = load_state_dict(parent.ckpt)
    if gpt.config.tie_embeddings:
        state.pop("lm_head.weight", None)
    missing, unexpected = gpt.load_state_dict(state, strict=False)
    missing = [k for k in missing if not (gpt.config.tie_embeddings and k == "lm_head.weight")]
    if missing or unexpected:
        raise ValueError(
            f"--init-from {parent.ckpt}: weights do not fit: missing={missing} unexpected={unexpected}"
        )
