"""Compile prompts the way their source tree builds, and keep those whose real continuation compiles.

A prompt cut from `torch/include/ATen/foo.h` only compiles with `-I torch/include`; checked without it,
the compile rate measures the include environment, not the model. The readers record each tree's build
context in document metadata (`build_context`, `cppllm.pipeline.readers.buildctx`); the pipeline's
`DIR/docs/*.parquet` keeps it next to the text. Held-out documents decoded from the val `.bin` are matched
to their metadata by a hash of their text (`attach_metadata`), and each prompt gets the compiler flags of
its tree (`context_flags`): `-I` per include dir, `-iquote` the file's own folder (for `#include "x.h"`
next to it), `-D` defines and the tree's `-std`.

The tree must still be on disk when the eval runs: the embedded corpus is the installed g++/torch, a local
directory is read in place, an archive stays extracted in the cache (`$CPPLLM_CACHE/extracted`). What cannot
be checked in context is a counted status, never silence: `no_context` (rows from datasets: checked
plainly, as before), `tree_missing` and `tree_unreadable` (skipped; the sandbox drops to `nobody` when run
as root, so the tree must be world-readable; point `CPPLLM_CACHE` at a readable folder).

`select_in_context` keeps the prompts whose reference continuation compiles in its context (the reference
ceiling) and counts the others by their first error's category. Translation units that pull in megabytes
of the tree's headers (a torch header including all of ATen: 240k preprocessed lines, over the 30 s check
limit on a busy core) are skipped before compiling, as `too_heavy` (`IncludeWeigher`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import stat
from collections import Counter
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from cppllm.cppscan import closers
from cppllm.eval.prompts import HeldOutDoc, Prompt
from cppllm.eval.syntax_check import CompileChecker

SKIP_STATUSES = ("tree_missing", "tree_unreadable")


def text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def doc_metadata(docs_dir: str | os.PathLike, wanted: set[str] | None = None) -> dict[str, dict[str, Any]]:
    """text key -> {`path`, `build_context`} of the pipeline's `DIR/docs/*.parquet` documents."""
    import pyarrow.parquet as pq

    out: dict[str, dict[str, Any]] = {}
    for f in sorted(Path(docs_dir).glob("*.parquet")):
        pf = pq.ParquetFile(f)
        cols = [c for c in ("text", "path", "build_context") if c in pf.schema_arrow.names]
        if "text" not in cols:
            continue
        for batch in pf.iter_batches(columns=cols, batch_size=2048):
            for row in batch.to_pylist():
                key = text_key(row.pop("text") or "")
                if wanted is None or key in wanted:
                    out[key] = row
    return out


def attach_metadata(docs: Sequence[HeldOutDoc], docs_dir: str | os.PathLike | None) -> list[HeldOutDoc]:
    """`docs` with `metadata` from the pipeline's docs folder (None where the text is not found)."""
    if docs_dir is None or not Path(docs_dir).is_dir():
        return list(docs)
    keys = {id(d): text_key(d.text) for d in docs}
    meta = doc_metadata(docs_dir, set(keys.values()))
    return [dataclasses.replace(d, metadata=meta.get(keys[id(d)])) for d in docs]


def _world_readable(path: Path) -> bool:
    """Whether an unprivileged user can reach and list `path` (every ancestor searchable)."""
    try:
        if not path.stat().st_mode & stat.S_IROTH:
            return False
        return all(p.stat().st_mode & stat.S_IXOTH for p in [path, *path.parents])
    except OSError:
        return False


def context_flags(metadata: dict[str, Any] | None) -> tuple[tuple[str, ...], str]:
    """(compiler flags, status) for a document: status `in_context`, `no_context` or a skip status."""
    from cppllm.pipeline.readers.buildctx import BuildContext

    raw = (metadata or {}).get("build_context")
    if not raw:
        return (), "no_context"
    ctx = BuildContext.from_json(raw)
    root = Path(ctx.root)
    if not root.is_dir():
        return (), "tree_missing"
    if os.geteuid() == 0 and not _world_readable(root):  # the sandbox compiles as `nobody`
        return (), "tree_unreadable"
    flags = [f"-I{(root / d).as_posix()}" for d in ctx.include_dirs]
    path = (metadata or {}).get("path")
    if path:
        flags.insert(0, f"-iquote{(root / PurePosixPath(path).parent).as_posix()}")
    flags += [f"-D{d}" for d in ctx.defines]
    if ctx.std:
        flags.append(f"-std={ctx.std}")  # after the checker's own -std: the tree's standard wins
    return tuple(flags), "in_context"


def with_context(prompts: Sequence[Prompt], docs: Sequence[HeldOutDoc]) -> tuple[list[Prompt], Counter]:
    """Prompts with their tree's flags; those whose tree is gone are dropped. Counts per status."""
    by_doc = {d.index: context_flags(d.metadata) for d in docs}
    out, counts = [], Counter()
    for p in prompts:
        flags, status = by_doc.get(p.doc, ((), "no_context"))
        counts[status] += 1
        if status not in SKIP_STATUSES:
            out.append(dataclasses.replace(p, flags=flags, context=status))
    return out, counts


