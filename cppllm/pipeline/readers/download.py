"""Resumable, verified, atomic downloads (`http://`, `https://`, `file://`) with the standard library.

A partial download lives in `<dest>.part`; a rerun asks the server for the rest with an HTTP `Range`
header (a server that answers 200 instead of 206 gets a clean restart). Transient failures (connection
errors, 429, 5xx) are retried with exponential backoff; the file is checked against `sha256` when one is
given and only then renamed into place. A file lock keeps concurrent tasks from downloading twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

USER_AGENT = "cppllm-reader/0.1 (+https://github.com/)"
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


class DownloadError(RuntimeError):
    """A download that cannot succeed (bad URL, 4xx, checksum mismatch, retries exhausted)."""


def is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme in ("http", "https", "file")


@contextmanager
def file_lock(path: Path):
    """An exclusive advisory lock on `path` (created if needed), held for the `with` block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def url_filename(url: str) -> str:
    """A cache file name for `url`: a short hash of the full URL plus its readable basename."""
    name = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name or "download"
    name = re.sub(r"[^\w.+-]", "_", name)
    return f"{hashlib.sha256(url.encode()).hexdigest()[:12]}-{name}"


def _copy(src, out, pbar) -> None:
    while chunk := src.read(1 << 20):
        out.write(chunk)
        pbar.update(len(chunk))


def _fetch(url: str, part: Path, timeout: float) -> None:
    """One attempt: append the missing bytes of `url` to `part` (restarting when the server can't resume)."""
    offset = part.stat().st_size if part.exists() else 0
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme == "file":
        src_path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
        if not src_path.is_file():
            raise DownloadError(f"{url}: no such file")
        total = src_path.stat().st_size
        offset = offset if offset <= total else 0
        with open(src_path, "rb") as src, open(part, "ab" if offset else "wb") as out:
            src.seek(offset)
            with tqdm(total=total, initial=offset, unit="B", unit_scale=True, desc=src_path.name) as pbar:
                _copy(src, out, pbar)
        return
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    req = urllib.request.Request(url, headers=headers)
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset:  # nothing left to send: the part is complete (sha256 decides)
            return
        raise
    with resp:
        resumed = offset and resp.status == 206
        if offset and not resumed:
            offset = 0  # the server ignored Range: start over
        length = resp.headers.get("Content-Length")
        total = offset + int(length) if length and length.isdigit() else None
        with (
            open(part, "ab" if resumed else "wb") as out,
            tqdm(total=total, initial=offset, unit="B", unit_scale=True, desc=Path(part.name).stem) as pbar,
        ):
            _copy(resp, out, pbar)
    if total is not None and part.stat().st_size < total:
        raise urllib.error.URLError(f"connection closed early ({part.stat().st_size}/{total} bytes)")


def download(
    url: str,
    dest_dir: str | os.PathLike,
    *,
    sha256: str | None = None,
    retries: int = 5,
    backoff_s: float = 1.0,
    timeout_s: float = 60.0,
) -> Path:
    """Download `url` into `dest_dir` (resuming a partial file) and return the final path.

    A finished download is reused (and re-checked when `sha256` is given). Raises `DownloadError`.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / url_filename(url)
    part = dest.with_name(dest.name + ".part")
    with file_lock(dest.with_name(dest.name + ".lock")):
        if dest.is_file():
            if sha256 is None or sha256_file(dest) == sha256.lower():
                return dest
            dest.unlink()  # stale or corrupted: fetch again
        for attempt in range(retries + 1):
            try:
                _fetch(url, part, timeout_s)
                break
            except urllib.error.HTTPError as e:
                if e.code not in _RETRY_STATUS or attempt == retries:
                    raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from e
                retry_after = e.headers.get("Retry-After", "") if e.headers else ""
                time.sleep(float(retry_after) if retry_after.isdigit() else backoff_s * 2**attempt)
            except (urllib.error.URLError, OSError, TimeoutError) as e:
                if attempt == retries:
                    raise DownloadError(f"{url}: {e}") from e
                time.sleep(backoff_s * 2**attempt)
        if sha256 is not None:
            got = sha256_file(part)
            if got != sha256.lower():
                part.unlink()
                raise DownloadError(f"{url}: sha256 mismatch: expected {sha256.lower()}, got {got}")
        os.replace(part, dest)
    return dest
