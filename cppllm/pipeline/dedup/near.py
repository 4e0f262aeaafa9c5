"""MinHash near-deduplication for source code: code shingles, signatures, LSH banding, survivors.

Follows the BigCode near-dedup recipe (StarCoder, arXiv:2305.06161; "Large-scale Near-deduplication
Behind BigCode"): split the file on non-identifier characters, take 5-gram shingles of the identifier /
number tokens, 256 MinHash permutations, Jaccard threshold 0.7, LSH bands/rows chosen to minimise the
weighted false-positive + false-negative area (Broder 1997; Leskovec et al., "Mining of Massive
Datasets", ch. 3). Whitespace, punctuation and indentation changes do not change the shingles.

The permutations are datasketch 2.0's default "affine32" scheme (MurmurHash3 fmix32 pre-mix, then
`a * h + b mod 2^32` with the same seeded parameters), computed for all shingles of a document at once
in numpy; the signatures equal datasketch `MinHash(scheme="affine32")` bit for bit, so the in-memory
datasketch path here and the datatrove multi-stage path (`minhash.py`) find the same clusters.

Two ways to run it, both deterministic about which document of a cluster survives (highest source
priority, then longest, then smallest id) and both counting removals by source:
- `DatasketchNearDedup`: one process, datasketch `MinHashLSH`, all documents in memory (small corpora,
  and the reference the scalable path is tested against).
- `minhash` + `run.near_dedup_executors`: datatrove's signature / buckets / cluster / filter stages with these
  shingles, many tasks on the local or Slurm executor, bucket files on disk, bounded memory.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

NEAR_DEDUP_METHODS = ("datatrove", "datasketch", "off")

# Curated, reviewed trees beat permissively-licensed dataset dumps, which beat raw crawls. Unknown
# sources get `default_priority`. Higher wins.
DEFAULT_SOURCE_PRIORITY: dict[str, int] = {
    "libstdcxx": 100,
    "torch-include": 90,
    "the-stack-v2-dedup": 50,
    "the-stack-v2": 50,
    "the-stack-dedup": 50,
    "the-stack": 45,
    "starcoderdata": 50,
    "github-repos": 20,
    "crawl": 0,
}

_IDENT = re.compile(r"[A-Za-z0-9_]+")
_M64 = (1 << 64) - 1
_POLY = 0x100000001B3  # FNV-64 prime: multiplier that combines the token hashes of one n-gram


@dataclass(frozen=True, kw_only=True)
class NearDedupConfig:
    """MinHash near-dedup settings; `bands`/`rows` are derived from the threshold."""

    threshold: float = 0.7
    num_perm: int = 256
    ngram: int = 5
    seed: int = 42
    false_positive_weight: float = 0.5  # false-negative weight is 1 - this
    source_priority: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_SOURCE_PRIORITY))
    default_priority: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"near-dedup threshold must be in (0, 1), got {self.threshold}")
        if self.num_perm < 2 or self.ngram < 1:
            raise ValueError(f"need num_perm >= 2 and ngram >= 1, got {self.num_perm}, {self.ngram}")
        if not 0.0 <= self.false_positive_weight <= 1.0:
            raise ValueError("false_positive_weight must be in [0, 1]")

    @property
    def bands(self) -> int:
        return optimal_bands(self.threshold, self.num_perm, self.false_positive_weight)[0]

    @property
    def rows(self) -> int:
        return optimal_bands(self.threshold, self.num_perm, self.false_positive_weight)[1]

    def priority(self, source: str | None) -> int:
        return self.source_priority.get(source or "", self.default_priority)

    def describe(self) -> str:
        b, r = self.bands, self.rows
        p = ", ".join(f"P(J={s})={candidate_probability(s, b, r):.3f}" for s in (0.5, 0.7, 0.8))
        return (
            f"near-dedup: {self.ngram}-gram code shingles, {self.num_perm} permutations, "
            f"Jaccard threshold {self.threshold:g} -> {b} bands x {r} rows ({p})"
        )


def candidate_probability(s: float | np.ndarray, bands: int, rows: int) -> float | np.ndarray:
    """Probability that two documents of Jaccard `s` share at least one LSH band."""
    return 1.0 - (1.0 - np.power(s, rows)) ** bands


@functools.cache
def optimal_bands(threshold: float, num_perm: int, false_positive_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm minimising w*FP-area + (1-w)*FN-area (datasketch's rule)."""
    pairs = np.array([(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)])
    b, r = pairs[:, :1], pairs[:, 1:]  # (K, 1) each
    lo = np.linspace(0.0, threshold, 1001)
    hi = np.linspace(threshold, 1.0, 1001)
    fp = np.trapezoid(candidate_probability(lo, b, r), lo, axis=1)
    fn = np.trapezoid(1.0 - candidate_probability(hi, b, r), hi, axis=1)
    err = false_positive_weight * fp + (1.0 - false_positive_weight) * fn
    best = pairs[int(np.argmin(err))]  # first minimum: smallest b on ties, as datasketch
    return int(best[0]), int(best[1])


