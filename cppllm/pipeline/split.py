"""Deterministic train/val split, grouped by repository or source tree.

Files of one repository share code, licence headers and near-copies; if some went to train and some to val,
the validation loss would reward memorisation. So the unit of the split is the group, not the file: every
document of a group lands on the same side. The group is the `repo` metadata (a repository or source-tree
id), or, without it, the source name plus the top directory of `path`.

A group goes to val when a hash of (seed, group) falls below `val_fraction`: the same answer on every
rerun and for any number of workers. A corpus of only a few groups could end up with no val at all; then
the group closest to that share of the tokens is held out instead (`val_mask`, recorded in the manifest).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

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


def group_hash(seed: int, key: str) -> int:
    """A 64-bit hash of (seed, group key); `group_hash / 2**64` is uniform in [0, 1)."""
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def unit_hash(seed: int, key: str) -> float:
    """A uniform number in [0, 1) that depends only on (seed, key)."""
    return group_hash(seed, key) / 2.0**64


def group_in_val(group: str, val_fraction: float, seed: int = 0) -> bool:
    """Whether the hash rule puts a group (a `group_key`) in val."""
    return val_fraction > 0.0 and unit_hash(seed, group) < val_fraction


def assign_split(metadata: Mapping[str, Any], val_fraction: float, seed: int = 0) -> Split:
    """`"val"` for a `val_fraction` share of the groups (chosen by hash), else `"train"`."""
    check_fraction(val_fraction)
    return "val" if group_in_val(group_key(metadata), val_fraction, seed) else "train"


def check_fraction(val_fraction: float) -> None:
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")


def val_mask(hashes: np.ndarray, tokens: np.ndarray, val_fraction: float) -> tuple[np.ndarray, bool]:
    """Per-document val flags from per-document group hashes (uint64) and token counts.

    The rule of `assign_split`, applied to a whole corpus at once, plus one guard: when the hash picks
    no group at all but `val_fraction > 0` and there are at least two groups (a small corpus with few
    repositories), the one group whose size is closest to `val_fraction` of the tokens (ties: lowest
    hash) becomes val. Returns (mask, whether that guard fired).
    """
    check_fraction(val_fraction)
    hashes = np.asarray(hashes, dtype=np.uint64)
    if val_fraction == 0.0 or not len(hashes):
        return np.zeros(len(hashes), dtype=bool), False
    mask = hashes.astype(np.float64) / 2.0**64 < val_fraction
    groups, inverse = np.unique(hashes, return_inverse=True)
    if mask.any() or len(groups) < 2:
        return mask, False
    group_tokens = np.bincount(inverse, weights=np.asarray(tokens, dtype=np.float64), minlength=len(groups))
    target = val_fraction * group_tokens.sum()
    pick = int(np.lexsort((groups, np.abs(group_tokens - target)))[0])
    return inverse == pick, True
