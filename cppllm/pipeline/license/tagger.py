"""The license step: label every document with an SPDX expression and where it came from, then apply a policy.

Order (The Stack v2, arXiv:2402.19173): an `SPDX-License-Identifier` line, else the leading comment
block matched against ScanCode's index (`scan.py`), else the nearest LICENSE/COPYING/NOTICE/README
up the document's source tree (`trees.py`), else license metadata a dataset ships (The Stack's
`licenses` / `max_stars_repo_licenses` columns), else `NOASSERTION`. Metadata added: `license`,
`license_source` (spdx-tag | header | license-file | dataset | none). A header that only says "see the
LICENSE file" defers to the license file.

The sources mix permissive and copyleft code on purpose: the default policy `record` keeps everything and
labels it; `permissive` and `allowlist:FILE` drop with counted reasons (`policy.py`).
`write_provenance` then sums documents and bytes per output shard, source and license.

ScanCode's index costs ~1.4 GB per worker process: size `--workers` with `license_workers()`.

    python -m cppllm.pipeline.license.tagger detect FILE...       # what the step would say about files
    python -m cppllm.pipeline.license.tagger provenance DIR       # DIR/provenance.json from DIR/docs/*.parquet
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.filters.base_filter import BaseFilter

from cppllm.pipeline.license.policy import parse_policy
from cppllm.pipeline.license.scan import NOASSERTION, Detector, is_reference_only
from cppllm.pipeline.license.trees import build_tree_map, load_tree_map, tree_license
from cppllm.pipeline.readers.rows import LICENSE_COLUMNS, license_ids

LICENSE_SOURCES = ("spdx-tag", "header", "license-file", "dataset", "none")
WORKER_BYTES = int(1.75 * (1 << 30))  # ScanCode's index (~1.4 GB resident) + a document batch


def license_workers(requested: int, available_bytes: int | None = None) -> int:
    """How many license workers fit in memory: min(requested, MemAvailable / 1.75 GiB), at least 1."""
    if available_bytes is None:
        available_bytes = _mem_available()
    return max(1, min(requested, available_bytes // WORKER_BYTES))


def _mem_available() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def dataset_license(metadata: dict) -> str | None:
    """License metadata shipped with a dataset row (a list or string of SPDX ids), as one expression."""
    for key in LICENSE_COLUMNS:  # the readers keep the first present one as "licenses"
        ids = license_ids(metadata.get(key))
        if ids:  # all of a repository's licenses apply
            return " AND ".join(f"({i})" if " " in i else i for i in ids)
    return None


class LicenseTagger(BaseFilter):
    """Adds `license` / `license_source` metadata and applies `policy` (record | permissive | allowlist:FILE).

    Args:
        policy: see `policy.parse_policy`; unknown specs fail here, not mid-run.
        trees: the source trees whose license files propagate (reader `Tree`s, or a source-tree reader:
            its `trees()` are asked in the worker).
        tree_map: JSON file shared by all tasks (built once under a lock if missing, reused on reruns).
    """

    name = "⚖️ license"
    _requires_dependencies = [("scancode", "scancode-toolkit")]

    def __init__(
        self,
        *,
        policy: str = "record",
        trees: Iterable | object | None = None,
        tree_map: str | os.PathLike | None = None,
        max_header_lines: int = 400,
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer=exclusion_writer)
        self.policy = parse_policy(policy)
        self.trees = trees if trees is None or hasattr(trees, "trees") else list(trees)
        self.tree_map_path = str(tree_map) if tree_map else None
        self.detector = Detector(max_header_lines=max_header_lines)
        self._tree_map: dict | None = None

    def setup(self, rank: int = 0, world_size: int = 1) -> None:
        if self._tree_map is not None:
            return
        trees = self.trees.trees(0, 1) if hasattr(self.trees, "trees") else self.trees
        if trees:
            if self.tree_map_path:
                self._tree_map = build_tree_map(trees, self.tree_map_path, self.detector, progress=rank == 0)
            else:
                import tempfile

                with tempfile.TemporaryDirectory() as tmp:
                    self._tree_map = build_tree_map(
                        trees, Path(tmp) / "map.json", self.detector, progress=False
                    )
        elif self.tree_map_path and Path(self.tree_map_path).is_file():
            self._tree_map = load_tree_map(self.tree_map_path)
        else:
            self._tree_map = {}

    def label(self, doc: Document) -> tuple[str, str]:
        """(SPDX expression, license_source) for one document."""
        meta = doc.metadata
        found = self.detector.detect_file(doc.text)
        license, source = found.license, found.source
        if license is None or is_reference_only(license):
            from_tree = tree_license(self._tree_map or {}, str(doc.id), str(meta.get("path") or ""))
            if from_tree:
                return from_tree, "license-file"
        if license is None:
            from_data = dataset_license(meta)
            if from_data:
                return from_data, "dataset"
            return NOASSERTION, "none"
        return license, source

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        license, source = self.label(doc)
        doc.metadata["license"] = license
        doc.metadata["license_source"] = source
        self.stat_update(f"license_source_{source}")
        reason = self.policy.check(None if license == NOASSERTION else license)
        return True if reason is None else (False, reason)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self.setup(rank, world_size)
        yield from super().run(data, rank, world_size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cppllm.pipeline.license.tagger", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    det = sub.add_parser("detect", help="print the license the step would give each file")
    det.add_argument("files", nargs="+", type=Path, help="source files")
    det.add_argument(
        "--tree", type=Path, default=None, help="source tree root the files live in (for license files)"
    )
    det.add_argument("--full", action="store_true", help="also print ScanCode's full per-file scan")
    det.add_argument("--json", action="store_true", help="one JSON object per line")
    prov = sub.add_parser("provenance", help="write DIR/provenance.json from DIR/docs/*.parquet")
    prov.add_argument("output", type=Path, help="pipeline --output DIR")
    prov.add_argument("--quiet", action="store_true", help="do not print the license table")
    args = parser.parse_args(argv)

    if args.cmd == "provenance":
        from cppllm.pipeline.license.provenance import format_table, write_provenance

        try:
            dest = write_provenance(args.output)
        except FileNotFoundError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        if not args.quiet:
            print(format_table(json.loads(dest.read_text())))
        print(f"wrote {dest}")
        return 0

    from cppllm.pipeline.readers.trees import Tree

    trees = []
    if args.tree:
        root = args.tree.resolve()
        trees = [Tree(root=str(root), source=root.name, repo=root.name)]
    step = LicenseTagger(trees=trees)
    step.setup()
    for f in args.files:
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            print(f"error: {f}: {e}", file=sys.stderr)
            return 2
        rel = (
            f.resolve().relative_to(trees[0].root).as_posix()
            if trees and f.resolve().is_relative_to(trees[0].root)
            else f.name
        )
        doc = Document(text=text, id=f"{trees[0].repo}/{rel}" if trees else str(f), metadata={"path": rel})
        license, source = step.label(doc)
        row = {"file": str(f), "license": license, "license_source": source}
        if args.full:
            row["scancode_full"] = step.detector.scan_file(str(f))
        print(json.dumps(row) if args.json else "\t".join(str(v) for v in row.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
