"""Provenance manifest: what went into the data, per output shard, source, license and tree version.

`write_provenance(DIR)` reads the parquet shards under `DIR/docs/` (metadata flattened into columns or
kept in a `metadata` struct) and writes `DIR/provenance.json`:

    {"shards": {"docs/000.parquet": {"docs", "bytes", "by_source": {source: {"docs", "bytes",
                 "versions": [...], "licenses": {SPDX: {"docs", "bytes"}}}}}},
     "totals": {"docs", "bytes", "by_license": {SPDX: {"docs", "bytes", "license_source": {...}}},
                "by_source": {source: {"docs", "bytes", "versions": [...], "licenses": {...}}}}}

so "which licenses went into this model" is `totals.by_license`, and opting a source out means rebuilding
without it (the shards it touches are listed per source).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from cppllm.atomic import write_text

PROVENANCE = "provenance.json"


def _columns(table) -> dict[str, list]:
    import pyarrow.compute as pc

    cols: dict[str, list] = {}
    if "metadata" in table.column_names:
        meta = table.column("metadata").combine_chunks()
        for i, f in enumerate(meta.type):
            cols[f.name] = meta.field(i).to_pylist()
    for name in ("source", "license", "license_source", "version", "repo"):
        if name in table.column_names:
            cols[name] = table.column(name).to_pylist()
    cols["_bytes"] = pc.binary_length(table.column("text")).to_pylist()
    return cols


def _bump(d: dict, n_bytes: int) -> None:
    d["docs"] = d.get("docs", 0) + 1
    d["bytes"] = d.get("bytes", 0) + n_bytes


def provenance(docs_dir: Path) -> dict:
    """The provenance manifest of the parquet shards under `docs_dir` (see module docstring)."""
    import pyarrow.parquet as pq

    shards: dict[str, dict] = {}
    by_license: dict[str, dict] = defaultdict(dict)
    by_source: dict[str, dict] = defaultdict(dict)
    versions: dict[str, set] = defaultdict(set)
    total: dict = {}
    for shard in sorted(docs_dir.rglob("*.parquet")):
        table = pq.read_table(shard)
        cols = _columns(table)
        n = table.num_rows

        def get(k: str, i: int, default: str, cols=cols) -> str:
            col = cols.get(k)
            return (col[i] if col else None) or default

        entry: dict = {"docs": 0, "bytes": 0, "by_source": {}}
        shard_versions: dict[str, set] = defaultdict(set)
        for i in range(n):
            src, lic = get("source", i, "unknown"), get("license", i, "unlabelled")
            lsrc, ver, nb = (
                get("license_source", i, "unlabelled"),
                get("version", i, "unknown"),
                cols["_bytes"][i],
            )
            s = entry["by_source"].setdefault(src, {"docs": 0, "bytes": 0, "licenses": {}})
            for d in (entry, s, s["licenses"].setdefault(lic, {}), total, by_source[src]):
                _bump(d, nb)
            _bump(by_source[src].setdefault("licenses", {}).setdefault(lic, {}), nb)
            _bump(by_license[lic], nb)
            ls = by_license[lic].setdefault("license_source", {})
            ls[lsrc] = ls.get(lsrc, 0) + 1
            shard_versions[src].add(str(ver))
            versions[src].add(str(ver))
        for src, vs in shard_versions.items():
            entry["by_source"][src]["versions"] = sorted(vs)
        shards[shard.relative_to(docs_dir.parent).as_posix()] = entry
    for src, vs in versions.items():
        by_source[src]["versions"] = sorted(vs)
        by_source[src]["shards"] = [k for k, v in shards.items() if src in v["by_source"]]
    return {
        "format": 1,
        "shards": shards,
        "totals": {
            "docs": total.get("docs", 0),
            "bytes": total.get("bytes", 0),
            "by_license": dict(sorted(by_license.items(), key=lambda kv: -kv[1]["bytes"])),
            "by_source": dict(sorted(by_source.items())),
        },
    }


def write_provenance(output_dir: str | os.PathLike, docs_subdir: str = "docs") -> Path:
    """Write `output_dir/provenance.json` (atomically) from `output_dir/docs_subdir/**/*.parquet`."""
    out = Path(output_dir)
    docs = out / docs_subdir
    if not docs.is_dir():
        raise FileNotFoundError(f"no document shards: {docs} does not exist")
    data = provenance(docs)
    dest = out / PROVENANCE
    write_text(dest, json.dumps(data, indent=1, sort_keys=False))
    return dest


def format_table(data: dict) -> str:
    """A short text table of documents and bytes by license."""
    total = max(1, data["totals"]["bytes"])
    rows = [f"{'license':<60} {'docs':>8} {'MB':>9} {'bytes%':>7}"]
    for lic, d in data["totals"]["by_license"].items():
        rows.append(
            f"{lic[:60]:<60} {d['docs']:>8} {d['bytes'] / 1e6:>9.2f} {100 * d['bytes'] / total:>6.1f}%"
        )
    return "\n".join(rows)


class ProvenanceStep(PipelineStep):
    """One task, after the document shards are complete: writes `DIR/provenance.json`."""

    type = "⚖️ - LICENSE"
    name = "⚖️ provenance"

    def __init__(self, output_dir: str | os.PathLike, docs_subdir: str = "docs"):
        super().__init__()
        self.output_dir, self.docs_subdir = str(output_dir), docs_subdir

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        if rank == 0:
            write_provenance(self.output_dir, self.docs_subdir)
