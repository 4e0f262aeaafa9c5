"""Exact deduplication on a hash of the normalized text, across all sources and any number of tasks.

A hash-partitioned scheme in three DataTrove steps (the shape of datatrove's exact-dedup stages, with a
survivor rule that does not depend on how documents were split into tasks or sources):

1. `ExactDedupSignature` (in each source's processing stage, N tasks; documents pass through): one row
   per document, a 128-bit BLAKE2b of its text, its source priority and its id:
   `WORK/sigs/{prefix}_{rank:05d}.parquet` (`prefix` tells sources apart).
2. `ExactDedupFind` (B tasks, B >= 1): task `b` takes the rows whose hash falls in bucket `b`
   (`hash % B`), sorts them by (hash, -priority, id) and keeps the first of each hash; the ids of the
   others go to `WORK/dups/{b:05d}.parquet`. One bucket is in memory at a time.
3. `ExactDedupFilter` (any tasks, any reader): drops the documents whose id is listed, counting
   `dropped_exact_duplicate`.

Survivor: the copy from the highest-priority source, then the smallest document id, so the same copy
survives whatever the task count. Document ids must be unique (readers give `<source>/<path>` ids).
Every file is written under a temporary name and renamed, so a killed task leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter

from cppllm.atomic import atomic_path

__all__ = ["ExactDedupFilter", "ExactDedupFind", "ExactDedupSignature", "find_duplicates", "text_hash"]


def text_hash(text: str) -> bytes:
    """16-byte BLAKE2b digest of the UTF-8 text (lone surrogates passed through)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _bucket(h: bytes, buckets: int) -> int:
    return int.from_bytes(h[:8], "little") % buckets


def _write_parquet(table, path: Path) -> None:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def find_duplicates(rows: list[tuple[bytes, int, str]]) -> list[str]:
    """Ids to drop among (hash, priority, id) rows: all but the highest-priority, smallest-id copy."""
    drop, last = [], None
    for h, _, doc_id in sorted(rows, key=lambda r: (r[0], -r[1], r[2])):
        if h == last:
            drop.append(doc_id)
        last = h
    return drop


class ExactDedupSignature(PipelineStep):
    """Stage 1: record (hash, priority, id) of every document; documents pass through unchanged."""

    type = "🫂 - DEDUP"
    name = "🎯 exact dedup: signatures"

    def __init__(
        self,
        work_dir: str | os.PathLike,
        *,
        prefix: str = "00",
        source_priority: Mapping[str, int] | None = None,
        default_priority: int = 0,
    ):
        super().__init__()
        self.work_dir = str(work_dir)
        self.prefix = prefix
        self.source_priority = dict(source_priority or {})
        self.default_priority = default_priority

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        import pyarrow as pa

        hashes, prios, ids = [], [], []
        for doc in data or ():
            with self.track_time():
                hashes.append(text_hash(doc.text))
                prios.append(self.source_priority.get(doc.metadata.get("source", ""), self.default_priority))
                ids.append(str(doc.id))
                self.stat_update("hashed")
            yield doc
        table = pa.table(
            {
                "hash": pa.array(hashes, pa.binary(16)),
                "priority": pa.array(prios, pa.int64()),
                "id": pa.array(ids, pa.string()),
            }
        )
        _write_parquet(table, Path(self.work_dir, "sigs", f"{self.prefix}_{rank:05d}.parquet"))


class ExactDedupFind(PipelineStep):
    """Stage 2 (task = hash bucket): list the ids of every copy but the survivor."""

    type = "🫂 - DEDUP"
    name = "🎯 exact dedup: find"

    def __init__(self, work_dir: str | os.PathLike):
        super().__init__()
        self.work_dir = str(work_dir)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if data:
            yield from data
        rows: list[tuple[bytes, int, str]] = []
        with self.track_time():
            for f in sorted(Path(self.work_dir, "sigs").glob("*.parquet")):
                t = pq.read_table(f)
                for h, p, i in zip(
                    t.column("hash").to_pylist(),
                    t.column("priority").to_pylist(),
                    t.column("id").to_pylist(),
                    strict=True,
                ):
                    if world_size == 1 or _bucket(h, world_size) == rank:
                        rows.append((h, p, i))
            drop = find_duplicates(rows)
            self.stat_update("signatures", value=len(rows))
            self.stat_update("duplicates", value=len(drop))
        _write_parquet(
            pa.table({"id": pa.array(sorted(drop), pa.string())}),
            Path(self.work_dir, "dups", f"{rank:05d}.parquet"),
        )


class ExactDedupFilter(BaseFilter):
    """Stage 3: drop the documents stage 2 listed (`dropped_exact_duplicate`)."""

    name = "🎯 exact dedup: filter"

    def __init__(self, work_dir: str | os.PathLike):
        super().__init__()
        self.work_dir = str(work_dir)
        self._drop: set[str] | None = None

    def _load(self) -> set[str]:
        import pyarrow.parquet as pq

        drop: set[str] = set()
        for f in sorted(Path(self.work_dir, "dups").glob("*.parquet")):
            drop.update(pq.read_table(f).column("id").to_pylist())
        return drop

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if self._drop is None:
            self._drop = self._load()
        if str(doc.id) in self._drop:
            return False, "exact_duplicate"
        return True
