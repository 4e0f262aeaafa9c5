"""Readers: every way C++ enters the pipeline, as DataTrove reader steps.

`make_reader(NAME_OR_PATH, **opts)` picks one: the embedded default corpus, a local directory, a tarball
or zip (local or URL), local jsonl/parquet, or a named Hugging Face dataset. Documents carry `source`,
`path`, `repo` and `version` metadata; bad files are counted drops (`dropped_<reason>`), never crashes.
"""

from cppllm.pipeline.readers.registry import EMBEDDED, HF_SOURCES, make_reader, source_names

__all__ = ["EMBEDDED", "HF_SOURCES", "make_reader", "source_names"]
