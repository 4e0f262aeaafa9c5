"""Hydration: fetch a file's text from its repository at a commit, for metadata-only datasets.

`nvidia/Nemotron-Pretraining-Code-v1/v2`'s `Nemotron-Code-Metadata` configs list `repo`, `commit_id`
and `rel_path` per file but no text; `Hydrator` gets the bytes from the repository host (by default
`https://raw.githubusercontent.com/{repo}/{commit}/{path}`; the template is configurable, so a mirror or
a test server on 127.0.0.1 can stand in). Every answer is cached on disk keyed by (repo, commit, path),
including permanent misses (404/410), so reruns never refetch. Transient failures (connection errors,
429, 5xx) are retried with exponential backoff (honouring `Retry-After`); requests are rate limited per
process; `$GITHUB_TOKEN`, when set, is sent to GitHub hosts for their higher rate limit.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cppllm.atomic import write_bytes

GITHUB_RAW = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
_PERMANENT = {400, 404, 410, 451}  # cached as misses; 401/403 are not (a token may fix them)
_MISSING = b"\x00cppllm-missing\x00"  # cache marker for permanent misses: no real text has NUL


class RateLimiter:
    """At most `rate` acquisitions per second across threads (`rate <= 0`: unlimited)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = 0.0
        self.lock = threading.Lock()

    def acquire(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            wait = self.next_at - now
            self.next_at = max(now, self.next_at) + self.interval
        if wait > 0:
            time.sleep(wait)


class Hydrator:
    """Fetches (repo, commit, path) -> bytes, or None when the file cannot be had (`fetch_failed`)."""

    def __init__(
        self,
        cache_dir: str | os.PathLike,
        *,
        url_template: str = GITHUB_RAW,
        retries: int = 4,
        backoff_s: float = 1.0,
        rate_per_s: float = 20.0,
        timeout_s: float = 30.0,
        workers: int = 8,
    ):
        self.cache_dir = Path(cache_dir)
        self.url_template = url_template
        self.retries, self.backoff_s, self.timeout_s, self.workers = retries, backoff_s, timeout_s, workers
        self.limiter = RateLimiter(rate_per_s)
        self.stats = {"cache_hits": 0, "fetched": 0, "retries": 0, "failed": 0}
        self._stats_lock = threading.Lock()

    def url(self, repo: str, commit: str, path: str) -> str:
        return self.url_template.format(
            repo=urllib.parse.quote(repo, safe="/"),
            commit=urllib.parse.quote(commit, safe=""),
            path=urllib.parse.quote(path, safe="/"),
        )

    def cache_path(self, repo: str, commit: str, path: str) -> Path:
        key = hashlib.sha256(f"{repo}\0{commit}\0{path}".encode()).hexdigest()
        return self.cache_dir / key[:2] / key

    def _count(self, key: str) -> None:
        with self._stats_lock:
            self.stats[key] += 1

    def _store(self, dest: Path, data: bytes) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(dest, data)

    def _request(self, url: str) -> urllib.request.Request:
        headers = {"User-Agent": "cppllm-hydrate/0.1"}
        token = os.environ.get("GITHUB_TOKEN")
        host = urllib.parse.urlsplit(url).hostname or ""
        if token and (
            host == "github.com" or host.endswith(".github.com") or host.endswith("githubusercontent.com")
        ):
            headers["Authorization"] = f"Bearer {token}"
        return urllib.request.Request(url, headers=headers)

    def fetch(self, repo: str, commit: str, path: str) -> bytes | None:
        dest = self.cache_path(repo, commit, path)
        if dest.is_file():
            self._count("cache_hits")
            data = dest.read_bytes()
            return None if data == _MISSING else data
        url = self.url(repo, commit, path)
        for attempt in range(self.retries + 1):
            self.limiter.acquire()
            try:
                with urllib.request.urlopen(self._request(url), timeout=self.timeout_s) as resp:
                    data = resp.read()
                self._store(dest, data)
                self._count("fetched")
                return data
            except urllib.error.HTTPError as e:
                if e.code in _PERMANENT:
                    self._store(dest, _MISSING)
                    break
                rate_limited = e.code == 403 and e.headers and e.headers.get("X-RateLimit-Remaining") == "0"
                if e.code in (401, 403) and not rate_limited:
                    break
                retry_after = e.headers.get("Retry-After", "") if e.headers else ""
                delay = float(retry_after) if retry_after.isdigit() else self.backoff_s * 2**attempt
            except (urllib.error.URLError, OSError, TimeoutError):
                delay = self.backoff_s * 2**attempt
            if attempt < self.retries:
                self._count("retries")
                time.sleep(delay)
        self._count("failed")  # transient failures are not cached: a rerun tries again
        return None

    def fetch_many(self, keys: list[tuple[str, str, str]]) -> list[bytes | None]:
        """`fetch` for many keys with `workers` threads, results in the order of `keys`."""
        if len(keys) <= 1 or self.workers <= 1:
            return [self.fetch(*k) for k in keys]
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(lambda k: self.fetch(*k), keys))
