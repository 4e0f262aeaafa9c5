"""Local `.jsonl` / `.jsonl.gz` / `.parquet` files (or a folder of them) with a configurable text column.

Files are sharded across tasks by DataTrove's `BaseDiskReader` (one file belongs to one task). Rows go
through `rows.row_document`: `path`/`repo`/`version` columns are picked up when present (`rel_path`,
`max_stars_repo_name`, `commit_id`, ... see `RowLayout`), C/C++ selection by language and/or extension,
and bad rows (`empty`, `binary`, `invalid_utf8`, `too_large`, `invalid_json`) are counted drops.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from datatrove.pipeline.readers.base import BaseDiskReader

from cppllm.pipeline.readers.budget import task_share, within_budget
from cppllm.pipeline.readers.cppfiles import DEFAULT_MAX_FILE_BYTES
from cppllm.pipeline.readers.rows import SELECT_MODES, RowLayout, is_cpp_row, row_document

TABLE_SUFFIXES = (".jsonl", ".jsonl.gz", ".json.gz", ".ndjson", ".parquet")


def is_table_file(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(TABLE_SUFFIXES)


class LocalFileReader(BaseDiskReader):
    """Rows of local jsonl/parquet files as documents.

    Args:
        path: a file or a folder (searched recursively for jsonl/parquet files).
        text_column: the text column (default: the first of `text`, `content`).
        source: metadata `source` (default: the file or folder name without suffixes).
        select: C/C++ selection mode (`rows.SELECT_MODES`).
        byte_budget: bytes of text to read over all tasks; each task stops at its share (`budget.py`).
        allow_missing: `path` may not exist yet (a stage of the same run writes it); checked when run.
    """

    name = "🗂️ local jsonl/parquet"

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        text_column: str | None = None,
        source: str | None = None,
        select: str = "either",
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        batch_size: int = 1000,
        byte_budget: int | None = None,
        limit: int = -1,
        skip: int = 0,
        allow_missing: bool = False,
        **kwargs,
    ):
        p = Path(path).expanduser().resolve()
        self.path, self.allow_missing = p, allow_missing
        if not p.exists() and not allow_missing:
            raise FileNotFoundError(f"no such file or folder: {p}")
        if select not in SELECT_MODES:
            raise ValueError(f"select must be one of {SELECT_MODES}, got {select!r}")
        folder, pattern = (str(p.parent), p.name) if p.is_file() else (str(p), None)
        super().__init__(folder, limit=limit, skip=skip, glob_pattern=pattern, **kwargs)
        self.layout = RowLayout().with_text(text_column)
        self.text_column = text_column
        self.source = source or p.name.split(".")[0]
        self.select = select
        self.max_file_bytes = max_file_bytes
        self.batch_size = batch_size
        self.byte_budget = byte_budget
        self._task_budget: int | None = None

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        if not self.path.exists():  # `allow_missing`: an earlier stage of the run should have written it
            raise FileNotFoundError(f"no such file or folder: {self.path} (no stage of the run wrote it)")
        self._task_budget = task_share(self.byte_budget, world_size)
        return super().run(data, rank, world_size)

    def read_files_shard(self, shard: list[str]):
        def stop(read: int) -> None:
            self.stat_update("byte_budget_reached")

        return within_budget(super().read_files_shard(shard), self._task_budget, stop)

    def rows(self, filepath: str):
        if filepath.lower().endswith(".parquet"):
            import pyarrow.parquet as pq

            with self.data_folder.open(filepath, "rb") as f:
                pf = pq.ParquetFile(f)
                if self.text_column and self.text_column not in pf.schema_arrow.names:
                    raise ValueError(
                        f"{filepath}: no column {self.text_column!r} (columns: {pf.schema_arrow.names})"
                    )
                for batch in pf.iter_batches(batch_size=self.batch_size):
                    yield from batch.to_pylist()
            return
        with self.data_folder.open(filepath, "rb", compression="infer") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except UnicodeDecodeError:
                    yield "invalid_utf8"
                    continue
                except json.JSONDecodeError:
                    row = None
                yield row if isinstance(row, dict) else "invalid_json"

    def read_file(self, filepath: str):
        if not is_table_file(filepath):
            return
        for i, row in enumerate(self.rows(filepath)):
            if isinstance(row, str):  # a line that is not a JSON object: its drop reason
                self.stat_update("dropped", f"dropped_{row}")
                continue
            if not is_cpp_row(row, self.layout, self.select):
                self.stat_update("skipped_not_cpp")
                continue
            doc = row_document(
                row,
                self.layout,
                source=self.source,
                fallback_id=f"{filepath}/{i}",
                max_bytes=self.max_file_bytes,
            )
            if isinstance(doc, str):
                self.stat_update("dropped", f"dropped_{doc}")
                continue
            yield doc
