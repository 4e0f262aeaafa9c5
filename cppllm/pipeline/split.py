"""Deterministic train/val split, grouped by repository or source tree.

Files of one repository share code, licence headers and near-copies; if some went to train and some to val,
the validation loss would reward memorisation. So the unit of the split is the group, not the file: every
document of a group lands on the same side. The group is the `repo` metadata (a repository or source-tree
id), or, without it, the source name plus the top directory of `path`.

A group goes to val when a hash of (seed, group) falls below `val_fraction`: no state, no coordination
between workers, the same answer on every rerun and for any number of workers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Literal

Split = Literal["train", "val"]
SPLITS: tuple[Split, ...] = ("train", "val")


def group_key(metadata: Mapping[str, Any]) -> str:
    """The split group of a document: `repo`, else `source` + top directory of `path`."""
    repo = metadata.get("repo")
    if repo:
        return f"repo:{repo}"
    source = metadata.get("source") or ""
    path = str(metadata.get("path") or "").replace("\\", "/").lstrip("/")
    top = path.split("/", 1)[0] if "/" in path else ""
    return f"tree:{source}/{top}"


def unit_hash(seed: int, key: str) -> float:
    """A uniform number in [0, 1) that depends only on (seed, key)."""
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2.0**64


def assign_split(metadata: Mapping[str, Any], val_fraction: float, seed: int = 0) -> Split:
    """`"val"` for a `val_fraction` share of the groups (chosen by hash), else `"train"`."""
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    if val_fraction == 0.0:
        return "train"
    return "val" if unit_hash(seed, group_key(metadata)) < val_fraction else "train"
