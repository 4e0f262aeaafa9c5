"""Raw C/C++ source trees as DataTrove readers: a local directory, a tarball/zip, or a URL to one.

Every tree is listed in a stable order (sorted relative paths), C/C++ files are selected by extension or,
for extensionless headers such as libstdc++'s `vector`, by content, and the list is split across tasks by
index (`files[rank::world_size]`), so the local and Slurm executors shard it the same way. Each document
gets a stable id (`<id_prefix>/<path>`) and the shared metadata: `source`, `path`, `repo`, `version`, and
`build_context` (the tree's include dirs / defines / standard as JSON, `buildctx.py`), which the
compile-rate eval uses to check prompts the way their tree builds.

Archives are downloaded (resumable, optional sha256) and extracted safely (see `archive.py`) once into a
cache folder shared by all tasks; later tasks and reruns reuse it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.readers.base import BaseReader

from cppllm.pipeline.readers.archive import ExtractLimits, extract_archive, tree_root
from cppllm.pipeline.readers.buildctx import BuildContext, detect
from cppllm.pipeline.readers.cppfiles import (
    DEFAULT_MAX_FILE_BYTES,
    SNIFF_BYTES,
    decode_source,
    is_cpp_path,
    is_extensionless,
    looks_like_cpp,
)
from cppllm.pipeline.readers.download import DownloadError, download, file_lock, is_url, sha256_file


@dataclass(frozen=True, kw_only=True)
class Tree:
    """One source tree on local disk and the provenance its documents carry."""

    root: str
    source: str  # metadata `source`
    repo: str  # metadata `repo` (train/val split groups by it)
    version: str = "unknown"
    id_prefix: str = ""  # document ids are `<id_prefix>/<path>`; defaults to `repo`
    repo_depth: int = 0  # >0: repo becomes `<repo>/<first path component>` (sub-projects of one tree)
    context: BuildContext | None = None  # how the tree builds; None: found from its build files (`detect`)


@dataclass(frozen=True, slots=True)
class FileEntry:
    tree: int  # index into the reader's tree list
    path: str  # POSIX path relative to the tree root
    size: int


def default_cache_dir() -> Path:
    """Downloads and extracted archives live here: `$CPPLLM_CACHE` or `~/.cache/cppllm`."""
    return Path(os.environ.get("CPPLLM_CACHE") or Path.home() / ".cache" / "cppllm")


def git_version(root: Path) -> str:
    """The commit a git checkout is at (read from `.git`, no subprocess), else "unknown"."""
    head = root / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if not ref.startswith("ref: "):
            return ref
        ref_path = root / ".git" / ref[5:]
        if ref_path.is_file():
            return ref_path.read_text().strip()
        packed = root / ".git" / "packed-refs"
        for line in packed.read_text().splitlines() if packed.is_file() else []:
            sha, _, name = line.partition(" ")
            if name == ref[5:]:
                return sha
    except OSError:
        pass
    return "unknown"


def name_and_version(name: str) -> tuple[str, str]:
    """`boost_1_84_0.tar.gz` -> ("boost_1_84_0", "1_84_0"); `fmt-10.2.1.zip` -> ("fmt-10.2.1", "10.2.1")."""
    stem = re.sub(r"(\.tar)?\.(gz|tgz|xz|txz|bz2|tbz2?|zst|zip)$|\.tar$", "", name, flags=re.IGNORECASE)
    m = re.search(r"[-_](v?\d[\w.]*)$", stem)
    return stem, (m.group(1) if m else "unknown")


def list_tree(root: Path, counts: Counter) -> Iterator[tuple[str, int]]:
    """(relative POSIX path, size) of every C/C++ file under `root`, sorted, never leaving `root`.

    Symlinks are not followed: a link that resolves outside the tree is counted `symlink_escape`, one
    inside it is skipped (its target is listed on its own). Plain `os.scandir` (no pathlib) because this
    runs over every file of every tree in every task.
    """
    root = root.resolve()
    stack = [("", str(root))]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            counts["unreadable"] += 1
            continue
        subdirs = []
        for e in entries:
            rel = prefix + e.name
            if e.is_dir(follow_symlinks=False):
                if e.name not in (".git", ".hg", ".svn"):
                    subdirs.append((rel + "/", e.path))
                continue
            if e.is_symlink():  # files and folders alike
                inside = Path(e.path).resolve().is_relative_to(root)
                counts["symlink_skipped" if inside else "symlink_escape"] += 1
                continue
            by_name = is_cpp_path(e.name)
            if not (by_name or is_extensionless(e.name)):
                continue
            try:
                size = e.stat(follow_symlinks=False).st_size
                if not by_name:
                    with open(e.path, "rb") as f:
                        if not looks_like_cpp(f.read(SNIFF_BYTES)):
                            continue
            except OSError:
                counts["unreadable"] += 1
                continue
            yield rel, size
        stack.extend(reversed(subdirs))  # depth-first, in sorted order


def _subset_key(doc_id: str) -> bytes:
    return hashlib.blake2b(doc_id.encode(), digest_size=8).digest()


class SourceTreeReader(BaseReader):
    """Base reader over a list of `Tree`s; subclasses say how the trees come to be on disk (`trees()`).

    Args:
        max_file_bytes: larger files are dropped (`too_large`) without being read.
        max_docs / max_bytes: a deterministic subset of all trees (a stable hash order over document ids,
            cut at the limits), identical in every task and every rerun.
        limit / skip: DataTrove's per-task limits.
    """

    name = "📂 source tree"

    def __init__(
        self,
        *,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        max_docs: int | None = None,
        max_bytes: int | None = None,
        limit: int = -1,
        skip: int = 0,
        default_metadata: dict | None = None,
    ):
        super().__init__(limit=limit, skip=skip, default_metadata=default_metadata)
        self.max_file_bytes = max_file_bytes
        self.max_docs = max_docs
        self.max_bytes = max_bytes

    def trees(self, rank: int, world_size: int) -> list[Tree]:
        raise NotImplementedError

    @staticmethod
    def doc_id(tree: Tree, path: str) -> str:
        return f"{tree.id_prefix or tree.repo}/{path}"

    def entries(self, trees: list[Tree]) -> tuple[list[FileEntry], Counter]:
        """Every selected file of every tree, in the stable order that sharding relies on."""
        counts: Counter = Counter()
        entries = [
            FileEntry(i, rel, size)
            for i, tree in enumerate(trees)
            for rel, size in list_tree(Path(tree.root), counts)
        ]
        if self.max_docs is not None or self.max_bytes is not None:
            order = sorted(entries, key=lambda e: _subset_key(self.doc_id(trees[e.tree], e.path)))
            kept, total = [], 0
            for e in order:
                if self.max_docs is not None and len(kept) >= self.max_docs:
                    break
                if self.max_bytes is not None and total + e.size > self.max_bytes:
                    continue  # a smaller file may still fit: keeps the byte budget tight
                kept.append(e)
                total += e.size
            keep = set(kept)
            entries = [e for e in entries if e in keep]
        return entries, counts

    def read_entry(self, tree: Tree, entry: FileEntry, context: str | None = None) -> Document | str:
        """The document for one file, or its drop reason; `context`: the tree's `BuildContext` JSON."""
        if self.max_file_bytes and entry.size > self.max_file_bytes:
            return "too_large"
        try:
            with open(os.path.join(tree.root, entry.path), "rb") as f:
                data = f.read()
        except OSError:
            return "unreadable"
        decoded = decode_source(data, self.max_file_bytes)
        if decoded.text is None:
            return decoded.reason
        repo = tree.repo
        if tree.repo_depth > 0 and "/" in entry.path:
            repo = "/".join([tree.repo, *entry.path.split("/")[: tree.repo_depth]])
        metadata = {"source": tree.source, "path": entry.path, "repo": repo, "version": tree.version}
        if context is not None:
            metadata["build_context"] = context
        if self.default_metadata:
            metadata = self.default_metadata | metadata
        return Document(text=decoded.text, id=self.doc_id(tree, entry.path), metadata=metadata)

    def drop(self, reason: str, value: int = 1) -> None:
        self.stat_update("dropped", f"dropped_{reason}", value=value)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        trees = self.trees(rank, world_size)
        entries, counts = self.entries(trees)
        if rank == 0:  # listing is identical in every task: count its drops once
            for reason, n in sorted(counts.items()):
                if reason == "symlink_skipped":
                    self.stat_update(reason, value=n)
                else:
                    self.drop(reason, n)
        self._log_limit_scope(rank, world_size)
        shard = entries[rank::world_size]
        contexts: dict[int, str] = {}
        kept = skipped = 0
        for entry in shard:
            if self.limit != -1 and kept >= self.limit:
                break
            self.stat_update("input_files")
            with self.track_time():
                if entry.tree not in contexts:  # once per tree, and only for trees this task reads
                    tree = trees[entry.tree]
                    contexts[entry.tree] = (tree.context or detect(tree.root)).to_json()
                doc = self.read_entry(trees[entry.tree], entry, contexts[entry.tree])
            if isinstance(doc, str):
                self.drop(doc)
                continue
            if skipped < self.skip:
                skipped += 1
                continue
            self.stat_update("documents")
            self.update_doc_stats(doc)
            kept += 1
            yield doc