def reference_unit(p: Prompt) -> str:
    return p.text + p.reference + closers(p.text + p.reference)


MAX_INCLUDE_BYTES = 4_000_000  # ~130k preprocessed lines: a check of tens of seconds on a busy core


def select_in_context(
    pool: Sequence[Prompt],
    n: int,
    checker: CompileChecker,
    *,
    jobs: int | None = None,
    max_include_bytes: int | None = MAX_INCLUDE_BYTES,
) -> tuple[list[Prompt], dict[str, Any]]:
    """Up to `n` prompts of `pool` (in order, kinds balanced) whose reference compiles in context.

    Prompts whose tree headers weigh more than `max_include_bytes` (`IncludeWeigher`) are skipped as
    `too_heavy` without compiling (None: no limit). The rest are checked in chunks until `n` are kept, so
    the cost is about `n` / (share that compiles) checks. Returns (kept, report) with `checked`, `kept`
    and the `skipped` counts by reason (`too_heavy`, or the reference's first-error category).
    """
    skipped: Counter = Counter()
    if max_include_bytes is not None:
        weigher = IncludeWeigher()
        light = [p for p in pool if weigher.weigh(reference_unit(p), p.flags) <= max_include_bytes]
        if len(light) < len(pool):
            skipped["too_heavy"] = len(pool) - len(light)
        pool = light
    by_kind: dict[str, list[Prompt]] = {}
    for p in pool:
        by_kind.setdefault(p.kind, []).append(p)
    order = [p for group in _interleave(list(by_kind.values())) for p in group]
    kept: list[Prompt] = []
    checked = 0
    chunk = max(4, n)
    while len(kept) < n and checked < len(order):
        batch = order[checked : checked + chunk]
        checked += len(batch)
        results = checker.check_many(
            [reference_unit(p) for p in batch], jobs=jobs, flags=[p.flags for p in batch]
        )
        for p, r in zip(batch, results, strict=True):
            if r.ok and len(kept) < n:
                kept.append(p)
            elif not r.ok:
                skipped[r.category] += 1
    kept.sort(key=lambda p: (p.kind, p.doc))
    return kept, {"checked": checked, "kept": len(kept), "skipped": dict(skipped.most_common())}


def _interleave(groups: list[list[Prompt]]) -> list[list[Prompt]]:
    """Round-robin over the kinds, so a partial pass keeps them balanced."""
    out = []
    for i in range(max((len(g) for g in groups), default=0)):
        out.append([g[i] for g in groups if i < len(g)])
    return out


_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]', re.MULTILINE)


class IncludeWeigher:
    """Bytes of the tree headers a unit pulls in (its `#include` closure through the context's dirs).

    A cheap, static stand-in for compile cost (no preprocessor, `#if`s ignored, system headers not
    counted): a torch header that drags in all of ATen weighs megabytes and takes tens of seconds to
    check, so selection skips units over a budget (`too_heavy`) before compiling them. Per-file include
    lists and resolutions are cached across prompts.
    """

    def __init__(self) -> None:
        self._includes: dict[str, list[tuple[bool, str]]] = {}
        self._found: dict[tuple, str | None] = {}

    def _parse(self, path: str) -> list[tuple[bool, str]]:
        if path not in self._includes:
            try:
                text = Path(path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            self._includes[path] = [(m.group(1) == '"', m.group(2).strip()) for m in _INCLUDE.finditer(text)]
        return self._includes[path]

    def _resolve(
        self, name: str, quoted: bool, here: str, quote_dirs: list[str], dirs: list[str]
    ) -> str | None:
        key = (name, quoted, here if quoted else "", tuple(quote_dirs) if quoted else (), tuple(dirs))
        if key not in self._found:
            self._found[key] = next(
                (
                    c
                    for d in ([here, *quote_dirs] if quoted else []) + dirs
                    if os.path.isfile(c := os.path.normpath(os.path.join(d, name)))
                ),
                None,
            )
        return self._found[key]

    def weigh(self, unit: str, flags: Sequence[str]) -> int:
        """Bytes of the distinct tree headers reachable from `unit` compiled with `flags`."""
        quote_dirs = [f[len("-iquote") :] for f in flags if f.startswith("-iquote")]
        dirs = [f[2:] for f in flags if f.startswith("-I")]
        if not dirs and not quote_dirs:
            return 0
        here0 = quote_dirs[0] if quote_dirs else "."
        seen: set[str] = set()
        stack = [
            (r, here0)
            for q, name in ((m.group(1) == '"', m.group(2).strip()) for m in _INCLUDE.finditer(unit))
            if (r := self._resolve(name, q, here0, quote_dirs, dirs))
        ]
        total = 0
        while stack:
            path, _ = stack.pop()
            if path in seen:
                continue
            seen.add(path)
            try:
                total += os.path.getsize(path)
            except OSError:
                continue
            here = os.path.dirname(path)
            for q, name in self._parse(path):
                r = self._resolve(name, q, here, quote_dirs, dirs)
                if r is not None and r not in seen:
                    stack.append((r, here))
        return total
