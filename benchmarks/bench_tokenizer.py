"""Tokenizer speed: our encoder vs the HF `tokenizers` engine on the SAME tokenizer, and training time.

    .venv/bin/python benchmarks/bench_tokenizer.py [--train-mb 20] [--encode-mb 8] [--vocab-size 32000]

Text: the embedded corpus (this machine's g++ and torch headers), normalized as the pipeline does.
Training: `train_tokenizer` on `--train-mb` of the train split, reported per 100 MB (linear
extrapolation: the BPE trainer's cost grows with the number of distinct pre-tokens, a little less than
linearly). Encoding: `--encode-mb` of held-out + train text, both as one batch call and as one call per
document (one thread), every side with the same thread count (`--threads`, default all cores: our batch
call's count; HF's Rayon pool via RAYON_NUM_THREADS, set before `tokenizers` loads; tiktoken's
`num_threads`).

- The speed-up a user gets: our tokenizer on its default engine (tiktoken's BPE with our regex and
  ranks) vs the same tokenizer.json on the HF `tokenizers` engine. Same ids, checked on all the text.
- For scale only: tiktoken `cl100k_base` on the same text and threads. A DIFFERENT tokenizer (100K
  vocabulary, another regex) on the same engine as ours, so that ratio says how our regex and vocabulary
  cost against cl100k's, not how fast our code is.
"""

from __future__ import annotations

import argparse
import os
import time

from machine import machine_line, short_label


def _texts(mb: float, split: str) -> list[str]:
    from cppllm.pipeline.clean.normalize import normalize
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
    ap.add_argument("--vocab-size", type=int, default=32000, help="vocabulary size to train")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats per side (the best counts)")
    ap.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="threads of every batch call (ours, HF's Rayon pool, cl100k); default: all cores",
    )
    args = ap.parse_args(argv)
    # Rayon sizes its global pool once, from the environment, when `tokenizers` first runs parallel work.
    os.environ["RAYON_NUM_THREADS"] = os.environ["RAYON_RS_NUM_THREADS"] = str(args.threads)
    os.environ["TOKENIZERS_PARALLELISM"] = "true"

    from cppllm.tokenizer.baselines import baseline
    from cppllm.tokenizer.tokenizer import CppTokenizer, train_tokenizer

    print(machine_line())
    hw = short_label()
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
    ours = CppTokenizer.load_json(tok.to_json(), engine="tiktoken")  # needs tiktoken: fails loudly without
    fast = ours._fast  # the tiktoken Encoding behind `ours`, so the thread count can be passed
    hf = CppTokenizer.load_json(tok.to_json(), engine="hf")
    same = fast.encode_ordinary_batch(text, num_threads=args.threads) == hf.encode_batch(text)
    print(f"same tokenizer, both engines give the same ids on all {len(text)} documents: {same}")
    cl = baseline("cl100k_base")
    if not cl.available:
        print(f"cl100k_base {cl.source}: not available, only our two engines compared")
    n = args.threads
    sides = {
        f"batch ({n} threads)": (
            lambda: fast.encode_ordinary_batch(text, num_threads=n),
            lambda: hf.encode_batch(text),
            (lambda: cl.encoding.encode_ordinary_batch(text, num_threads=n)) if cl.available else None,
        ),
        "per document (1 thread)": (
            lambda: [fast.encode_ordinary(t) for t in text],
            lambda: [hf.encode(t) for t in text],
            (lambda: [cl.encoding.encode_ordinary(t) for t in text]) if cl.available else None,
        ),
    }
    for mode, (run_ours, run_hf, run_cl) in sides.items():
        t_ours = _best(run_ours, args.repeats)
        t_hf = _best(run_hf, args.repeats)
        print(
            f"encode {mode}, {mb:.1f} MB: ours (tiktoken engine) {mb / t_ours:.2f} MB/s, same tokenizer on "
            f"the HF tokenizers engine {mb / t_hf:.2f} MB/s -> speed-up {t_hf / t_ours:.2f}x [{hw}]"
        )
        if run_cl is not None:
            t_cl = _best(run_cl, args.repeats)
            print(
                f"  for scale, a DIFFERENT tokenizer on the same engine: tiktoken cl100k_base "
                f"{mb / t_cl:.2f} MB/s, ours / cl100k {t_cl / t_ours:.2f}x"
            )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
