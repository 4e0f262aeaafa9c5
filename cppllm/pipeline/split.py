"""Deterministic train/val split, grouped by repository or source tree, finer when a corpus has too few.

Files of one repository share code, licence headers and near-copies; if some went to train and some to val,
the validation loss would reward memorisation. So the unit of the split is the group, not the file: every
document of a group lands on the same side. The group is the `repo` metadata (a repository or source-tree
id), or, without it, the source name plus the top directory of `path`.

A group goes to val when a hash of (seed, group) falls below `val_fraction`: the same answer on every
rerun and for any number of workers. A corpus of only a few groups could end up with no val at all; then
the group closest to that share of the bytes is held out instead (`val_mask`, recorded in the manifest).

One tarball, one directory or one checkout is a single group, and a handful of repositories can only give
a val share far from the one asked. So `plan_split` looks at the whole corpus (bytes per group) and, when
the repository grouping has fewer than `TRUSTED_VAL_GROUPS / val_fraction` groups and misses the asked
share by more than `SHARE_TOLERANCE`x, falls back to a finer grouping that still keeps related files
together: the top-level directory inside the repository (`top_dir`), then the directory (`dir`). At those
levels groups are taken in hash order while they fit in `val_fraction` of the bytes, so the share lands
close to the one asked.
The plan is a pure function of (documents' metadata and byte sizes, fraction, seed): the `.bin` writer
and the tokenizer's model-val exclusion (`cppllm.tokenizer.data`) compute the same plan from the same
documents, and the manifest records the grouping used (`SplitPlan.to_json`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Split = Literal["train", "val"]
SPLITS: tuple[Split, ...] = ("train", "val")
GROUPINGS: tuple[str, ...] = ("repo", "top_dir", "dir")  # coarsest first; `group_keys` gives one key each
GROUPING_TEXT = {
    "repo": "repo, else source + top directory of path",
    "top_dir": "repo (else source) + top-level directory of path",
    "dir": "repo (else source) + directory of path",
}
DEFAULT_VAL_FRACTION = 0.01  # share of repository groups held out for validation (every writer's default)
SHARE_TOLERANCE = 2.0  # a val share in [f / 2, 2 f] (of the bytes) counts as reaching the asked fraction f
# with n * f >= 10 repositories expected in val (a large corpus), the hash rule is kept whatever the share
TRUSTED_VAL_GROUPS = 10


def group_key(metadata: Mapping[str, Any]) -> str:
    """The split group of a document: `repo`, else `source` + top directory of `path`."""
    repo = metadata.get("repo")
    if repo:
        return f"repo:{repo}"
    source = metadata.get("source") or ""
    path = str(metadata.get("path") or "").replace("\\", "/").lstrip("/")
    top = path.split("/", 1)[0] if "/" in path else ""
    return f"tree:{source}/{top}"


def group_keys(metadata: Mapping[str, Any]) -> tuple[str, str, str]:
    """A document's group at each of `GROUPINGS`: `group_key`, then + top directory, then + directory."""
    coarse = group_key(metadata)
    dirs = str(metadata.get("path") or "").replace("\\", "/").lstrip("/").split("/")[:-1]
    return coarse, f"{coarse}|top:{dirs[0] if dirs else ''}", f"{coarse}|dir:{'/'.join(dirs)}"


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


def val_mask(hashes: np.ndarray, sizes: np.ndarray, val_fraction: float) -> tuple[np.ndarray, bool]:
    """Per-document val flags from per-document group hashes (uint64) and sizes (bytes or tokens).

    The rule of `assign_split`, applied to a whole corpus at once, plus one guard: when the hash picks
    no group at all but `val_fraction > 0` and there are at least two groups (a small corpus with few
    repositories), the one group whose size is closest to `val_fraction` of the total (ties: lowest
    hash) becomes val. Returns (mask, whether that guard fired).
    """
    check_fraction(val_fraction)
    hashes = np.asarray(hashes, dtype=np.uint64)
    groups, inverse = np.unique(hashes, return_inverse=True)
    sizes = np.bincount(inverse, weights=np.asarray(sizes, dtype=np.float64), minlength=len(groups))
    mask, closest = _by_hash(groups, sizes, val_fraction)
    return mask[inverse], closest


