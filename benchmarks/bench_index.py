"""Code index costs: FAISS build time, query latency and recall of flat vs HNSW vs IVF, BM25 build/query,
embedder throughput, and memory per million chunks. Prints the machine and the thread count.

python benchmarks/bench_index.py --index idx            # real chunks/vectors of an index (+ its embedder)
python benchmarks/bench_index.py --synthetic 200000     # also FAISS at a larger N (random unit vectors)

Every FAISS kind runs on the same vectors and queries with the same thread count; recall@10 of HNSW/IVF
is against the exact (flat) result of the same run. Per-million figures are linear extrapolations of the
measured per-chunk cost (FAISS HNSW/IVF build is slightly superlinear), and say so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical cores, {platform.system()}"


def faiss_rows(vecs: np.ndarray, queries: np.ndarray, k: int = 10) -> list[dict]:
    from cppllm.index.store import _faiss_index

    rows = []
    exact = None
    for kind, knobs in (("flat", [None]), ("hnsw", [16, 64, 256]), ("ivf", [1, 8, 32])):
        t0 = time.perf_counter()
        index, _ = _faiss_index(vecs, kind, flat_max=0)
        build = time.perf_counter() - t0
        import faiss

        size = len(faiss.serialize_index(index))
        for knob in knobs:
            if kind == "hnsw":
                index.hnsw.efSearch = knob
            elif kind == "ivf":
                index.nprobe = knob
            t0 = time.perf_counter()
            for q in queries:  # one query at a time: the agent's pattern
                _, ids = index.search(q[None], k)
            lat = (time.perf_counter() - t0) / len(queries)
            _, ids = index.search(queries, k)
            if kind == "flat":
                exact = ids
            recall = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ids, exact, strict=True)]))
            rows.append({"faiss": kind, "knob": knob, "n": len(vecs), "build_s": build, "ms_per_query": 1000 * lat,
                         f"recall@{k}_vs_flat": recall, "bytes_per_chunk": size / len(vecs)})  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--index", help="an index folder (python -m cppllm.index build)")
    p.add_argument(
        "--synthetic", type=int, default=0, help="also time FAISS on this many random unit vectors"
    )
    p.add_argument("--dim", type=int, default=256, help="synthetic vector width")
    p.add_argument("--queries", type=int, default=200, help="queries timed")
    p.add_argument("--embed-sample", type=int, default=128, help="chunks embedded to time the embedder")
    p.add_argument("--threads", type=int, default=1, help="FAISS/torch threads (same for every method)")
    args = p.parse_args(argv)
    import faiss
    import torch

    faiss.omp_set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    print(f"machine: {machine()}; threads: {args.threads}")
    rng = np.random.default_rng(0)
    out: dict = {"machine": machine(), "threads": args.threads}
    if args.index:
        from cppllm.index.chunks import code_tokens
        from cppllm.index.store import open_index

        idx = open_index(args.index)
        texts = [c["text"] for c in idx.chunks]
        meta_bytes = (Path(args.index) / "chunks.jsonl").stat().st_size / max(1, len(texts))
        import bm25s

        t0 = time.perf_counter()
        bm = bm25s.BM25()
        toks = [code_tokens(t) or ["\x00"] for t in texts]
        bm.index(toks, show_progress=False)
        bm_build = time.perf_counter() - t0
        qi = rng.choice(len(texts), min(args.queries, len(texts)), replace=False)
        t0 = time.perf_counter()
        for i in qi:
            bm.retrieve([toks[i][:16]], k=10, show_progress=False, n_threads=1)
        bm_lat = (time.perf_counter() - t0) / len(qi)
        out["bm25"] = {"n": len(texts), "build_s": bm_build, "build_s_per_million": bm_build / len(texts) * 1e6,
                       "ms_per_query": 1000 * bm_lat, "metadata_bytes_per_chunk": meta_bytes}  # fmt: skip
        print(f"BM25 ({len(texts)} real chunks): build {bm_build:.2f}s ({bm_build / len(texts) * 1e6:.0f}s per "
              f"million, extrapolated), {1000 * bm_lat:.2f} ms/query; chunk metadata+text {meta_bytes:.0f} B/chunk")  # fmt: skip
        if idx.has_dense:
            vecs = np.load(Path(args.index) / "vectors.npy")
            sample = [
                texts[i] for i in rng.choice(len(texts), min(args.embed_sample, len(texts)), replace=False)
            ]
            idx.embed_queries(sample[:2])  # load the model outside the timing
            t0 = time.perf_counter()
            idx.embed_queries(sample)
            per = (time.perf_counter() - t0) / len(sample)
            out["embedder"] = {"s_per_chunk": per, "hours_per_million": per * 1e6 / 3600}
            print(f"embedder: {1000 * per:.1f} ms/chunk -> {per * 1e6 / 3600:.1f} h per million chunks "
                  f"(extrapolated, {args.threads} thread(s))")  # fmt: skip
            out["faiss_real"] = faiss_rows(vecs, vecs[qi])
    if args.synthetic:
        v = rng.standard_normal((args.synthetic, args.dim)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        q = v[rng.choice(len(v), args.queries, replace=False)] + 0.1 * rng.standard_normal(
            (args.queries, args.dim)
        ).astype(np.float32)
        out["faiss_synthetic"] = faiss_rows(v, q.astype(np.float32))
    for key in ("faiss_real", "faiss_synthetic"):
        for r in out.get(key, []):
            print(f"{key:15} {r['faiss']:5} knob={str(r['knob']):4} n={r['n']:7} build {r['build_s']:7.2f}s "
                  f"{r['ms_per_query']:7.3f} ms/q recall@10 vs flat {r['recall@10_vs_flat']:.3f} "
                  f"{r['bytes_per_chunk'] * 1e6 / 2**30:6.2f} GiB per million chunks")  # fmt: skip
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
