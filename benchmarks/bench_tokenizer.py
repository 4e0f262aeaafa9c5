"""Tokenizer speed: encode MB/s of ours vs tiktoken cl100k_base on the same text, and training time.

    .venv/bin/python benchmarks/bench_tokenizer.py [--train-mb 20] [--encode-mb 8] [--vocab-size 32000]

Text: the embedded corpus (this machine's g++ and torch headers), normalized as the pipeline does.
Training: `train_tokenizer` on `--train-mb` of the train split, reported per 100 MB (linear
extrapolation: the BPE trainer's cost grows with the number of distinct pre-tokens, a little less than
linearly). Encoding: `--encode-mb` of held-out + train text, both as one batch call (all cores) and as
one call per document (one core); ours with its default (tiktoken) engine and with the HF engine (same ids,
checked), against tiktoken cl100k_base.
"""

from __future__ import annotations

import argparse
import os
import platform
import time


def _texts(mb: float, split: str) -> list[str]:
    from cppllm.pipeline.normalize import normalize
    from cppllm.tokenizer.data import iter_docs, split_docs

    out, n = [], 0
    for d in split_docs(iter_docs("embedded"), split):
        t = normalize(d.text)
        out.append(t)
        n += len(t.encode())
        if n >= mb * 1e6:
            break
    return out


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train-mb", type=float, default=20, help="MB of text to train on")
    ap.add_argument("--encode-mb", type=float, default=8, help="MB of text to encode")
    ap.add_argument("--vocab-size", type=int, default=32000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    from cppllm.tokenizer.baselines import baseline
    from cppllm.tokenizer.tokenizer import CppTokenizer, train_tokenizer

    hw = f"{os.cpu_count()}-core CPU dev box ({platform.machine()})"
    train = _texts(args.train_mb, "train")
    train_mb = sum(len(t.encode()) for t in train) / 1e6
    t0 = time.perf_counter()
    tok = train_tokenizer(train, args.vocab_size)
    train_s = time.perf_counter() - t0
    print(
        f"training: {train_mb:.1f} MB in {train_s:.1f} s -> {train_s * 100 / train_mb:.0f} s per 100 MB [{hw}]"
    )

    text = _texts(args.encode_mb / 2, "heldout") + train
    mb, total = 0.0, []
    for t in text:  # about --encode-mb in all
        total.append(t)
        mb += len(t.encode()) / 1e6
        if mb >= args.encode_mb:
            break
    text = total
    cl = baseline("cl100k_base")
    if not cl.available:
        print(f"cl100k_base {cl.source}: no baseline, only absolute figures")
    hf = CppTokenizer.load_json(tok.to_json(), engine="hf")
    assert tok.engine == "tiktoken", "tiktoken not installed: only the HF engine can run"
    assert tok.encode_batch(text) == hf.encode_batch(text), "engines disagree"
    for mode in ("batch (all cores)", "per document (1 core)"):
        if mode.startswith("batch"):
            ours = _best(lambda: tok.encode_batch(text), args.repeats)
            ours_hf = _best(lambda: hf.encode_batch(text), 1)
            theirs = (
                _best(lambda: cl.encoding.encode_ordinary_batch(text), args.repeats) if cl.available else None
            )
        else:
            ours = _best(lambda: [tok.encode(t) for t in text], args.repeats)
            ours_hf = _best(lambda: [hf.encode(t) for t in text], 1)
            theirs = (
                _best(lambda: [cl.encoding.encode_ordinary(t) for t in text], args.repeats)
                if cl.available
                else None
            )
        r = f"encode {mode}: ours {mb / ours:.1f} MB/s (HF tokenizers engine {mb / ours_hf:.1f} MB/s)"
        if theirs:
            r += f", cl100k_base {mb / theirs:.1f} MB/s, ratio {theirs / ours:.2f}x"
        print(f"{r} ({mb:.1f} MB) [{hw}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