def _by_hash(groups: np.ndarray, sizes: np.ndarray, val_fraction: float) -> tuple[np.ndarray, bool]:
    """Group flags of the hash rule (plus the closest-group guard of `val_mask`)."""
    if val_fraction == 0.0 or not len(groups):
        return np.zeros(len(groups), dtype=bool), False
    mask = groups.astype(np.float64) / 2.0**64 < val_fraction
    if mask.any() or len(groups) < 2:
        return mask, False
    return _closest(groups, sizes, val_fraction * sizes.sum()), True


def _by_fill(groups: np.ndarray, sizes: np.ndarray, val_fraction: float) -> tuple[np.ndarray, bool]:
    """Group flags of the finer groupings: in hash order, every group that still fits in the asked share."""
    mask = np.zeros(len(groups), dtype=bool)
    if val_fraction == 0.0 or len(groups) < 2:
        return mask, False
    target, taken = val_fraction * sizes.sum(), 0.0
    for i in np.argsort(groups, kind="stable"):  # hash order: a seeded shuffle of the groups
        if taken + sizes[i] <= target:
            mask[i] = True
            taken += sizes[i]
    if mask.any():
        return mask, False
    return _closest(groups, sizes, target), True  # every group is larger than the asked share


def _closest(groups: np.ndarray, sizes: np.ndarray, target: float) -> np.ndarray:
    mask = np.zeros(len(groups), dtype=bool)
    mask[int(np.lexsort((groups, np.abs(sizes - target)))[0])] = True
    return mask


