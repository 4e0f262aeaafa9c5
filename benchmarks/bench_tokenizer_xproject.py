"""Tokenizer efficiency on C++ projects it never saw: train on some source trees, measure on others.

    python benchmarks/bench_tokenizer_xproject.py --train A B C --heldout X Y Z [--superwords 0 4000 8000]

Every tree is a project; the tokenizer (32K by default) trains on a deterministic sample of the normalized
C/C++ files of the `--train` trees and is measured on the normalized files of the `--heldout` trees, which
it never saw (cross-project, not held-out files of the same trees). For each `--superwords K` it trains
stage 1 at `vocab - K` and adds K superword tokens (`cppllm.tokenizer.superbpe`, SuperBPE) on the same
sample, so every row has the same total vocabulary. Printed per held-out project and in all: bytes per token
and the token ratio against tiktoken's gpt2 and cl100k_base (same normalized text), encode speed (one call
per document, 1 thread, ours and cl100k on the same text), and `decode(encode(x)) == x` on every file.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def project_texts(root: Path) -> list[str]:
    from cppllm.pipeline.clean.normalize import normalize
    from cppllm.tokenizer.data import _iter_source_tree

    return [t for d in _iter_source_tree(root, root.name) if (t := normalize(d.text))]


def sample(texts: list[str], max_chars: int) -> list[str]:
    """A deterministic sample of about `max_chars` (stable hash order)."""
    import xxhash

    out, n = [], 0
    for t in sorted(texts, key=lambda t: xxhash.xxh64_intdigest(t.encode("utf-8", "surrogatepass"))):
        if n >= max_chars:
            break
        out.append(t)
        n += len(t)
    return out


def encode_speed(encode, texts: list[str], repeats: int = 3) -> float:
    """MB/s, best of `repeats` passes (a shared machine's load only ever slows a pass down)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for t in texts:
            encode(t)
        best = min(best, time.perf_counter() - t0)
    return sum(len(t.encode()) for t in texts) / best / 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--train", type=Path, nargs="+", required=True, help="source trees to train on (projects)"
    )
    ap.add_argument("--heldout", type=Path, nargs="+", required=True, help="source trees never trained on")
    ap.add_argument("--vocab-size", type=int, default=32000, help="total vocabulary, specials included")
    ap.add_argument(
        "--superwords", type=int, nargs="+", default=[0], help="stage-2 superword tokens (0: none)"
    )
    ap.add_argument("--max-chars", type=int, default=30_000_000, help="training sample (characters)")
    ap.add_argument(
        "--balance", action="store_true", help="sample the same characters from every training project"
    )
    ap.add_argument("--stage2-chars", type=int, default=10_000_000, help="of which stage 2 reads")
    args = ap.parse_args(argv)

    import tiktoken  # noqa: F401  (the engine ours runs on)

    from cppllm.tokenizer.baselines import baseline
    from cppllm.tokenizer.superbpe import add_superwords
    from cppllm.tokenizer.tokenizer import train_tokenizer

    print(f"== machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}")
    if args.train is None:
        from cppllm.pipeline.readers.corpus import embedded_roots

        args.train = [r.path for r in embedded_roots()]
    if args.heldout is None:
        args.heldout = [p for p in (Path("/usr/include/unicode"), Path("/usr/include/node")) if p.is_dir()]
    if not args.heldout:
        print("skipped: no held-out C++ trees on this machine (pass --heldout DIR ...)")
        return 0
    train = {p.name: project_texts(p) for p in args.train}
    held = {p.name: project_texts(p) for p in args.heldout}
    overlap = set(train) & set(held)
    if overlap:
        print(f"error: projects both trained on and held out: {sorted(overlap)}", file=sys.stderr)
        return 2
    if args.balance:  # each project an equal share (the largest would otherwise dominate the merges)
        texts = [t for ts in train.values() for t in sample(ts, args.max_chars // len(train))]
    else:
        texts = sample([t for ts in train.values() for t in ts], args.max_chars)
    print(
        "train projects: "
        + ", ".join(f"{k} ({sum(map(len, v)) / 1e6:.1f} M chars)" for k, v in train.items())
        + f"; sample {sum(map(len, texts)) / 1e6:.1f} M chars"
    )
    print(
        "held-out projects (never trained on): "
        + ", ".join(
            f"{k} ({len(v)} files, {sum(len(t.encode()) for t in v) / 1e6:.2f} MB)" for k, v in held.items()
        )
    )
    bases = {n: baseline(n) for n in ("gpt2", "cl100k_base")}
    for n, b in bases.items():
        if b.encoding is None:
            print(f"error: baseline {n} missing: {b.source}", file=sys.stderr)
            return 2
    base_tokens = {
        n: {p: sum(len(b.encoding.encode_ordinary(t)) for t in ts) for p, ts in held.items()}
        for n, b in bases.items()
    }
    for k in args.superwords:
        t0 = time.perf_counter()
        tok = train_tokenizer(texts, args.vocab_size - k)
        if k:
            tok = add_superwords(tok, sample(texts, args.stage2_chars), k)
        secs = time.perf_counter() - t0
        print(
            f"\n-- {tok.vocab_size} tokens = stage 1 {args.vocab_size - k} + {k} superwords (trained in {secs:.0f} s)"
        )
        print(f"{'held-out project':<18}{'bytes/token':>12}{'vs gpt2':>10}{'vs cl100k':>11}")
        total = {"ours": 0, "gpt2": 0, "cl100k_base": 0, "bytes": 0}
        lossless = True
        for p, ts in held.items():
            ids = tok.encode_batch(ts)
            lossless &= all(tok.decode(i) == t for i, t in zip(ids, ts, strict=True))
            ours, nbytes = sum(map(len, ids)), sum(len(t.encode()) for t in ts)
            g, c = base_tokens["gpt2"][p], base_tokens["cl100k_base"][p]
            total["ours"] += ours
            total["gpt2"] += g
            total["cl100k_base"] += c
            total["bytes"] += nbytes
            print(f"{p:<18}{nbytes / ours:>12.3f}{g / ours:>9.3f}x{c / ours:>10.3f}x")
        print(
            f"{'all held out':<18}{total['bytes'] / total['ours']:>12.3f}{total['gpt2'] / total['ours']:>9.3f}x"
            f"{total['cl100k_base'] / total['ours']:>10.3f}x   (goal: >= 1.5x gpt2, >= 1.2x cl100k)"
        )
        speed_texts = [t for ts in held.values() for t in ts]
        ours_mb = encode_speed(tok.encode, speed_texts)
        cl_mb = encode_speed(bases["cl100k_base"].encoding.encode_ordinary, speed_texts)
        print(
            f"encode, one call per file, 1 thread, best of 3: ours {ours_mb:.2f} MB/s ({tok.engine}), cl100k {cl_mb:.2f} MB/s "
            f"({ours_mb / cl_mb:.2f}x); decode(encode(x)) == x on every held-out file: {lossless}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
