"""Tree-level licenses: a source tree's LICENSE/COPYING/NOTICE/README files, propagated down its directories.

A pre-pass (`build_tree_map`) scans each tree's license files once with ScanCode's full detection and
writes a small JSON map, `{tree key: {"root", "version", "entries": {relative dir or file: {"license",
"files"}}}}`, shared by every task (built under a file lock, written atomically, reused on reruns).
A document finds its tree by its reader's id prefix (`<id_prefix or repo>/<path>`, see
`readers/trees.py`) and takes the nearest entry up its path (`lookup`).

Installed Python packages keep their license files outside the header tree (`torch/include`'s are in
`torch-*.dist-info/licenses/`, with `third_party/<name>/LICENSE` for bundled projects such as fmt and
pybind11): `package_license_files` maps those onto the tree.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from cppllm.atomic import write_text
from cppllm.pipeline.license.scan import NOASSERTION, Detector

LICENSE_FILE_RE = re.compile(
    r"^(licen[cs]e|copying|notice|readme|copyright|unlicense|patents?)([-._][\w.-]*)?$", re.IGNORECASE
)
MAP_FORMAT = 1
MAX_LICENSE_FILE_BYTES = 1 << 20


def tree_key(doc_id: str, path: str) -> str | None:
    """The tree a document belongs to: its id without the trailing `/<path>` (None if it has none)."""
    suffix = "/" + path
    return doc_id[: -len(suffix)] if path and doc_id.endswith(suffix) else None


def find_license_files(root: Path) -> dict[str, list[Path]]:
    """{relative dir ("" for the root): [license files]} for every directory of `root` that has some."""
    found: dict[str, list[Path]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in (".git", ".hg", ".svn"))
        hits = [
            Path(dirpath) / n
            for n in sorted(filenames)
            if LICENSE_FILE_RE.match(n) and not (Path(dirpath) / n).is_symlink()
        ]
        if hits:
            rel = Path(dirpath).relative_to(root).as_posix()
            found["" if rel == "." else rel] = hits
    return found


def package_license_files(root: Path) -> dict[str, list[Path]]:
    """License files of the pip-installed package that ships the header tree `root` (e.g. `torch/include`).

    The dist-info's top-level license files apply to the whole tree; `licenses/third_party/<name>/` applies
    to the tree's top-level entry of the same name (case-insensitive, file stem or directory).
    """
    root = root.resolve()
    pkg = next((p for p in [root, *root.parents] if p.parent.name == "site-packages"), None)
    if pkg is None:
        return {}
    infos = sorted(pkg.parent.glob(f"{pkg.name}-*.dist-info"))
    if not infos:
        return {}
    lic_dir = infos[-1] / "licenses"
    tops = [p for p in lic_dir.iterdir() if p.is_file()] if lic_dir.is_dir() else []
    tops += [p for p in infos[-1].iterdir() if p.is_file() and LICENSE_FILE_RE.match(p.name)]
    out: dict[str, list[Path]] = {"": sorted(set(tops))} if tops else {}
    third = lic_dir / "third_party"
    if third.is_dir() and root.is_dir():
        entries = {}
        for e in root.iterdir():
            entries.setdefault(e.name.lower(), e.name)
            if e.is_file():
                entries.setdefault(e.name.split(".")[0].lower(), e.name)
        for proj in sorted(third.iterdir()):
            files = sorted(p for p in proj.iterdir() if p.is_file() and LICENSE_FILE_RE.match(p.name))
            name = entries.get(proj.name.lower())
            if files and name:
                out.setdefault(name, []).extend(files)
    return out


def scan_tree(root: Path, detector: Detector, *, progress: bool = False) -> dict[str, dict]:
    """{relative dir or file: {"license": SPDX expression, "files": [...]}} for one tree.

    Each license file gets ScanCode's full per-file detection; several in one place are combined with
    AND (a tree's COPYING and NOTICE both apply). Places whose files name no license are left out.
    """
    places = package_license_files(root)
    for rel, files in find_license_files(root).items():
        places.setdefault(rel, []).extend(files)
    items = sorted(places.items())
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc=f"license files {root.name}", unit="dir")
    entries: dict[str, dict] = {}
    for rel, files in items:
        found = []
        for f in files:
            if f.stat().st_size > MAX_LICENSE_FILE_BYTES:
                continue
            expr = detector.scan_file(str(f))
            if expr and expr not in found:
                found.append(expr)
        if found:
            expr = found[0] if len(found) == 1 else " AND ".join(f"({e})" if " " in e else e for e in found)
            entries[rel] = {"license": expr, "files": [str(f) for f in files]}
    return entries


def lookup(entries: dict[str, dict], path: str) -> str | None:
    """The license of the nearest entry at `path` or above it (None: no license file up the tree)."""
    parts = path.strip("/").split("/")
    for i in range(len(parts), -1, -1):
        hit = entries.get("/".join(parts[:i]))
        if hit:
            return hit["license"]
    return None


def load_tree_map(path: str | os.PathLike) -> dict[str, dict]:
    """{tree key: {"root", "version", "entries"}} from a map written by `build_tree_map`."""
    data = json.loads(Path(path).read_text())
    if data.get("format") != MAP_FORMAT:
        raise ValueError(f"{path}: not a license tree map (format {data.get('format')!r})")
    return data["trees"]


def build_tree_map(
    trees: Iterable, path: str | os.PathLike, detector: Detector | None = None, *, progress: bool = True
) -> dict[str, dict]:
    """Scan the license files of `trees` (reader `Tree`s: `.root`, `.repo`, `.version`, `.id_prefix`) into
    the JSON map at `path`; trees already there with the same root and version are not rescanned."""
    from cppllm.pipeline.readers.download import file_lock

    path = Path(path)
    with file_lock(path.with_name(path.name + ".lock")):
        known = load_tree_map(path) if path.is_file() else {}
        changed = False
        for tree in trees:
            key = tree.id_prefix or tree.repo
            root = str(Path(tree.root).resolve())
            have = known.get(key)
            if have and have["root"] == root and have["version"] == tree.version:
                continue
            detector = detector or Detector()
            entries = scan_tree(Path(root), detector, progress=progress)
            known[key] = {"root": root, "version": tree.version, "entries": entries}
            changed = True
        if changed or not path.is_file():
            write_text(path, json.dumps({"format": MAP_FORMAT, "trees": known}, indent=1, sort_keys=True))
    return known


def tree_license(tree_map: dict[str, dict], doc_id: str, path: str) -> str | None:
    """The propagated license-file license of one document, or None."""
    key = tree_key(doc_id, path)
    tree = tree_map.get(key) if key is not None else None
    if tree is None:
        return None
    found = lookup(tree["entries"], path)
    return found if found and found != NOASSERTION else None
