"""Repository-level documents for long-context training: one document per repository (split group).

The files of one repository are concatenated, each behind a path header line, in an order where a header
comes before the files that include it (a depth-first walk of the `#include "..."` / `#include <...>`
graph over the repository's own files; ties and cycles are broken by path). A long-context model then sees
a declaration before its uses across files, as in real code, not a random concatenation of unrelated
files (the repository-level ordering of DeepSeek-Coder, arXiv 2401.14196, and Qwen2.5-Coder's repo-level
pretraining, arXiv 2409.12186).

`RepoDocBuilder` is a DataTrove step: it groups the incoming documents by `split.group_key` (within one
task: keep a repository's files in one reader shard), and emits one document per repository, cut at file
boundaries into parts of at most `max_chars`. The output keeps the group's `repo`/`source`/`path`
metadata, so the `.bin` writer puts a repository document on the same train/val side as its files.
`write_repo_bins` writes them, without FIM, to their own `.bin/.idx` (`DIR/repo_bin/{train,val}`).
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import re
from collections.abc import Mapping
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from cppllm.pipeline.split import DEFAULT_VAL_FRACTION, group_key

HEADER = "// ===== {path} =====\n"
_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*[<"]([^>"\n]+)[>"]', re.MULTILINE)


def includes(text: str) -> list[str]:
    """The paths named by the `#include` directives of a C/C++ text, in order."""
    return _INCLUDE.findall(text)


def _resolver(paths: list[str]):
    """An include name -> repository file: the including file's folder first, then any file whose path
    ends with the name (the shortest such path, then alphabetical)."""
    by_suffix: dict[str, list[str]] = {}
    for p in paths:
        parts = p.split("/")
        for i in range(len(parts)):
            by_suffix.setdefault("/".join(parts[i:]), []).append(p)
    for cands in by_suffix.values():
        cands.sort(key=lambda p: (len(p), p))
    known = set(paths)

    def resolve(name: str, including: str) -> str | None:
        local = posixpath.normpath(posixpath.join(posixpath.dirname(including), name))
        if local in known:
            return local
        cands = by_suffix.get(posixpath.normpath(name).lstrip("./"))
        return cands[0] if cands else None

    return resolve


def order_files(files: Mapping[str, str]) -> list[str]:
    """Paths of `files` ({path: text}) with every included repository file before its includer."""
    paths = sorted(files)
    resolve = _resolver(paths)
    done: set[str] = set()
    order: list[str] = []
    for root in paths:
        if root in done:
            continue
        # iterative post-order DFS (deep include chains must not hit the recursion limit)
        stack = [(root, iter(includes(files[root])))]
        done.add(root)
        while stack:
            path, deps = stack[-1]
            for name in deps:
                dep = resolve(name, path)
                if dep is not None and dep not in done:
                    done.add(dep)
                    stack.append((dep, iter(includes(files[dep]))))
                    break
            else:
                stack.pop()
                order.append(path)
    return order


def repo_documents(files: Mapping[str, str], max_chars: int | None = None) -> list[str]:
    """The repository as text(s): headers + files in include order, cut at file boundaries to `max_chars`
    (a single file longer than that is its own part)."""
    parts: list[str] = []
    cur: list[str] = []
    size = 0
    for path in order_files(files):
        text = files[path]
        piece = HEADER.format(path=path) + text + ("" if text.endswith("\n") else "\n")
        if cur and max_chars is not None and size + len(piece) > max_chars:
            parts.append("".join(cur))
            cur, size = [], 0
        cur.append(piece)
        size += len(piece)
    if cur:
        parts.append("".join(cur))
    return parts


class RepoDocBuilder(PipelineStep):
    """Documents -> one document per repository (split group) per task, files in include order."""

    name = "📚 repository documents"
    type = "🔢 - TOKENIZER"

    def __init__(self, *, max_chars: int | None = 4_000_000, min_files: int = 1):
        super().__init__()
        self.max_chars, self.min_files = max_chars, min_files

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        groups: dict[str, dict[str, Document]] = {}
        for doc in data:
            if not isinstance(doc.text, str) or not doc.text:
                self.stat_update("dropped_empty_text")
                continue
            path = str(doc.metadata.get("path") or doc.id)
            files = groups.setdefault(group_key(doc.metadata), {})
            if path in files:
                self.stat_update("dropped_duplicate_path")
                continue
            files[path] = doc
        for key in sorted(groups):
            docs = groups[key]
            if len(docs) < self.min_files:
                self.stat_update("dropped_too_few_files", value=len(docs))
                continue
            first = docs[min(docs)]
            meta = {k: first.metadata[k] for k in ("repo", "source", "path") if k in first.metadata}
            texts = repo_documents({p: d.text for p, d in docs.items()}, self.max_chars)
            for i, text in enumerate(texts):
                self.stat_update("repo_documents")
                self.stat_update("files", value=len(docs) if i == 0 else 0)
                yield Document(text=text, id=f"{key}#{i}", metadata={**meta, "files": len(docs), "part": i})


def write_repo_bins(
    docs_folder: str | os.PathLike,
    output_dir: str | os.PathLike,
    tokenizer_path: str | os.PathLike,
    *,
    max_chars: int | None = 4_000_000,
    val_fraction: float = DEFAULT_VAL_FRACTION,
    split_seed: int = 0,
    logging_dir: str | os.PathLike | None = None,
) -> dict:
    """Parquet documents -> `output_dir/repo_bin/{train,val}.bin/.idx` of repository documents (no FIM);
    returns the manifest (`output_dir/repo_bin/manifest.json`). One task, so a repository is never split
    across tasks."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import ParquetReader

    from cppllm.pipeline.pretokenize.binwriter import BinMerger, BinShardWriter
    from cppllm.pipeline.pretokenize.fim import FIMConfig

    out = Path(output_dir) / "repo_bin"
    logs = Path(logging_dir) if logging_dir else Path(output_dir) / "logs" / "repo_bin"
    writer = LocalPipelineExecutor(
        pipeline=[
            ParquetReader(str(docs_folder), text_key="text", id_key="id", glob_pattern="**/*.parquet"),
            RepoDocBuilder(max_chars=max_chars),
            BinShardWriter(
                out,
                tokenizer_path,
                fim=FIMConfig(fim_rate=0.0),
                val_fraction=val_fraction,
                split_seed=split_seed,
            ),
        ],
        tasks=1,
        logging_dir=str(logs / "write"),
    )
    LocalPipelineExecutor(
        pipeline=[BinMerger(out, out / "manifest.json")],
        tasks=1,
        logging_dir=str(logs / "merge"),
        depends=writer,
    ).run()
    return json.loads((out / "manifest.json").read_text())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m cppllm.pipeline.pretokenize.repodocs",
        description="Build repository-level documents (files in include order, path headers) into a .bin.",
    )
    p.add_argument("--docs", required=True, help="folder of parquet documents (e.g. DIR/docs)")
    p.add_argument("--tokenizer", required=True, help="tokenizer directory or tokenizer.json")
    p.add_argument("--output", required=True, help="output DIR: writes DIR/repo_bin/{train,val}.bin/.idx")
    p.add_argument(
        "--max-chars", type=int, default=4_000_000, help="cut a repository into parts of this size"
    )
    p.add_argument(
        "--val-fraction", type=float, default=DEFAULT_VAL_FRACTION, help="share of repository groups in val"
    )
    p.add_argument("--split-seed", type=int, default=0, help="seed of the train/val group hash")
    args = p.parse_args(argv)
    manifest = write_repo_bins(
        args.docs,
        args.output,
        args.tokenizer,
        max_chars=args.max_chars,
        val_fraction=args.val_fraction,
        split_seed=args.split_seed,
    )
    print(json.dumps({k: manifest[k] for k in manifest if k in ("splits", "tokenizer_hash")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
