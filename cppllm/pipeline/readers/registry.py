"""`make_reader(NAME_OR_PATH, **opts)`: one entry point from a `--source` string to a DataTrove reader.

Resolution order:
    None / "embedded"                      -> the embedded default corpus (g++ and torch C++ headers)
    a known Hugging Face source name       -> `HF_SOURCES` (e.g. "the-stack-dedup", "nemotron-code-v1")
    http(s):// or file:// URL              -> download (resumable, `sha256=` optional) + safe extraction
    a .tar.gz/.tgz/.tar.xz/.tar.bz2/.zip   -> safe extraction of a local archive
    a .jsonl/.jsonl.gz/.parquet file, or a folder holding only such files -> `LocalFileReader`
    any other local directory              -> C/C++ files of the source tree
Options are passed to the reader's constructor; an option it does not take is an error. `max_docs` and
`max_bytes` draw a deterministic global subset of trees (embedded, directory, archive); for row sources
(Hugging Face, jsonl/parquet) `max_docs` is the per-task `limit`. `byte_budget` (a milestone plan's
per-source cap, `budget.py`) is the bytes a source may give over all tasks: the trees' deterministic
subset (`max_bytes`, the smaller of the two), each row-source task's `ceil(byte_budget / tasks)`.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from datatrove.pipeline.readers.base import BaseReader

from cppllm.pipeline.readers.hf import HF_ALIASES, HF_SOURCES

EMBEDDED = "embedded"
__all__ = ["EMBEDDED", "HF_SOURCES", "make_reader", "source_names"]


def source_names() -> list[str]:
    """Names `make_reader` knows besides paths and URLs (for `--help` texts)."""
    return [EMBEDDED, *HF_SOURCES]


def _row_limits(opts: dict) -> dict:
    """Row sources stream, so a global subset cannot be drawn up front: `max_docs` becomes DataTrove's
    per-task `limit` there, and `max_bytes` is refused rather than silently ignored."""
    opts = dict(opts)
    if opts.pop("max_bytes", None) is not None:
        raise ValueError("max_bytes applies to the embedded corpus, directories and archives only")
    max_docs = opts.pop("max_docs", None)
    if max_docs is not None:
        opts["limit"] = max_docs
    return opts


def _tree_limits(opts: dict) -> dict:
    """Source trees take the byte budget as their global deterministic subset (`max_bytes`)."""
    opts = dict(opts)
    budget = opts.pop("byte_budget", None)
    if budget is not None:
        opts["max_bytes"] = budget if opts.get("max_bytes") is None else min(budget, opts["max_bytes"])
    return opts


def make_reader(source: str | None = None, /, **opts) -> BaseReader:
    """A DataTrove reader step for NAME_OR_PATH (see module docstring); raises ValueError when unknown."""
    from cppllm.pipeline.readers.archive import is_archive
    from cppllm.pipeline.readers.download import is_url
    from cppllm.pipeline.readers.embedded import EmbeddedCorpusReader
    from cppllm.pipeline.readers.hf import HFDatasetReader
    from cppllm.pipeline.readers.local import LocalFileReader, is_table_file
    from cppllm.pipeline.readers.trees import ArchiveReader, DirectoryReader

    if source is None or source == EMBEDDED:
        return EmbeddedCorpusReader(**_tree_limits(opts))
    if source in HF_SOURCES or source in HF_ALIASES:
        return HFDatasetReader(source, **_row_limits(opts))
    if is_url(source):
        if not is_archive(source.split("?")[0]):
            raise ValueError(f"{source}: a URL source must point to a .tar.gz/.tar.xz/.tar.bz2/.zip archive")
        return ArchiveReader(source, **_tree_limits(opts))
    path = Path(source).expanduser()
    if opts.pop("rows", False):  # jsonl/parquet rows, maybe written by an earlier stage of the same run
        return LocalFileReader(path, allow_missing=True, **_row_limits(opts))
    if path.is_file() and is_archive(path.name):
        return ArchiveReader(path, **_tree_limits(opts))
    if path.is_file() and is_table_file(path.name):
        return LocalFileReader(path, **_row_limits(opts))
    if path.is_dir():
        files = (p for p in path.rglob("*") if p.is_file())
        kinds = {is_table_file(p.name) for p in itertools.islice(files, 1000)}
        if kinds == {True}:
            return LocalFileReader(path, **_row_limits(opts))
        return DirectoryReader(path, **_tree_limits(opts))
    raise ValueError(
        f"unknown source {source!r}: expected 'embedded', a local directory, an archive "
        f"(.tar.gz/.tar.xz/.tar.bz2/.zip) or URL to one, a .jsonl/.parquet file or folder, "
        f"or one of the Hugging Face sources {sorted(HF_SOURCES)}"
    )
