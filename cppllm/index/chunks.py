"""Index chunks: the functions, classes and file headers of C++ sources, with where they came from.

A chunk is one `cppllm.pipeline.codeunits` unit (its doc comment included, as a reader of the file sees
it; `strip_docs=True` removes every unit's doc comment, its own and those of members inside a class
chunk, which the retrieval eval uses so that a doc-comment query cannot find its own words). Declarations are not chunks: they sit inside their class's or header's chunk.
Sources are a folder of trees (`NAME=DIR` or `DIR`, as the pair miner reads them) or a pipeline output
folder (`DIR/docs/**/*.parquet`, DataTrove's `text`/`id`/`metadata` columns).
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from cppllm.pipeline.codeunits import extract_units, line_of
from cppllm.tokenizer.identifiers import WORD, identifier_parts

CHUNK_KINDS = ("function", "class", "file_header")


@dataclass(frozen=True, kw_only=True)
class SourceFile:
    repo: str
    path: str
    text: str
    commit: str | None = None

    @property
    def sha(self) -> str:
        return hashlib.blake2b(self.text.encode("utf-8", "replace"), digest_size=12).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Chunk:
    repo: str
    path: str
    start_line: int
    end_line: int
    kind: str
    name: str
    text: str
    commit: str | None = None
    file_sha: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def chunk_file(f: SourceFile, *, strip_docs: bool = False, max_chars: int = 6000) -> list[Chunk]:
    """The chunks of one file (text cut to `max_chars`; the line span is the whole unit's)."""
    sha = f.sha
    out = []
    units = extract_units(f.text)
    docs = sorted((u.doc_start, u.start) for u in units if u.doc_start < u.start) if strip_docs else []
    for u in units:
        if u.kind not in CHUNK_KINDS:
            continue
        start = u.start if strip_docs else u.doc_start
        text = _without(f.text, start, u.end, docs)
        if not text.strip():
            continue
        out.append(
            Chunk(
                repo=f.repo,
                path=f.path,
                start_line=line_of(f.text, start),
                end_line=line_of(f.text, max(start, u.end - 1)),
                kind=u.kind,
                name=u.name or f.path,
                text=text[:max_chars],
                commit=f.commit,
                file_sha=sha,
            )
        )
    return out


def _without(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """`text[start:end]` without the `spans` inside it (the doc comments of nested units: a class chunk
    must not carry its members' doc comments when the index is built without them)."""
    pieces, pos = [], start
    for a, b in spans:
        if a >= start and b <= end and a >= pos:
            pieces.append(text[pos:a])
            pos = b
    pieces.append(text[pos:end])
    return "".join(pieces)


def code_tokens(text: str) -> list[str]:
    """BM25 terms of code or prose: every identifier lower-cased, plus its camelCase/snake_case parts."""
    out: list[str] = []
    for w in WORD.findall(text):
        lw = w.lower()
        out.append(lw)
        parts = identifier_parts(w)
        if len(parts) > 1:
            out.extend(p for p in parts if len(p) > 1)
    return out


def _git_commit(root: Path) -> str | None:
    try:
        r = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                           timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() or None if r.returncode == 0 else None


def read_sources(sources: list[str], max_file_bytes: int = 1_000_000) -> Iterator[SourceFile]:
    """Every C/C++ file of every source: `NAME=DIR`, `DIR` (sub-folders are repositories) or a pipeline
    output folder (`DIR/docs/**/*.parquet`)."""
    from cppllm.pipeline.pairs import read_trees

    for src in sources:
        name, sep, folder = src.partition("=")
        root = Path(folder if sep else name).expanduser()
        docs = root / "docs"
        if not sep and docs.is_dir() and any(docs.rglob("*.parquet")):
            yield from _read_parquet_docs(docs)
            continue
        commit = _git_commit(root)
        for doc in read_trees([src], max_file_bytes):
            yield SourceFile(
                repo=doc.metadata["repo"], path=doc.metadata["path"], text=doc.text, commit=commit
            )


def _read_parquet_docs(folder: Path) -> Iterator[SourceFile]:
    import pyarrow.parquet as pq

    for f in sorted(folder.rglob("*.parquet")):
        for batch in pq.ParquetFile(f).iter_batches(batch_size=512):
            for row in batch.to_pylist():
                meta = row.get("metadata") or {}
                text = row.get("text")
                if not isinstance(text, str) or not text:
                    continue
                path = str(meta.get("path") or row.get("id") or "")
                repo = str(meta.get("repo") or meta.get("source") or "")
                commit = meta.get("commit") or meta.get("version")
                yield SourceFile(repo=repo, path=path, text=text, commit=str(commit) if commit else None)
