"""The code index on disk and its search: dense (FAISS over our embedder), BM25 (`bm25s`), or both fused.

    INDEX/index.json     settings: embedder checkpoint, FAISS kind, counts, sources
    INDEX/chunks.jsonl   one chunk per line: repo, path, line span, kind, name, commit, file hash, text
    INDEX/vectors.npy    (N, D) float32 unit embeddings, row i = chunk i (absent for a BM25-only index)
    INDEX/dense.faiss    the FAISS index over vectors.npy
    INDEX/bm25/          the bm25s index over `chunks.code_tokens` of each chunk

FAISS kind (`--faiss auto`): exact inner product (`IndexFlatIP`) up to `flat_max` chunks, else HNSW
(`IndexHNSWFlat`, M=32, inner product); its recall/speed knob is `ef_search` at query time (IVF,
`IndexIVFFlat` with nlist ~ 4 sqrt(N), is the other choice, knob `nprobe`). An update re-reads the sources
and embeds only chunks of files whose content hash changed or that are new, drops chunks of removed files,
and rebuilds FAISS and BM25 from the kept + new rows (the embedding is the expensive part).

Hybrid search fuses the dense and BM25 rankings, each one's top `max(100, 4k)`, with the index's fusion
(`cppllm.index.fusion`: weighted RRF or a convex combination of normalised scores, its dense weight chosen
on dev repositories; plain RRF, k=60, when `index.json` records none).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cppllm.atomic import write_text
from cppllm.index.chunks import Chunk, SourceFile, chunk_file, code_tokens
from cppllm.index.fusion import Fusion, candidate_depth, fuse

MODES = ("hybrid", "dense", "bm25")


@dataclass(frozen=True, kw_only=True)
class Hit:
    """One search result: where the chunk is, what it is, its text and score."""

    score: float
    id: int
    repo: str
    path: str
    start_line: int
    end_line: int
    kind: str
    name: str
    commit: str | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _faiss_index(vectors: np.ndarray, kind: str, flat_max: int):
    import faiss

    n, d = vectors.shape
    if kind == "auto":
        kind = "flat" if n <= flat_max else "hnsw"
    if kind == "flat":
        index = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
    elif kind == "ivf":
        nlist = max(1, min(n // 39, int(4 * np.sqrt(n))))  # FAISS wants >= 39 training points per list
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
    else:
        raise ValueError(f"unknown FAISS kind {kind!r} (auto, flat, hnsw, ivf)")
    if n:
        index.add(vectors)
    return index, kind


class CodeIndex:
    """An opened index. `search(query, k, mode)` -> list[Hit], best first."""

    def __init__(self, root: Path, *, device: str = "cpu") -> None:
        self.root = Path(root)
        meta_path = self.root / "index.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"{root}: not a code index (no index.json; build one with "
                                    "python -m cppllm.index build)")  # fmt: skip
        self.meta = json.loads(meta_path.read_text())
        self.chunks = [json.loads(x) for x in (self.root / "chunks.jsonl").read_text().splitlines() if x]
        self.device = device
        self._dense = None
        self._bm25 = None
        self._embedder = None

    @property
    def fusion(self) -> Fusion:
        """How hybrid search fuses dense and BM25 (`index.json` "fusion"; plain RRF when absent)."""
        return Fusion.from_meta(self.meta.get("fusion"))

    @property
    def has_dense(self) -> bool:
        return self.meta.get("embedder") is not None

    def _load_dense(self):
        if self._dense is None:
            import faiss

            self._dense = faiss.read_index(str(self.root / "dense.faiss"))
        return self._dense

    def _load_bm25(self):
        if self._bm25 is None:
            import bm25s

            self._bm25 = bm25s.BM25.load(str(self.root / "bm25"))
        return self._bm25

    def embedder(self):
        """(model, tokenizer) of the index's embedder, loaded once."""
        if self._embedder is None:
            self._embedder = load_embedder_and_tokenizer(self.meta["embedder"], self.device)
        return self._embedder

    def embed_queries(self, queries: list[str]) -> np.ndarray:
        from cppllm.model.embedder import encode_texts

        model, tok = self.embedder()
        return encode_texts(model, tok, queries, role="query", device=self.device).numpy()

    def dense_ranking(self, qvec: np.ndarray, k: int, *, ef_search: int = 64, nprobe: int = 8):
        """(ids, scores) of the top `k` chunks by inner product for each row of `qvec` (Q, D)."""
        index = self._load_dense()
        if hasattr(index, "hnsw"):
            index.hnsw.efSearch = max(ef_search, k)
        if hasattr(index, "nprobe"):
            index.nprobe = nprobe
        scores, ids = index.search(np.ascontiguousarray(qvec, dtype=np.float32), min(k, len(self.chunks)))
        return ids, scores

    def bm25_ranking(self, queries: list[str], k: int):
        """(ids, scores) of the top `k` chunks by BM25 for each query; -1 / 0 where fewer terms match."""
        bm = self._load_bm25()
        k = min(k, len(self.chunks))
        toks = [code_tokens(q) or ["\x00"] for q in queries]
        ids, scores = bm.retrieve(toks, k=k, show_progress=False, n_threads=1)
        ids = np.where(scores > 0, ids, -1)
        return ids, scores

    def search(self, query: str, k: int = 10, mode: str = "hybrid", **knobs) -> list[Hit]:
        """The `k` best chunks for a natural-language or code query."""
        return self.search_batch([query], k, mode, **knobs)[0]

    def search_batch(
        self, queries: list[str], k: int = 10, mode: str = "hybrid", *, fusion: Fusion | None = None, **knobs
    ) -> list[list[Hit]]:
        """`search` for many queries; `fusion` overrides the index's hybrid fusion."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if mode != "bm25" and not self.has_dense:
            raise ValueError(f"{self.root} has no dense vectors (built without --run): use mode bm25")
        if not self.chunks:
            return [[] for _ in queries]
        depth = k if mode != "hybrid" else candidate_depth(k)
        rankings = []
        if mode in ("dense", "hybrid"):
            rankings.append(self.dense_ranking(self.embed_queries(queries), depth, **knobs))
        if mode in ("bm25", "hybrid"):
            rankings.append(self.bm25_ranking(queries, depth))
        out = []
        for qi in range(len(queries)):
            if mode == "hybrid":
                (d_ids, d_scores), (b_ids, b_scores) = rankings
                best = fuse((d_ids[qi], d_scores[qi]), (b_ids[qi], b_scores[qi]), fusion or self.fusion, k)
            else:
                ids, scores = rankings[0]
                best = [(int(i), float(s)) for i, s in zip(ids[qi], scores[qi], strict=True) if i >= 0][:k]
            out.append([self._hit(i, s) for i, s in best])
        return out

    def _hit(self, i: int, score: float) -> Hit:
        c = self.chunks[i]
        return Hit(score=score, id=i, repo=c["repo"], path=c["path"], start_line=c["start_line"],
                   end_line=c["end_line"], kind=c["kind"], name=c["name"], commit=c.get("commit"),
                   text=c["text"])  # fmt: skip


def open_index(path: str | Path, *, device: str = "cpu") -> CodeIndex:
    """Open an index folder for search: `open_index("idx").search("parse a header", k=5)`."""
    return CodeIndex(Path(path), device=device)


def load_embedder_and_tokenizer(ckpt: str, device: str = "cpu"):
    from cppllm.model.embedder import load_embedder
    from cppllm.tokenizer.tokenizer import CppTokenizer
    from cppllm.train.stages import find_parent

    parent = find_parent(ckpt)
    if parent.tokenizer_path is None:
        raise FileNotFoundError(f"{ckpt}: its tokenizer folder is gone")
    model, trained = load_embedder(parent.ckpt, device=device)
    return model, CppTokenizer.load(parent.tokenizer_path)


@dataclass(frozen=True, kw_only=True)
class BuildReport:
    chunks: int
    embedded: int  # chunks embedded in this build/update (the rest were reused)
    removed_files: int
    changed_files: int
    faiss: str | None
    seconds: float
    embed_seconds: float
    notes: tuple[str, ...] = ()


def build_index(
    out: str | Path,
    files: Iterable[SourceFile],
    *,
    run: str | None,
    faiss_kind: str = "auto",
    flat_max: int = 50_000,
    strip_docs: bool = False,
    device: str = "cpu",
    batch_size: int = 32,
    update: bool = False,
    progress: bool = True,
    sources: list[str] | None = None,
) -> BuildReport:
    """Build `out` (or, `update=True`, refresh it: only new/changed files are embedded). `sources` (the
    `--source` strings) is recorded in index.json for `update` and the retrieval eval's auto queries."""
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    out = Path(out)
    notes: list[str] = []
    old_chunks: list[dict] = []
    old_vecs = None
    old_meta: dict[str, Any] = {}
    if update:
        old = CodeIndex(out)
        old_meta = old.meta
        run = run or old.meta.get("embedder")
        strip_docs = old.meta.get("strip_docs", strip_docs)
        faiss_kind = faiss_kind if faiss_kind != "auto" else old.meta.get("faiss_requested", "auto")
        old_chunks = old.chunks
        if old.has_dense and (out / "vectors.npy").is_file():
            old_vecs = np.load(out / "vectors.npy")
    old_by_file: dict[tuple[str, str], list[int]] = {}
    for i, c in enumerate(old_chunks):
        old_by_file.setdefault((c["repo"], c["path"]), []).append(i)
    chunks: list[Chunk | dict] = []
    reuse: list[int] = []  # old row per new chunk, -1 = embed
    seen: set[tuple[str, str]] = set()
    changed = 0
    for f in files:
        key = (f.repo, f.path)
        if key in seen:
            continue
        seen.add(key)
        prev = old_by_file.get(key)
        if prev and old_chunks[prev[0]]["file_sha"] == f.sha:
            chunks += [old_chunks[i] for i in prev]
            reuse += prev
            continue
        changed += 1
        new = chunk_file(f, strip_docs=strip_docs)
        chunks += new
        reuse += [-1] * len(new)
    removed = len(set(old_by_file) - seen)
    rows = [c if isinstance(c, dict) else c.to_dict() for c in chunks]
    out.mkdir(parents=True, exist_ok=True)
    embedder_ckpt = None
    kind = None
    embed_s = 0.0
    todo = [i for i, r in enumerate(reuse) if r < 0 or old_vecs is None]
    if run:
        from cppllm.model.embedder import encode_texts
        from cppllm.train.stages import find_parent

        embedder_ckpt = str(find_parent(run).ckpt)
        model, tok = load_embedder_and_tokenizer(embedder_ckpt, device)
        if not json.loads((Path(embedder_ckpt) / "config.json").read_text()).get("embed"):
            notes.append(
                "embedder: a plain GPT checkpoint (no --stage embed run): mean pooling, untrained head"
            )
        dim = model.dim
        vecs = np.zeros((len(rows), dim), dtype=np.float32)
        for i, r in enumerate(reuse):
            if r >= 0 and old_vecs is not None:
                vecs[i] = old_vecs[r]
        te = time.perf_counter()
        step = 256
        for s in tqdm(range(0, len(todo), step), desc="embed chunks", disable=not progress):
            idx = todo[s : s + step]
            vecs[idx] = encode_texts(model, tok, [rows[i]["text"] for i in idx], role="doc",
                                     batch_size=batch_size, device=device).numpy()  # fmt: skip
        embed_s = time.perf_counter() - te
        import faiss

        index, kind = _faiss_index(vecs, faiss_kind, flat_max)
        np.save(out / "vectors.npy.tmp.npy", vecs)
        Path(out / "vectors.npy.tmp.npy").replace(out / "vectors.npy")
        faiss.write_index(index, str(out / "dense.faiss.tmp"))
        Path(out / "dense.faiss.tmp").replace(out / "dense.faiss")
    else:
        notes.append("no --run: BM25 only (dense and hybrid search unavailable)")
    import bm25s

    bm = bm25s.BM25()
    bm.index([code_tokens(r["text"]) or ["\x00"] for r in rows] or [["\x00"]], show_progress=False)
    bm.save(str(out / "bm25"))
    write_text(out / "chunks.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    meta = {
        "embedder": embedder_ckpt,
        "faiss": kind,
        "faiss_requested": faiss_kind,
        "strip_docs": strip_docs,
        "sources": sources or [],
        "chunks": len(rows),
        "files": len(seen),
        "repos": sorted({r["repo"] for r in rows}),
        "notes": notes,
    }
    if old_meta.get("fusion") and old_meta.get("embedder") == embedder_ckpt:
        meta["fusion"] = old_meta["fusion"]  # an update keeps the fusion tuned for this embedder
    write_text(out / "index.json", json.dumps(meta, indent=2))
    return BuildReport(chunks=len(rows), embedded=len(todo) if run else 0, removed_files=removed,
                       changed_files=changed if update else 0, faiss=kind,
                       seconds=time.perf_counter() - t0, embed_seconds=embed_s, notes=tuple(notes))  # fmt: skip
