"""Safe, streaming extraction of source tarballs and zips (`.tar.gz .tgz .tar.xz .tar.bz2 .tar .zip`).

An archive from the internet is hostile until proven otherwise, so extraction never trusts it:
- member names that are absolute, carry a drive letter or a `..` component are skipped (`unsafe_path`);
- symlinks and hardlinks are never created (`symlink_escape` when the target leaves the tree, else
  `link_skipped`), nor are devices or fifos (`special_file`), so no later member can write through one;
- a decompression bomb stops extraction with `ArchiveLimitError`: the declared sizes of all members
  (honest for tar: the bytes are in the stream) and the bytes actually written (zip sizes can lie) are
  capped, and so is the member count; members over the per-file limit are skipped (`too_large`).
Only C/C++ candidates (by extension, or extensionless) are written, plus the build files the compile-rate
eval reads include dirs from (`CMakeLists.txt`, `Makefile`, `compile_commands.json`, see `buildctx.py`).
The extracted tree stays in the cache: the eval compiles prompts against its headers later.
Extraction goes to a temporary folder renamed into place, so a killed run leaves no half tree behind.
"""

from __future__ import annotations

import json
import os
import stat
import tarfile
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from cppllm.atomic import atomic_dir, write_text
from cppllm.pipeline.readers.buildctx import BUILD_FILES
from cppllm.pipeline.readers.cppfiles import DEFAULT_MAX_FILE_BYTES, is_cpp_path, is_extensionless

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tbz", ".tar", ".zip")
REPORT_SUFFIX = ".report.json"


class ArchiveLimitError(RuntimeError):
    """The archive exceeds a size or file-count limit (a decompression bomb, or a limit set too low)."""


@dataclass(frozen=True, kw_only=True)
class ExtractLimits:
    max_total_bytes: int = 16 * 2**30  # uncompressed bytes of all members
    max_files: int = 2_000_000  # members of any kind
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # larger C/C++ members are skipped, counted `too_large`


