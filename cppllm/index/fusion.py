"""Hybrid search: one ranking from a dense and a BM25 ranking, with a weight on the dense side.

Two fusion functions (both compared by Bruch et al., "An Analysis of Fusion Functions for Hybrid
Retrieval", arXiv 2210.11934):
- `rrf`: weighted reciprocal rank fusion (Cormack et al., SIGIR 2009), score = w / (60 + rank_dense) +
  (1 - w) / (60 + rank_bm25); w = 0.5 is plain RRF;
- `convex`: each list's scores min-max normalised over its returned top list (a chunk missing from a list
  scores 0 there), score = w * dense + (1 - w) * bm25.
w = 1 keeps the dense order, w = 0 the BM25 order (chunks the other list found follow). The weight is a
setting of the index (`index.json` "fusion"), chosen on a dev split of repositories by
`python -m cppllm.eval.retrieval --dev-index DEV --write-fusion`, never on the repositories it is
measured on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

FUSIONS = ("rrf", "convex")
RRF_K = 60


@dataclass(frozen=True, kw_only=True)
class Fusion:
    method: str = "rrf"
    dense_weight: float = 0.5

    def __post_init__(self) -> None:
        if self.method not in FUSIONS:
            raise ValueError(f"fusion method must be one of {FUSIONS}, got {self.method!r}")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError(f"dense_weight must be in [0, 1], got {self.dense_weight}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_meta(cls, meta: dict[str, Any] | None) -> Fusion:
        """The fusion recorded in an index's `index.json` (plain RRF when none is)."""
        meta = meta or {}
        return cls(method=meta.get("method", "rrf"), dense_weight=float(meta.get("dense_weight", 0.5)))


def candidate_depth(k: int) -> int:
    """How deep each list is read before fusing, for `k` fused results."""
    return max(100, 4 * k)


def _normalised(ids: Sequence[int], scores: Sequence[float]) -> dict[int, float]:
    pairs = [(int(i), float(s)) for i, s in zip(ids, scores, strict=True) if i >= 0]
    if not pairs:
        return {}
    lo, hi = min(s for _, s in pairs), max(s for _, s in pairs)
    return {i: (s - lo) / (hi - lo) if hi > lo else 1.0 for i, s in pairs}


def fuse(
    dense: tuple[Sequence[int], Sequence[float]],
    bm25: tuple[Sequence[int], Sequence[float]],
    fusion: Fusion,
    k: int,
) -> list[tuple[int, float]]:
    """The `k` best (chunk id, fused score) of one query's dense and BM25 (ids, scores), best first;
    ids < 0 are empty slots. Equal fused scores go by rank in the list with the larger weight (so a list's
    lowest score, normalised to 0 like an absent chunk, still ranks above absent chunks)."""
    w = fusion.dense_weight
    lead = dense[0] if w >= 0.5 else bm25[0]
    lead_rank = {int(i): r for r, i in reversed(list(enumerate(lead))) if i >= 0}
    fused: dict[int, float] = {}
    if fusion.method == "rrf":
        for weight, (ids, _) in ((w, dense), (1.0 - w, bm25)):
            for r, i in enumerate(int(i) for i in ids if i >= 0):
                fused[i] = fused.get(i, 0.0) + weight / (RRF_K + r + 1)
    else:
        for weight, (ids, scores) in ((w, dense), (1.0 - w, bm25)):
            for i, s in _normalised(ids, scores).items():
                fused[i] = fused.get(i, 0.0) + weight * s
    return sorted(fused.items(), key=lambda kv: (-kv[1], lead_rank.get(kv[0], len(lead))))[:k]
