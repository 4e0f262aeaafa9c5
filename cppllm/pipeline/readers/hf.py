"""Hugging Face code datasets, streamed with `datasets`, one named source per dataset.

    the-stack-dedup            bigcode/the-stack-dedup, data_dir="data/c++", text in `content`
    nemotron-code-v1           nvidia/Nemotron-Pretraining-Code-v1 "Nemotron-Code-Metadata": rows are
                               (repo, commit_id, rel_path); the text is hydrated from the repository
    nemotron-code-v1-synthetic nvidia/Nemotron-Pretraining-Code-v1 "Synthetic-Code": text in the row
    nemotron-code-v2           nvidia/Nemotron-Pretraining-Code-v2 "Nemotron-Code-Metadata" (+ `language`),
                               hydrated like v1
    nemotron-code-v2-transpilation  ... "Synthetic-Transpilation" (C++ transpiled from Python), text
    nemotron-cc-code           nvidia/Nemotron-CC-Code-v1: Common Crawl pages; the C++ fenced code blocks
                               (```cpp / ```c++ / ...) of each page become its document
    commitpackft-cpp           bigcode/commitpackft "c++": one changed file per commit; the document is the
                               commit (old file, message, new file; `readers.commits`)

C/C++ rows are selected by the language column and/or the path's extension (`rows.is_cpp_row`).
`HF_TOKEN` is passed through. The datasets are gated: without access, the reader stops with a one-line
`GatedDatasetError` that says where to accept the terms. `data_files=` reads local parquet/jsonl files in
the same column layout instead of the Hub (offline tests, local mirrors).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.readers.base import BaseReader

from cppllm.pipeline.readers.budget import task_share, within_budget
from cppllm.pipeline.readers.commits import commit_metadata, commit_text
from cppllm.pipeline.readers.cppfiles import DEFAULT_MAX_FILE_BYTES, decode_source
from cppllm.pipeline.readers.hydrate import GITHUB_RAW, Hydrator
from cppllm.pipeline.readers.rows import SELECT_MODES, RowLayout, first, is_cpp_row, row_document


class GatedDatasetError(RuntimeError):
    """No access to a gated Hugging Face dataset."""


@dataclass(frozen=True, kw_only=True)
class HFSource:
    name: str  # metadata `source`
    dataset: str  # Hub id
    config: str | None = None
    data_dir: str | None = None
    split: str = "train"
    # "text" | "hydrate" (metadata rows) | "fenced" (code blocks inside web pages) | "commit" (CommitPackFT)
    mode: str = "text"
    layout: RowLayout = field(default_factory=RowLayout)


_NEMOTRON_META = RowLayout(path=("rel_path",), repo=("repo",), version=("commit_id",), language=("language",))
HF_SOURCES: dict[str, HFSource] = {
    s.name: s
    for s in [
        HFSource(
            name="the-stack-dedup",
            dataset="bigcode/the-stack-dedup",
            data_dir="data/c++",
            layout=RowLayout(
                text=("content",),
                path=("max_stars_repo_path",),
                repo=("max_stars_repo_name",),
                version=("max_stars_repo_head_hexsha",),
                id=("hexsha",),
                language=("lang",),
            ),
        ),
        HFSource(
            name="nemotron-code-v1",
            dataset="nvidia/Nemotron-Pretraining-Code-v1",
            config="Nemotron-Code-Metadata",
            mode="hydrate",
            layout=_NEMOTRON_META,
        ),
        HFSource(
            name="nemotron-code-v1-synthetic",
            dataset="nvidia/Nemotron-Pretraining-Code-v1",
            config="Synthetic-Code",
        ),
        HFSource(
            name="nemotron-code-v2",
            dataset="nvidia/Nemotron-Pretraining-Code-v2",
            config="Nemotron-Code-Metadata",
            mode="hydrate",
            layout=_NEMOTRON_META,
        ),
        HFSource(
            name="nemotron-code-v2-transpilation",
            dataset="nvidia/Nemotron-Pretraining-Code-v2",
            config="Synthetic-Transpilation",
        ),
        HFSource(
            name="nemotron-cc-code",
            dataset="nvidia/Nemotron-CC-Code-v1",
            mode="fenced",
            layout=RowLayout(
                text=("text",), path=("url",), repo=("url",), id=("id", "warc_record_id", "url")
            ),
        ),
        HFSource(
            name="commitpackft-cpp",
            dataset="bigcode/commitpackft",
            config="c++",
            mode="commit",
            layout=RowLayout(
                text=("new_contents",),
                path=("new_file",),
                repo=("repos",),
                version=("commit",),
                language=("lang",),
                licenses=("license",),
            ),
        ),
    ]
}
# The Hub id names the dataset's default source too: `--source bigcode/the-stack-dedup`.
HF_ALIASES = {"bigcode/the-stack-dedup": "the-stack-dedup", "bigcode/commitpackft": "commitpackft-cpp"} | {
    f"nvidia/{n}": k
    for n, k in [
        ("Nemotron-Pretraining-Code-v1", "nemotron-code-v1"),
        ("Nemotron-Pretraining-Code-v2", "nemotron-code-v2"),
        ("Nemotron-CC-Code-v1", "nemotron-cc-code"),
    ]
}

_FENCE = re.compile(
    r"^```[ \t]*(c\+\+|cpp|cxx|cc|hpp|cuda|c)[ \t]*\n(.*?)^```", re.IGNORECASE | re.MULTILINE | re.DOTALL
)


def fenced_cpp(text: str) -> str:
    """The C/C++ fenced code blocks of a markdown page, joined by a blank line ("" when none)."""
    return "\n\n".join(m.group(2).rstrip("\n") + "\n" for m in _FENCE.finditer(text or ""))


def gated_error(exc: BaseException, dataset: str) -> GatedDatasetError | None:
    """A one-line `GatedDatasetError` when `exc` (or its cause chain) says the dataset is gated/401/403."""
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if (
            isinstance(exc, GatedRepoError)
            or (isinstance(exc, HfHubHTTPError) and status in (401, 403))
            or "gated" in str(exc).lower()
        ):
            return GatedDatasetError(
                f"dataset {dataset} is gated: accept its terms at https://huggingface.co/datasets/{dataset} "
                f"and set HF_TOKEN"
            )
        exc = exc.__cause__ or exc.__context__
    return None


class HFDatasetReader(BaseReader):
    """A named Hugging Face code source (`HF_SOURCES`) as a DataTrove reader.

    Args:
        source: a key of `HF_SOURCES` or an `HFSource`.
        config / split / data_dir: override the source's defaults.
        data_files: local parquet/jsonl files in the dataset's layout, read instead of the Hub.
        token: Hub token (default `$HF_TOKEN`).
        select: C/C++ selection mode (`rows.SELECT_MODES`).
        hydrate_url: URL template for hydration (`{repo}`, `{commit}`, `{path}`).
        cache_dir: cache root (default `$CPPLLM_CACHE` or `~/.cache/cppllm`); hydrated files go to `hydrate/`.
        fetch_retries / fetch_backoff / fetch_rate / fetch_workers / fetch_timeout: hydration behaviour
            (retries with exponential backoff from `fetch_backoff` s, `fetch_rate` requests/s per task).
        byte_budget: bytes of text to read over all tasks; each task stops at its share (`budget.py`),
            so a run fetches what its plan needs and no more.
    """

    name = "🤗 code dataset"
    _requires_dependencies = ["datasets"]

    def __init__(
        self,
        source: str | HFSource,
        *,
        config: str | None = None,
        split: str | None = None,
        data_dir: str | None = None,
        data_files: str | list[str] | None = None,
        streaming: bool = True,
        token: str | None = None,
        select: str = "either",
        text_column: str | None = None,
        hydrate_url: str = GITHUB_RAW,
        cache_dir: str | None = None,
        fetch_retries: int = 4,
        fetch_backoff: float = 1.0,
        fetch_rate: float = 20.0,
        fetch_workers: int = 8,
        fetch_timeout: float = 30.0,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        batch_size: int = 256,
        byte_budget: int | None = None,
        limit: int = -1,
        skip: int = 0,
    ):
        super().__init__(limit=limit, skip=skip)
        spec = source if isinstance(source, HFSource) else HF_SOURCES[HF_ALIASES.get(source, source)]
        self.spec = replace(
            spec,
            config=config or spec.config,
            split=split or spec.split,
            data_dir=data_dir or spec.data_dir,
            layout=spec.layout.with_text(text_column),
        )
        if select not in SELECT_MODES:
            raise ValueError(f"select must be one of {SELECT_MODES}, got {select!r}")
        self.data_files, self.streaming, self.select = data_files, streaming, select
        self.token = token  # resolved from $HF_TOKEN at run time, so it never lands in a pickled config
        self.hydrate_opts = dict(
            url_template=hydrate_url,
            retries=fetch_retries,
            backoff_s=fetch_backoff,
            rate_per_s=fetch_rate,
            workers=fetch_workers,
            timeout_s=fetch_timeout,
        )
        self.cache_dir = cache_dir
        self.max_file_bytes, self.batch_size = max_file_bytes, batch_size
        self.byte_budget = byte_budget
        self._task_budget: int | None = None  # this task's share (set in `run`)

    def load(self):
        from datasets import load_dataset

        s = self.spec
        if self.data_files is not None:
            files = [self.data_files] if isinstance(self.data_files, str) else list(self.data_files)
            kind = "parquet" if all(str(f).endswith(".parquet") for f in files) else "json"
            return load_dataset(kind, data_files=files, split=s.split, streaming=self.streaming)
        token = self.token or os.environ.get("HF_TOKEN")
        kwargs = {"data_dir": s.data_dir} if s.data_dir else {}
        if token:
            kwargs["token"] = token
        return load_dataset(s.dataset, s.config, split=s.split, streaming=self.streaming, **kwargs)

    def rows(self, rank: int, world_size: int):
        from datasets.distributed import split_dataset_by_node

        try:
            ds = self.load()
            if world_size > 1:
                ds = split_dataset_by_node(ds, rank=rank, world_size=world_size)
            yield from ds
        except Exception as e:
            gated = gated_error(e, self.spec.dataset) if self.data_files is None else None
            if gated is not None:
                raise gated from None
            raise

    def hydrator(self) -> Hydrator:
        from cppllm.pipeline.readers.trees import default_cache_dir

        return Hydrator(Path(self.cache_dir or default_cache_dir()) / "hydrate", **self.hydrate_opts)

    def documents(self, batch: list[dict], hydrator: Hydrator | None):
        """Documents (or drop reasons) for a batch of rows."""
        s = self.spec
        texts: list[str | None] = [None] * len(batch)
        if s.mode == "hydrate":
            keys = [
                (str(first(r, s.layout.repo)), str(first(r, s.layout.version)), str(first(r, s.layout.path)))
                for r in batch
            ]
            for k, data in enumerate(hydrator.fetch_many(keys)):
                texts[k] = data
        for k, row in enumerate(batch):
            text = texts[k]
            if s.mode == "hydrate":
                if text is None:
                    yield "fetch_failed"
                    continue
                decoded = decode_source(text, self.max_file_bytes)
                if decoded.text is None:
                    yield decoded.reason
                    continue
                text = decoded.text
            elif s.mode == "fenced":
                text = fenced_cpp(first(row, s.layout.text))
                if not text:
                    yield "no_cpp_blocks"
                    continue
            elif s.mode == "commit":
                text = commit_text(row)
                if text is None:
                    yield "unchanged_commit"
                    continue
                meta = commit_metadata(row)  # `repos` lists the forks: the first one names the commit
                doc = row_document(
                    {**row, "repos": meta["repo"]},
                    s.layout,
                    source=s.name,
                    text=text,
                    max_bytes=self.max_file_bytes,
                )
                if not isinstance(doc, str):
                    doc.metadata.update(meta)
                yield doc
                continue
            yield row_document(
                row,
                s.layout,
                source=s.name,
                text=text,
                max_bytes=self.max_file_bytes,
            )

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data

        def stop(read: int) -> None:
            self.stat_update("byte_budget_reached")

        budget = task_share(self.byte_budget, world_size)
        self._task_budget = budget
        yield from within_budget(self.read(rank, world_size), budget, stop)

    def _fetch_batch(self, kept: int, kept_bytes: int) -> int:
        """Rows to hydrate at once: a batch, fewer near `limit` or near the byte budget (estimated from the
        mean size so far), so a task never fetches far past what it may read."""
        want = self.batch_size
        if self.limit != -1:
            want = min(want, self.limit - kept)
        if self._task_budget is not None and kept:
            want = min(want, math.ceil((self._task_budget - kept_bytes) / (kept_bytes / kept)))
        return max(1, want)

    def read(self, rank: int, world_size: int) -> DocumentsPipeline:
        self._log_limit_scope(rank, world_size)
        hydrator = self.hydrator() if self.spec.mode == "hydrate" else None
        kept = skipped = kept_bytes = 0
        batch: list[dict] = []

        def flush():
            nonlocal kept, skipped, kept_bytes
            todo = batch[:]
            batch.clear()
            for doc in self.documents(todo, hydrator):
                if isinstance(doc, str):
                    self.stat_update("dropped", f"dropped_{doc}")
                    continue
                if skipped < self.skip:
                    skipped += 1
                    continue
                if self.limit != -1 and kept >= self.limit:
                    return
                kept += 1
                kept_bytes += len(doc.text.encode("utf-8", "surrogatepass"))
                self.stat_update("documents")
                self.update_doc_stats(doc)
                yield doc

        try:
            for row in self.rows(rank, world_size):
                if self.limit != -1 and kept >= self.limit:
                    break
                self.stat_update("input_rows")
                if self.spec.mode != "fenced" and not is_cpp_row(row, self.spec.layout, self.select):
                    self.stat_update("skipped_not_cpp")
                    continue
                batch.append(row)
                want = self._fetch_batch(kept, kept_bytes) if self.spec.mode == "hydrate" else 1
                if len(batch) >= want:
                    yield from flush()
            yield from flush()
        finally:  # also when the byte budget closes this generator early
            if hydrator is not None:
                for k, v in hydrator.stats.items():
                    self.stat_update(f"hydrate_{k}", value=v)