def group_table(hashes: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique group hashes, bytes per group) from per-document hashes and byte sizes."""
    groups, inverse = np.unique(np.asarray(hashes, dtype=np.uint64), return_inverse=True)
    return groups, np.bincount(inverse, weights=np.asarray(sizes, dtype=np.float64), minlength=len(groups))


class GroupTally:
    """Bytes per group at every grouping, added document by document (`plan_split` over a stream)."""

    def __init__(self, seed: int = 0):
        self.seed = seed
        self._sizes: list[dict[int, int]] = [{} for _ in GROUPINGS]

    def add(self, keys: Sequence[str], n_bytes: int) -> None:
        """One document: its `group_keys` and its UTF-8 size."""
        for sizes, key in zip(self._sizes, keys, strict=True):
            h = group_hash(self.seed, key)
            sizes[h] = sizes.get(h, 0) + n_bytes

    def plan(self, val_fraction: float) -> SplitPlan:
        tables = []
        for sizes in self._sizes:
            groups = np.fromiter(sorted(sizes), dtype=np.uint64, count=len(sizes))
            tables.append((groups, np.asarray([sizes[int(g)] for g in groups], dtype=np.float64)))
        return plan_split(tables, val_fraction, self.seed)


@dataclass(frozen=True, kw_only=True)
class SplitPlan:
    """Which grouping the split uses and which of its groups are val (see the module docstring)."""

    val_fraction: float
    seed: int
    grouping: str  # one of GROUPINGS
    groups: int
    val_groups: frozenset[int]  # group hashes at `grouping`
    val_share: float  # of the bytes
    closest_held_out: bool  # no group fitted the rule: the one closest to the asked share was taken
    tried: tuple[dict, ...]  # per grouping looked at: groups, val_groups, val_share

    @property
    def level(self) -> int:
        """Index of `grouping` in `GROUPINGS` (and in `group_keys`)."""
        return GROUPINGS.index(self.grouping)

    def mask(self, hashes: np.ndarray) -> np.ndarray:
        """Per-document val flags from per-document group hashes at `grouping`."""
        val = np.fromiter(self.val_groups, dtype=np.uint64, count=len(self.val_groups))
        return np.isin(np.asarray(hashes, dtype=np.uint64), val)

    @property
    def warning(self) -> str | None:
        """A line for the run summary when val is empty or far from the asked share; None when fine."""
        f = self.val_fraction
        if f == 0.0:
            return None
        where = f"{len(self.val_groups)} of {self.groups} group(s) by {self.grouping}"
        if not self.val_groups:  # only when every grouping has a single group (or none)
            counts = ", ".join(f"{t['grouping']} {t['groups']}" for t in self.tried)
            return (
                f"val split is EMPTY: --val-fraction {f} asked, but the corpus is one group at every "
                f"grouping tried ({counts}: all files in one directory, which is never split); "
                "no validation bits per byte"
            )
        if not f / SHARE_TOLERANCE <= self.val_share <= f * SHARE_TOLERANCE:
            size = "undersized" if self.val_share < f else "oversized"
            return f"val split is {size}: {self.val_share:.2%} of the bytes, {f:.2%} asked ({where})"
        return None

    def to_json(self) -> dict:
        out = {
            "val_fraction": self.val_fraction,
            "seed": self.seed,
            "grouping": self.grouping,
            "group_by": GROUPING_TEXT[self.grouping],
            "groups": self.groups,
            "val_groups": len(self.val_groups),
            "val_share_bytes": round(self.val_share, 6),
            "fallback_group_held_out": self.closest_held_out,
            "groupings_tried": list(self.tried),
        }
        if self.warning:
            out["warning"] = self.warning
        return out


def plan_split(
    tables: Sequence[tuple[np.ndarray, np.ndarray]], val_fraction: float, seed: int = 0
) -> SplitPlan:
    """The split of a corpus from its `group_table` at each of `GROUPINGS` (coarsest first).

    The repository grouping is kept when it has at least `TRUSTED_VAL_GROUPS / val_fraction` groups (the
    hash rule, as for any large corpus) or its val share is within `SHARE_TOLERANCE`x of `val_fraction`;
    else the next finer grouping is tried (groups filled in hash order up to the share). When none is
    within tolerance, the one closest to the asked share (coarsest on ties) is used and `warning` says so.
    """
    check_fraction(val_fraction)
    if len(tables) != len(GROUPINGS):
        raise ValueError(f"one group table per grouping {GROUPINGS}, got {len(tables)}")
    tried: list[tuple[str, np.ndarray, np.ndarray, float, bool]] = []
    chosen = None
    for level, (name, (groups, sizes)) in enumerate(zip(GROUPINGS, tables, strict=True)):
        mask, closest = (_by_hash if level == 0 else _by_fill)(groups, sizes, val_fraction)
        total = float(sizes.sum())
        share = float(sizes[mask].sum()) / total if total else 0.0
        tried.append((name, groups, mask, share, closest))
        enough = level == 0 and len(groups) * val_fraction >= TRUSTED_VAL_GROUPS
        if val_fraction == 0.0 or enough or _off_by(share, val_fraction) <= math.log(SHARE_TOLERANCE):
            chosen = tried[-1]
            break
    if chosen is None:  # min keeps the first (coarsest) of equally far ones
        chosen = min(tried, key=lambda t: _off_by(t[3], val_fraction))
    name, groups, mask, share, closest = chosen
    return SplitPlan(
        val_fraction=val_fraction,
        seed=seed,
        grouping=name,
        groups=len(groups),
        val_groups=frozenset(int(h) for h in groups[mask]),
        val_share=share,
        closest_held_out=closest,
        tried=tuple(
            {"grouping": n, "groups": len(g), "val_groups": int(m.sum()), "val_share_bytes": round(s, 6)}
            for n, g, m, s, _ in tried
        ),
    )


def _off_by(share: float, val_fraction: float) -> float:
    """How far a val share is from the asked one, as |log ratio| (inf for an empty val)."""
    return abs(math.log(share / val_fraction)) if share > 0 and val_fraction > 0 else math.inf
