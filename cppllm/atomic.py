"""Atomic file writes: a reader sees the old file or the new one, never half of one (stdlib only)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to `path` via a uniquely named temp file in the same folder and `os.replace`.

    The temp file is opened like any other file, so the result gets the usual (umask) permissions.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
