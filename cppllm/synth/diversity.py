"""Diversity of generated documents: which taxonomy cells they cover, and how many are near-duplicates.

Near-duplicates are found as in the pipeline's near-dedup: MinHash (datasketch) over word 5-gram shingles,
LSH at a Jaccard threshold (default 0.7); a document counts when it has at least one partner above it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_WORD = re.compile(r"\w+|[^\w\s]")


def shingles(text: str, n: int = 5) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {" ".join(words).encode()}
    return {" ".join(words[i : i + n]).encode() for i in range(len(words) - n + 1)}


def near_duplicates(texts: Sequence[str], threshold: float = 0.7, num_perm: int = 128) -> int:
    """How many of `texts` have a near-duplicate (estimated Jaccard >= threshold) among the others."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    hashes = []
    for i, t in enumerate(texts):
        m = MinHash(num_perm=num_perm, seed=1)
        m.update_batch(list(shingles(t)))
        hashes.append(m)
        lsh.insert(str(i), m)
    dup = 0
    for i, m in enumerate(hashes):
        if any(k != str(i) and hashes[int(k)].jaccard(m) >= threshold for k in lsh.query(m)):
            dup += 1
    return dup


def diversity(texts: Sequence[str], metas: Sequence[dict], n_topics: int, threshold: float = 0.7) -> dict:
    """Distinct topics / (topic, level, format) cells covered and the near-duplicate count and share."""
    topics = {m.get("topic") for m in metas}
    cells = {(m.get("topic"), m.get("level"), m.get("format")) for m in metas}
    dups = near_duplicates(texts, threshold) if texts else 0
    return {
        "documents": len(texts),
        "distinct_topics": len(topics),
        "taxonomy_topics": n_topics,
        "topic_coverage": len(topics) / n_topics if n_topics else None,
        "distinct_cells": len(cells),
        "near_duplicate_docs": dups,
        "near_duplicate_share": dups / len(texts) if texts else None,
        "near_duplicate_threshold": threshold,
    }
