"""`python -m cppllm.bugs make`: verified items of each kind into DIR/items.jsonl, resumable and parallel.

For each kind, items 0, 1, 2, ... are generated and verified in chunks on a thread pool (the work is in
sandboxed compiler and program processes) until `n` are verified or `max_attempts` were tried. Every
attempt is logged to DIR/attempts.jsonl (id, kind, status, reason) and every verified item appended to
DIR/items.jsonl, both in index order; a rerun reads them back and skips what is done, so an interrupted
run resumes where it stopped and gives the same items. DIR/summary.json (atomic) counts items by kind,
family and split and verification failures by kind and reason.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cppllm.atomic import write_text
from cppllm.bugs.corpus import Unit
from cppllm.bugs.items import Verifier, item_id, make_item


def read_jsonl(path: Path) -> list[dict]:
    """Rows of a JSONL log; a last line cut by a killed run is ignored (it is redone)."""
    if not path.is_file():
        return []
    rows = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if n == len(lines):
                break
            raise ValueError(f"{path}:{n}: corrupt line") from None
    return rows


def _append(f, row: dict) -> None:
    f.write(json.dumps(row, ensure_ascii=False) + "\n")
    f.flush()
    os.fsync(f.fileno())


def _truncate_partial(path: Path) -> None:
    """Drop a trailing partial line (left by a kill mid-write) so appends start on a fresh line."""
    if path.is_file():
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            path.write_bytes(data[: data.rfind(b"\n") + 1])


def make(
    out: Path,
    kinds: list[str],
    n: int,
    *,
    seed: int = 0,
    workers: int = 1,
    split: str = "all",
    units: list[Unit] | None = None,
    max_attempts: int | None = None,
    progress: bool = True,
    compiler: str = "g++",
) -> dict[str, Any]:
    """Generate and verify up to `n` items per kind into `out`; returns the summary."""
    out.mkdir(parents=True, exist_ok=True)
    items_path, attempts_path = out / "items.jsonl", out / "attempts.jsonl"
    for p in (items_path, attempts_path):
        _truncate_partial(p)
    attempts = read_jsonl(attempts_path)
    items = read_jsonl(items_path)
    # The item line is written before its attempt line, so an item is never lost nor made twice.
    done_ids = {a["id"] for a in attempts} | {it["id"] for it in items}
    seen_sources = {next(iter(it["files"].values())) for it in items}
    max_attempts = max_attempts or max(3 * n, n + 10)
    t0 = time.time()
    verifier = Verifier(compiler=compiler)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n * len(kinds), desc="verified items", unit="item", file=sys.stderr)
    try:
        with (
            open(items_path, "a", encoding="utf-8") as fi,
            open(attempts_path, "a", encoding="utf-8") as fa,
            ThreadPoolExecutor(max_workers=max(1, workers)) as pool,
        ):
            for kind in kinds:
                verified = sum(1 for it in items if it["kind"] == kind)
                if bar is not None:
                    bar.update(min(verified, n))
                index = 0
                while verified < n and index < max_attempts:
                    chunk = []
                    while len(chunk) < max(1, workers) * 2 and index < max_attempts:
                        if item_id(kind, seed, index) not in done_ids:
                            chunk.append(index)
                        index += 1
                    if not chunk:
                        break
                    results = pool.map(
                        lambda i, k=kind: (i, *make_item(k, seed, i, split, verifier, units)), chunk
                    )
                    for i, record, reason in results:
                        if verified >= n:
                            break  # later indices of this chunk are left for a run that wants more
                        if record is not None:
                            source = next(iter(record["files"].values()))
                            if source in seen_sources:
                                record, reason = None, "duplicate"
                            else:
                                seen_sources.add(source)
                        if record is not None:
                            _append(fi, record)
                        _append(fa, {"id": item_id(kind, seed, i), "kind": kind, "status": reason})
                        if record is not None:
                            verified += 1
                            if bar is not None:
                                bar.update(1)
    finally:
        verifier.close()
        if bar is not None:
            bar.close()
    summary = summarize(out)
    summary["seconds_this_run"] = round(time.time() - t0, 2)
    summary["workers"] = workers
    write_text(out / "summary.json", json.dumps(summary, indent=2))
    return summary


def summarize(out: Path) -> dict[str, Any]:
    items = read_jsonl(out / "items.jsonl")
    attempts = read_jsonl(out / "attempts.jsonl")
    failures: dict[str, Counter] = {}
    tried: Counter = Counter()
    for a in attempts:
        tried[a["kind"]] += 1
        if a["status"] != "ok":
            failures.setdefault(a["kind"], Counter())[a["status"]] += 1
    by_kind = Counter(it["kind"] for it in items)
    return {
        "items": len(items),
        "attempts": len(attempts),
        "by_kind": dict(by_kind),
        "by_subkind": dict(Counter(it["subkind"] for it in items)),
        "by_family": dict(Counter(it["family"] for it in items)),
        "by_split": dict(Counter(it["split"] for it in items)),
        "debug_types": dict(Counter(it["debug"]["type"] for it in items)),
        "failures": {k: dict(v) for k, v in failures.items()},
        "failure_rate": {k: round(1 - by_kind.get(k, 0) / t, 4) for k, t in tried.items() if t},
    }