# ---------------------------------------------------------------------------------------- shingles
def code_tokens(text: str) -> list[str]:
    """Identifier/number tokens: the text split on every non-identifier character, empties dropped."""
    return _IDENT.findall(text)


def code_shingles(text: str, ngram: int = 5) -> set[tuple[str, ...]]:
    """The exact shingle set (token n-grams; a shorter non-empty file is one shingle)."""
    toks = code_tokens(text)
    n = min(ngram, len(toks))
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)} if n else set()


def jaccard(a: str, b: str, ngram: int = 5) -> float:
    """Exact Jaccard similarity of two texts' shingle sets (1.0 for two shingle-less texts)."""
    sa, sb = code_shingles(a, ngram), code_shingles(b, ngram)
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0


def _token_hash(token: str) -> int:
    import xxhash

    return xxhash.xxh3_64_intdigest(token.encode("utf-8", "surrogatepass"))


def shingle_hash(shingle: Sequence[str]) -> int:
    """32-bit hash of one shingle: polynomial over 64-bit token hashes, folded, top 32 bits.

    The scalar reference for `shingle_hashes`, which computes the same values for a whole file at once.
    """
    h = 0
    for i, tok in enumerate(shingle):
        h = _token_hash(tok) if i == 0 else (h * _POLY + _token_hash(tok)) & _M64
    h ^= h >> 29
    return h >> 32


def shingle_hashes(text: str, ngram: int = 5) -> np.ndarray:
    """Sorted unique 32-bit shingle hashes of `text` (uint32, empty when it has no tokens)."""
    import xxhash

    toks = code_tokens(text)
    if not toks:
        return np.empty(0, dtype=np.uint32)
    # xxhash >= 4 hashes bytes only; utf-8 is what xxhash 3 used for str, so the values are unchanged
    raw = (t.encode("utf-8", "surrogatepass") for t in toks)
    th = np.fromiter(map(xxhash.xxh3_64_intdigest, raw), dtype=np.uint64, count=len(toks))
    n = min(ngram, len(toks))
    m = len(toks) - n + 1
    h = th[:m].copy()
    with np.errstate(over="ignore"):
        for k in range(1, n):
            h *= np.uint64(_POLY)
            h += th[k : k + m]
    h ^= h >> np.uint64(29)
    return np.unique((h >> np.uint64(32)).astype(np.uint32))


# -------------------------------------------------------------------------------------- signatures
@functools.cache
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) uint32 parameters, drawn exactly as datasketch 2.0 draws them for scheme 'affine32'."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h = h * np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def minhash_signature(hashes: np.ndarray, num_perm: int = 256, seed: int = 42) -> np.ndarray:
    """MinHash signature (uint32, num_perm) of a set of 32-bit shingle hashes; equals datasketch's."""
    a, b = permutations(num_perm, seed)
    sig = np.full(num_perm, 0xFFFFFFFF, dtype=np.uint32)
    h = _fmix32(np.asarray(hashes, dtype=np.uint32))[:, None]
    # Chunks of 256 shingles keep the (chunk, num_perm) block in L2 cache: ~3x faster than one block.
    for i in range(0, len(h), 256):
        x = h[i : i + 256] * a
        x += b
        np.minimum(sig, x.min(axis=0), out=sig)
    return sig


def text_signature(text: str, config: NearDedupConfig) -> np.ndarray | None:
    """Signature of a document, or None when it has no tokens (such a document is never a duplicate)."""
    hashes = shingle_hashes(text, config.ngram)
    return minhash_signature(hashes, config.num_perm, config.seed) if hashes.size else None


# --------------------------------------------------------------------------------------- survivors
def survivor_key(priority: int, length: int, doc_id: str) -> tuple:
    """Sort key whose minimum survives: highest source priority, then longest text, then smallest id."""
    return (-priority, -length, doc_id)


def _find(parent: dict, x):
    root = x
    while parent.get(root, root) != root:
        root = parent[root]
    while parent.get(x, x) != root:  # path compression
        parent[x], x = root, parent[x]
    return root


def _union(parent: dict, a, b) -> None:
    parent.setdefault(a, a)
    parent.setdefault(b, b)
    ra, rb = _find(parent, a), _find(parent, b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)


