"""Per-task parquet shards: the documents that flow between pipeline stages, and the final `DIR/docs/`.

`ShardWriter` writes task `rank`'s documents to `FOLDER/{prefix}{rank:05d}.parquet` (always, even when empty, so
the next stage's task `rank` finds its input), through a temporary name and `os.replace`, so a killed
task never leaves a half shard. Columns: `text`, `id`, then one column per metadata key (`source`,
`path`, `repo`, `version` always; others as they appear; lists and dicts as JSON strings).

`ShardReader` reads exactly `FOLDER/{rank:05d}.parquet` for task `rank`, in row order, so a stage run
with the same number of tasks sees the same documents in the same order as the one that wrote them
(exact and near dedup rely on that). datatrove's `ParquetReader(text_key="text", id_key="id")` reads
the shards too: every other column becomes metadata.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from cppllm.atomic import atomic_path

__all__ = ["BASE_COLUMNS", "ShardReader", "ShardWriter", "shard_path"]

BASE_COLUMNS = ("source", "path", "repo", "version")
_BATCH_ROWS = 1000
_BATCH_CHARS = 64_000_000


def shard_path(folder: str | os.PathLike, rank: int, prefix: str = "") -> Path:
    return Path(folder) / f"{prefix}{rank:05d}.parquet"


def _column_value(v):
    if v is None or isinstance(v, str | int | float | bool):
        return v
    return json.dumps(v, sort_keys=True, default=str)


class ShardWriter(PipelineStep):
    """Writes this task's documents to `folder/{rank:05d}.parquet` atomically (see module docstring)."""

    type = "💽 - WRITER"
    name = "📦 parquet shard"

    def __init__(self, folder: str, *, prefix: str = "", progress: bool = False, compression: str = "zstd"):
        super().__init__()
        self.folder = str(folder)
        self.prefix = prefix
        self.progress = progress
        self.compression = compression

    def _table(self, rows: list[Document]):
        import pyarrow as pa

        keys = list(BASE_COLUMNS) + sorted({k for d in rows for k in d.metadata} - set(BASE_COLUMNS))
        cols = {
            "text": pa.array([d.text for d in rows], pa.string()),
            "id": pa.array([d.id for d in rows], pa.string()),
        }
        for k in keys:
            values = [_column_value(d.metadata.get(k)) for d in rows]
            try:
                arr = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types: keep them as text
                arr = pa.array([None if v is None else str(v) for v in values], pa.string())
            cols[k] = arr.cast(pa.string()) if pa.types.is_null(arr.type) else arr
        return pa.table(cols)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        import shutil

        import pyarrow.parquet as pq

        out = shard_path(self.folder, rank, self.prefix)
        parts_dir = out.with_name(f".{out.stem}.parts")
        shutil.rmtree(parts_dir, ignore_errors=True)
        parts_dir.mkdir(parents=True)
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(desc=f"task {rank}", unit=" docs", leave=False, dynamic_ncols=True)
        # Metadata keys are only known once documents arrive: write bounded batches as parts with their
        # own schemas, then join them under the union schema (missing values are nulls).
        batch: list[Document] = []
        chars, n_parts = 0, 0

        def flush():
            nonlocal batch, chars, n_parts
            pq.write_table(
                self._table(batch), parts_dir / f"{n_parts:06d}.parquet", compression=self.compression
            )
            n_parts += 1
            batch, chars = [], 0

        for doc in data or ():
            with self.track_time():
                batch.append(doc)
                chars += len(doc.text)
                self.stat_update("documents")
                self.stat_update("text_chars", value=len(doc.text))
                if bar is not None:
                    bar.update()
                if len(batch) >= _BATCH_ROWS or chars >= _BATCH_CHARS:
                    flush()
            yield doc
        if batch or n_parts == 0:
            flush()
        if bar is not None:
            bar.close()
        self._join(sorted(parts_dir.glob("*.parquet")), out)
        shutil.rmtree(parts_dir, ignore_errors=True)

    def _join(self, parts: list[Path], out: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schemas = [pq.read_schema(p) for p in parts]
        try:
            union = pa.unify_schemas(schemas, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a key with different types in different parts
            names = dict.fromkeys(n for s in schemas for n in s.names)
            union = pa.schema([(n, pa.string()) for n in names])
        names = ["text", "id", *BASE_COLUMNS]
        names += sorted(set(union.names) - set(names))
        schema = pa.schema([union.field(n) for n in names])
        with atomic_path(out) as tmp, pq.ParquetWriter(tmp, schema, compression=self.compression) as writer:
            for p in parts:
                t = pq.read_table(p)
                cols = [
                    t.column(n).cast(schema.field(n).type)
                    if n in t.column_names
                    else pa.nulls(len(t), schema.field(n).type)
                    for n in names
                ]
                writer.write_table(pa.Table.from_arrays(cols, schema=schema), row_group_size=_BATCH_ROWS)


class ShardReader(PipelineStep):
    """Reads task `rank`'s shard `folder/{rank:05d}.parquet` in row order (see module docstring)."""

    type = "📖 - READER"
    name = "📦 parquet shard"

    def __init__(self, folder: str):
        super().__init__()
        self.folder = str(folder)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        import pyarrow.parquet as pq

        if data:
            yield from data
        path = shard_path(self.folder, rank)
        if not path.exists():
            raise FileNotFoundError(
                f"{path}: missing input shard (was the previous stage run with the same --tasks?)"
            )
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=_BATCH_ROWS):
            for row in batch.to_pylist():
                text, doc_id = row.pop("text"), row.pop("id")
                self.stat_update("documents")
                yield Document(text=text, id=doc_id, metadata={k: v for k, v in row.items() if v is not None})
