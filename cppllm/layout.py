"""The on-disk layout of data runs and training runs, and the one place that finds things in it.

A data run (`python -m pipelines.m0|m1|m2 --output DIR`):

    DIR/config.json        the run's resolved settings (`pipelines.runconfig`)
    DIR/docs/*.parquet     the documents after every filter and dedup
    DIR/tokenizer/         tokenizer.json (+ tokenizer_train.json)
    DIR/bin/{train,val}.bin/.idx, DIR/manifest.json     tokens (a mixture: DIR/bin/<source>/, DIR/mixture.json)
    DIR/provenance.json, DIR/stats.json, DIR/audit/, DIR/logs/<stage>/, DIR/work/

A training run (`python -m cppllm.train --out RUN`):

    RUN/config.json, RUN/ckpt/step_000100/{config.json, model.safetensors, optimizer.pt, trainer.pt}
    RUN/ckpt/latest -> step_000100

Train, eval, chat and the index all resolve `--data`, `--run` and `--init-from` through these functions,
so a folder that one accepts the others accept too. Standard library only: it sits below every package.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CKPT_DIR = "ckpt"
LATEST = "latest"
BIN_DIR = "bin"
TOKENIZER_DIR = "tokenizer"
MODEL_FILES = ("model.safetensors", "model.pt")


@dataclass(frozen=True)
class DataRunDir:
    """The folders and files of one data run (see the module docstring)."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def docs(self) -> Path:
        return self.root / "docs"

    @property
    def tokenizer(self) -> Path:
        return self.root / TOKENIZER_DIR

    @property
    def bin(self) -> Path:
        return self.root / BIN_DIR

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def stats(self) -> Path:
        return self.root / "stats.json"

    @property
    def audit(self) -> Path:
        return self.root / "audit"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def work(self) -> Path:
        return self.root / "work"


def step_dir_name(step: int) -> str:
    return f"step_{step:06d}"


def is_checkpoint(folder: Path, *, resumable: bool = False) -> bool:
    """`folder` holds a model checkpoint: config.json and weights (`resumable`: also trainer.pt)."""
    if not (folder / "config.json").is_file() or not any((folder / f).is_file() for f in MODEL_FILES):
        return False
    return not resumable or (folder / "trainer.pt").is_file()


def find_checkpoint(path: str | os.PathLike, *, resumable: bool = False) -> Path | None:
    """The checkpoint a path names: the folder itself, its `latest/`, its `ckpt/latest/`, else its newest
    `ckpt/step_*` (or `step_*`, for a `ckpt/` folder). None when there is none."""
    p = Path(path).expanduser()
    for cand in (p, p / LATEST, p / CKPT_DIR / LATEST):
        if is_checkpoint(cand, resumable=resumable):
            return cand.resolve()
    for parent in (p / CKPT_DIR, p):
        steps = sorted(q for q in parent.glob("step_*") if is_checkpoint(q, resumable=resumable))
        if steps:
            return steps[-1].resolve()
    return None


def _exists(prefix: Path) -> bool:
    return Path(f"{prefix}.bin").is_file() and Path(f"{prefix}.idx").is_file()


def find_split(path: str | os.PathLike, split: str) -> Path | None:
    """The `.bin/.idx` prefix of `split` that a `--data` path names: a data run's `DIR/bin/<split>`, a folder
    holding `<split>.bin/.idx`, the sibling `<split>` of a given prefix, or the prefix itself."""
    p = Path(path).expanduser()
    if p.suffix in (".bin", ".idx") and _exists(p.with_suffix("")):
        p = p.with_suffix("")
    for cand in (p / BIN_DIR / split, p / split, p.parent / split, p):
        if _exists(cand) and (cand == p or cand.name == split):
            return cand
    return None


def data_root(prefix: Path) -> Path:
    """The data run folder of a prefix: `DIR` for `DIR/bin/<split>`, else the prefix's own folder (a mixture
    source's `DIR/bin/<source>/`, which holds its manifest)."""
    return prefix.parent.parent if prefix.parent.name == BIN_DIR else prefix.parent


def find_tokenizer(path: str | os.PathLike) -> Path | None:
    """The tokenizer folder of a data run, given the run folder, a `bin/` folder or a prefix inside it."""
    p = Path(path).expanduser()
    for cand in (p / TOKENIZER_DIR, p.parent.parent / TOKENIZER_DIR, p.parent / TOKENIZER_DIR):
        if (cand / "tokenizer.json").is_file():
            return cand
    return None