def groups_from_pairs(pairs: Iterable[tuple]) -> list[list]:
    """Connected components (size >= 2) of the candidate-pair graph, each sorted, in sorted order."""
    parent: dict = {}
    for a, b in pairs:
        _union(parent, a, b)
    comps: dict = {}
    for x in list(parent):
        comps.setdefault(_find(parent, x), []).append(x)
    return sorted(sorted(c) for c in comps.values() if len(c) > 1)


def datasketch_clusters(texts: Sequence[str], config: NearDedupConfig) -> list[list[int]]:
    """Near-duplicate clusters (lists of indexes into `texts`) with datasketch MinHash + MinHashLSH."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(num_perm=config.num_perm, params=(config.bands, config.rows))
    pairs = []
    for i, text in enumerate(texts):
        hashes = shingle_hashes(text, config.ngram)
        if not hashes.size:
            continue
        m = MinHash(num_perm=config.num_perm, seed=config.seed, hashfunc=int, scheme="affine32")
        m.update_batch(hashes.tolist())
        pairs.extend((j, i) for j in lsh.query(m))
        lsh.insert(i, m, check_duplication=False)
    return groups_from_pairs(pairs)


class DatasketchNearDedup(PipelineStep):
    """In-memory near-dedup of all documents in one task (datasketch `MinHashLSH`).

    Holds every document until the stream ends, so it suits small corpora; use the datatrove stages in
    `minhash` for large ones. Survivor per cluster and removal counts as described in the module.
    """

    type = "🫂 - DEDUP"
    name = "🎯 near-dedup (datasketch)"
    _requires_dependencies = ["datasketch", "xxhash"]

    def __init__(self, config: NearDedupConfig | None = None):
        super().__init__()
        self.config = config or NearDedupConfig()

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if world_size != 1:
            raise ValueError(
                f"DatasketchNearDedup dedups in one process and needs tasks=1 (got {world_size}); "
                "use --near-dedup datatrove for multi-task runs"
            )
        docs = list(data)
        with self.track_time():
            clusters = datasketch_clusters([d.text for d in docs], self.config)
            removed: set[int] = set()
            for members in clusters:
                keep = min(members, key=lambda i: self._key(docs[i]))
                removed.update(i for i in members if i != keep)
                self.stat_update("clusters")
                self.stat_update("cluster_size", value=len(members), unit="cluster")
        for i, doc in enumerate(docs):
            self.stat_update("total")
            if i in removed:
                self.stat_update(
                    "dropped", "dropped_near_duplicate", f"removed_{doc.metadata.get('source', 'unknown')}"
                )
                continue
            self.stat_update("forwarded")
            yield doc

    def _key(self, doc) -> tuple:
        return survivor_key(self.config.priority(doc.metadata.get("source")), len(doc.text), str(doc.id))


# ------------------------------------------------------------------------------------------- CLI
def parse_priorities(spec: str) -> dict[str, int]:
    """`"src=N,other=M"` -> {"src": N, "other": M} (an empty spec gives {})."""
    out: dict[str, int] = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"bad source priority {item!r}: expected SOURCE=INTEGER")
        try:
            out[name.strip()] = int(value)
        except ValueError as e:
            raise ValueError(f"bad source priority {item!r}: {value!r} is not an integer") from e
    return out


def add_near_dedup_args(parser, default: str = "off") -> None:
    """The `--near-dedup*` flags every milestone pipeline CLI shares."""
    g = parser.add_argument_group("near-dedup (MinHash on code shingles, after exact dedup)")
    g.add_argument(
        "--near-dedup",
        choices=NEAR_DEDUP_METHODS,
        default=default,
        help="datatrove: multi-stage, many tasks, local or Slurm (large corpora); datasketch: one "
        f"process, in memory (small corpora); off: skip (default: {default})",
    )
    g.add_argument(
        "--near-dedup-threshold",
        type=float,
        default=NearDedupConfig.threshold,
        help="Jaccard similarity of 5-gram code shingles above which files are near-duplicates (LSH "
        "bands/rows are derived from it and printed; default 0.7)",
    )
    g.add_argument(
        "--near-dedup-priority",
        default="",
        metavar="SRC=N,...",
        help="source priorities merged over the defaults; in a cluster the highest-priority source "
        "survives, then the longest file, then the smallest id",
    )


def near_dedup_config(args) -> NearDedupConfig:
    """The NearDedupConfig the `--near-dedup*` flags describe."""
    priorities = {**DEFAULT_SOURCE_PRIORITY, **parse_priorities(args.near_dedup_priority)}
    return NearDedupConfig(threshold=args.near_dedup_threshold, source_priority=priorities)