class DirectoryReader(SourceTreeReader):
    """C/C++ files of one or more local directories.

    `source` and `repo` default to the directory name, `version` to the git commit when it is a checkout.
    """

    name = "📂 directory"

    def __init__(
        self,
        paths: str | os.PathLike | list[str | os.PathLike],
        *,
        source: str | None = None,
        repo: str | None = None,
        version: str | None = None,
        repo_depth: int = 0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
        self.paths = [str(Path(p).resolve()) for p in paths]
        for p in self.paths:
            if not Path(p).is_dir():
                raise FileNotFoundError(f"source directory not found: {p}")
        self.source, self.repo, self.version, self.repo_depth = source, repo, version, repo_depth

    def trees(self, rank: int, world_size: int) -> list[Tree]:
        trees = []
        for p in self.paths:
            name = Path(p).name
            trees.append(
                Tree(
                    root=p,
                    source=self.source or name,
                    repo=self.repo or name,
                    version=self.version or git_version(Path(p)),
                    id_prefix=name if len(self.paths) > 1 else (self.repo or name),
                    repo_depth=self.repo_depth,
                )
            )
        return trees


class ArchiveReader(SourceTreeReader):
    """C/C++ files of a source archive (`.tar.gz/.tar.xz/.tar.bz2/.zip`), local or at a URL.

    A URL is downloaded into `<cache_dir>/downloads` (resumable, checked against `sha256` when given);
    the archive is extracted safely once into `<cache_dir>/extracted/<name>-<sha256 prefix>` and read as a
    tree. `source`/`repo` default to the archive name without suffixes, `version` to the version at its
    end (`fmt-10.2.1.tar.gz` -> `10.2.1`). Limits: `max_archive_bytes`, `max_archive_files`.
    """

    name = "📦 archive"

    def __init__(
        self,
        archive: str | os.PathLike,
        *,
        source: str | None = None,
        repo: str | None = None,
        version: str | None = None,
        sha256: str | None = None,
        cache_dir: str | os.PathLike | None = None,
        max_archive_bytes: int = ExtractLimits.max_total_bytes,
        max_archive_files: int = ExtractLimits.max_files,
        repo_depth: int = 0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.archive = str(archive)
        self.is_url = is_url(self.archive)
        if not self.is_url:
            self.archive = str(Path(self.archive).expanduser().resolve())
            if not Path(self.archive).is_file():
                raise FileNotFoundError(f"archive not found: {self.archive}")
        self.cache_dir = str(cache_dir) if cache_dir else None
        self.sha256 = sha256
        self.limits = ExtractLimits(
            max_total_bytes=max_archive_bytes, max_files=max_archive_files, max_file_bytes=self.max_file_bytes
        )
        stem, found_version = name_and_version(Path(self.archive.split("?")[0]).name)
        self.source, self.repo = source or stem, repo or stem
        self.version = version or found_version
        self.repo_depth = repo_depth
        self.extract_counts: dict[str, int] = {}

    def local_archive(self) -> Path:
        cache = Path(self.cache_dir) if self.cache_dir else default_cache_dir()
        if self.is_url:
            return download(self.archive, cache / "downloads", sha256=self.sha256)
        if self.sha256 and sha256_file(Path(self.archive)) != self.sha256.lower():
            raise DownloadError(f"{self.archive}: sha256 mismatch (expected {self.sha256.lower()})")
        return Path(self.archive)

    def trees(self, rank: int, world_size: int) -> list[Tree]:
        cache = Path(self.cache_dir) if self.cache_dir else default_cache_dir()
        archive = self.local_archive()
        digest = self.sha256.lower() if self.sha256 else sha256_file(archive)
        dest = cache / "extracted" / f"{name_and_version(archive.name)[0]}-{digest[:16]}"
        with file_lock(dest.with_name(dest.name + ".lock")):
            self.extract_counts = extract_archive(archive, dest, self.limits)
        if rank == 0:  # extraction happens once for all tasks: count its drops once
            for reason, n in self.extract_counts.items():
                if reason in ("extracted", "link_skipped"):
                    self.stat_update(f"archive_{reason}", value=n)
                else:
                    self.drop(reason, n)
        return [
            Tree(
                root=str(tree_root(dest)),
                source=self.source,
                repo=self.repo,
                version=self.version,
                repo_depth=self.repo_depth,
            )
        ]