def is_archive(path: str) -> bool:
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def safe_member_path(name: str) -> str | None:
    """The member's relative POSIX path, or None when it is absolute or climbs out with `..`."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if not parts or ".." in parts or any("\x00" in p for p in parts):
        return None
    return "/".join(parts)


def link_escapes(member_path: str, target: str) -> bool:
    """True when a link at `member_path` pointing to `target` would resolve outside the tree."""
    target = target.replace("\\", "/")
    if target.startswith("/") or (len(target) > 1 and target[1] == ":"):
        return True
    depth = len(PurePosixPath(member_path).parts) - 1
    for part in PurePosixPath(target).parts:
        depth += -1 if part == ".." else (0 if part == "." else 1)
        if depth < 0:
            return True
    return False


def _wanted(path: str) -> bool:
    return is_cpp_path(path) or is_extensionless(path) or PurePosixPath(path).name in BUILD_FILES


def _write_capped(src, dest: Path, cap: int) -> int | None:
    """Copy at most `cap` bytes; None (and no file) when the source is larger."""
    written = 0
    with open(dest, "wb") as out:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > cap:
                break
            out.write(chunk)
    if written > cap:
        dest.unlink()
        return None
    return written


class _Extractor:
    def __init__(self, dest: Path, limits: ExtractLimits, label: str):
        self.dest, self.limits, self.label = dest, limits, label
        self.counts: Counter = Counter()
        self.declared = self.written = self.members = 0

    def member(self, size: int) -> None:
        self.members += 1
        self.declared += size
        if self.members > self.limits.max_files:
            raise ArchiveLimitError(
                f"{self.label}: more than {self.limits.max_files} members (raise the max_files limit)"
            )
        if self.declared > self.limits.max_total_bytes:
            raise ArchiveLimitError(
                f"{self.label}: more than {self.limits.max_total_bytes} uncompressed bytes, "
                f"a decompression bomb or a limit set too low (raise max_total_bytes)"
            )

    def write(self, rel: str, src) -> None:
        out = self.dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.is_dir():
            self.counts["unsafe_path"] += 1  # a file member colliding with a directory
            return
        n = _write_capped(src, out, self.limits.max_file_bytes)
        if n is None:
            self.counts["too_large"] += 1
            self.written += self.limits.max_file_bytes
        else:
            self.written += n
            self.counts["extracted"] += 1
        if self.written > self.limits.max_total_bytes:
            raise ArchiveLimitError(f"{self.label}: more than {self.limits.max_total_bytes} bytes written")

    def tar(self, archive: Path) -> None:
        with tarfile.open(archive, mode="r|*") as tf:  # streaming: one pass, no seeks
            for m in tf:
                self.member(max(m.size, 0))
                rel = safe_member_path(m.name)
                if m.isdir():
                    continue
                if rel is None:
                    self.counts["unsafe_path"] += 1
                elif m.issym() or m.islnk():
                    escapes = (
                        link_escapes(rel, m.linkname) if m.issym() else safe_member_path(m.linkname) is None
                    )
                    self.counts["symlink_escape" if escapes else "link_skipped"] += 1
                elif not m.isfile():
                    self.counts["special_file"] += 1
                elif _wanted(rel):
                    if m.size > self.limits.max_file_bytes:
                        self.counts["too_large"] += 1
                    else:
                        self.write(rel, tf.extractfile(m))

    def zip(self, archive: Path) -> None:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                self.member(max(info.file_size, 0))
                rel = safe_member_path(info.filename)
                mode = info.external_attr >> 16
                if info.is_dir():
                    continue
                if rel is None:
                    self.counts["unsafe_path"] += 1
                elif stat.S_ISLNK(mode):
                    target = zf.read(info)[:4096].decode("utf-8", "replace")
                    self.counts["symlink_escape" if link_escapes(rel, target) else "link_skipped"] += 1
                elif stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                    self.counts["special_file"] += 1
                elif _wanted(rel):
                    try:
                        with zf.open(info) as src:
                            self.write(rel, src)
                    except (RuntimeError, zipfile.BadZipFile, NotImplementedError, OSError):
                        self.counts["unreadable"] += 1  # encrypted, corrupt, or an unknown method


def extract_archive(
    archive: str | os.PathLike, dest: str | os.PathLike, limits: ExtractLimits = ExtractLimits()
):
    """Extract the C/C++ candidates of `archive` into `dest` (created atomically); returns the counts.

    When `dest` already exists (an earlier task or run finished it) nothing is done and the saved
    report is returned. Raises `ArchiveLimitError` for bombs and `ValueError` for unknown formats.
    """
    archive, dest = Path(archive), Path(dest)
    report_path = dest.with_name(dest.name + REPORT_SUFFIX)
    if dest.is_dir() and report_path.is_file():
        return json.loads(report_path.read_text())["counts"]
    # the tree first, then its report: a report on disk means the tree next to it is complete
    report_path.unlink(missing_ok=True)
    with atomic_dir(dest) as tmp:
        ex = _Extractor(tmp, limits, archive.name)
        try:
            if zipfile.is_zipfile(archive):
                ex.zip(archive)
            elif tarfile.is_tarfile(archive):
                ex.tar(archive)
            else:
                raise ValueError(f"{archive}: not a tar or zip archive")
        except (tarfile.TarError, EOFError, zipfile.BadZipFile) as e:
            raise ValueError(f"{archive}: corrupt or truncated archive ({e})") from e
    counts = dict(sorted(ex.counts.items()))
    report = {"archive": str(archive), "limits": asdict(limits), "members": ex.members, "counts": counts}
    write_text(report_path, json.dumps(report, indent=1))
    return counts


def tree_root(dest: Path) -> Path:
    """The folder that is the source tree: the single top-level folder most tarballs wrap it in."""
    children = [c for c in dest.iterdir()]
    if len(children) == 1 and children[0].is_dir():
        return children[0]
    return dest
