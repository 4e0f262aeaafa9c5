"""The agent's copy of a repository: every tool works here, never on the user's tree.

`Workspace(repo)` copies the repository (without `.git` and build folders) into a fresh sandbox dir (owned
by the sandbox user when we are root, so sandboxed builds can write there), remembers the original text of
every file, and resolves tool paths: a path that leaves the copy, directly (`../x`, `/etc/passwd`) or
through a symlink, is refused with `ToolError`. `diff()` is the unified diff of what the agent changed.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import shutil
import stat
from pathlib import Path

from cppllm.eval.sandbox import NOBODY_GID, NOBODY_UID, SandboxDir, _can_drop_to_nobody

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "build", "build-asan", "cmake-build-debug", "__pycache__", ".cppllm-index"}
)
MAX_REPO_BYTES = 64 << 20
MAX_REPO_FILES = 20_000
MAX_TEXT_BYTES = 1 << 20  # larger files are not remembered for the diff (and not editable)


class ToolError(ValueError):
    """A tool refused its arguments or could not do the work; the message goes back to the model."""


def _ignore(directory: str, names: list[str]) -> set[str]:
    """Build folders, and anything that is not a file, folder or symlink (a FIFO would block the copy)."""
    out = set()
    for n in names:
        mode = os.lstat(os.path.join(directory, n)).st_mode
        if n in SKIP_DIRS or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
            out.add(n)
    return out


def _tree_size(top: Path) -> tuple[int, int]:
    """(bytes, files) of the tree the copy would hold."""
    total = count = 0
    for d, dirs, files in os.walk(top):
        dirs[:] = [x for x in dirs if x not in SKIP_DIRS]
        total += sum(os.lstat(os.path.join(d, f)).st_size for f in files)
        count += len(files)
    return total, count


class Workspace:
    """A sandboxed copy of `repo`: `root` is the copy, `resolve(path)` maps a tool path into it."""

    def __init__(
        self,
        repo: str | os.PathLike,
        *,
        index_dir: str | os.PathLike | None = None,
        test_command: str | None = None,
        max_bytes: int = MAX_REPO_BYTES,
    ) -> None:
        self.repo = Path(repo).resolve()
        self.index_dir = Path(index_dir) if index_dir is not None else None  # for `retrieve`
        self.test_command = test_command  # run_tests' command where no CMake/Makefile test target exists
        if not self.repo.is_dir():
            raise FileNotFoundError(f"{repo}: not a directory")
        size, count = _tree_size(self.repo)
        if size > max_bytes:
            raise ValueError(
                f"{repo}: {size >> 20} MiB of files, over the {max_bytes >> 20} MiB workspace budget"
            )
        if count > MAX_REPO_FILES:
            raise ValueError(f"{repo}: {count} files, over the {MAX_REPO_FILES}-file workspace budget")
        self._dir = SandboxDir(prefix="cppllm-agent-")
        self.sandbox_dir = self._dir.path  # the sandboxed jobs' work dir (their .stdout/.stderr live here)
        self.root = self.sandbox_dir / "repo"
        shutil.copytree(self.repo, self.root, symlinks=True, ignore=_ignore)
        if _can_drop_to_nobody():
            for d, _, files in os.walk(self.root):
                os.lchown(d, NOBODY_UID, NOBODY_GID)
                for f in files:
                    os.lchown(os.path.join(d, f), NOBODY_UID, NOBODY_GID)
        self.original: dict[str, str] = {}
        for path in self.files():
            p = self.root / path
            if not p.is_symlink() and p.stat().st_size <= MAX_TEXT_BYTES:
                with contextlib.suppress(UnicodeDecodeError):  # binary files are not diffed
                    self.original[path] = p.read_text()
        self.edited: set[str] = set()

    # -- paths -----------------------------------------------------------------------------------------
    def resolve(self, path: str, *, must_exist: bool = True) -> Path:
        """`path` (relative to the repository root) inside the copy; `ToolError` if it leaves the copy."""
        if not isinstance(path, str) or "\0" in path:
            raise ToolError("path must be a string")
        rel = path.strip() or "."
        root = os.path.realpath(self.root)
        candidate = os.path.realpath(rel if os.path.isabs(rel) else os.path.join(root, rel))
        if candidate != root and not candidate.startswith(root + os.sep):
            raise ToolError(f"{path}: outside the repository (refused)")
        if must_exist and not os.path.exists(candidate):
            raise ToolError(f"{path}: no such file or directory")
        return Path(candidate)

    def rel(self, path: str | os.PathLike) -> str:
        return os.path.relpath(path, self.root)

    def files(self, under: str = ".") -> list[str]:
        """Repository files under `under` (relative paths, sorted), build folders skipped."""
        start = self.resolve(under)
        if start.is_file():
            return [self.rel(start)]
        out = []
        for d, dirs, files in os.walk(start):
            dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS)
            out += [self.rel(os.path.join(d, f)) for f in files]
        return sorted(out)

    def scrub(self, text: str) -> str:
        """Tool output with the copy's absolute paths made repository-relative."""
        return text.replace(str(self.root) + "/", "").replace(str(self.root), ".")

    # -- changes ---------------------------------------------------------------------------------------
    def diff(self) -> str:
        """Unified diff (a/ b/ paths) of every file the agent changed, created or deleted."""
        chunks = []
        for path in sorted(set(self.original) | self.edited):
            before = self.original.get(path)
            p = self.root / path
            after = p.read_text() if p.is_file() and not p.is_symlink() else None
            if before == after:
                continue
            chunks += difflib.unified_diff(
                (before or "").splitlines(keepends=True),
                (after or "").splitlines(keepends=True),
                fromfile=f"a/{path}" if before is not None else "/dev/null",
                tofile=f"b/{path}" if after is not None else "/dev/null",
            )
        return "".join(c if c.endswith("\n") else c + "\n\\ No newline at end of file\n" for c in chunks)

    def close(self) -> None:
        self._dir.__exit__(None, None, None)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
