"""Atomic file writes: a reader sees the old file or the new one, never half of one (stdlib only).

`write_text`/`write_bytes` for data in memory; `atomic_path` for a library that writes to a file name
(safetensors, `torch.save`, `np.save`, matplotlib, a GGUF writer); `atomic_dir` for a folder built in
place (an export, an extracted archive). Each writes beside the target and swaps it in with `os.replace`,
so a killed process leaves the previous version (or nothing) plus at most a hidden temp to ignore.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path


def _temp_beside(path: Path, suffix: str = "") -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp{suffix}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str = "") -> Iterator[Path]:
    """A temp file name beside `path` to write to; renamed onto `path` when the block ends, removed when it
    raises. `suffix`: for writers that pick the format from the extension (`.png`) or append one (`.npy`)."""
    path = Path(path)
    tmp = _temp_beside(path, suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` atomically (a temp file in the same folder, then `os.replace`)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to `path` via a uniquely named temp file in the same folder and `os.replace`.

    The temp file is opened like any other file, so the result gets the usual (umask) permissions.
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """A fresh temp folder beside `path` to fill; when the block ends it replaces `path` (an old folder there
    is removed first), when it raises it is removed."""
    path = Path(path)
    tmp = _temp_beside(path)
    tmp.mkdir(parents=True)
    try:
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
