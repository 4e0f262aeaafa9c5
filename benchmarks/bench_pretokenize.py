"""Pretokenization and loader throughput.

1. MB/s of our `BinShardWriter` (tokenize + FIM + split + Megatron .bin/.idx) against datatrove's own
   `DocumentTokenizer` (and its `MegatronDocumentTokenizer`, same output format as ours) on the same
   documents and tokenizer, in the same run; ratio = ours / datatrove (goal >= 1x).
2. Tokens/s of `MixtureLoader` against the tokens/s a CPU training step of the `tiny` model consumes
   (forward + backward + AdamW at the same batch shape); ratio goal >= 100x.

Documents: C++ files of the embedded corpus (g++ and torch headers). Run: `python benchmarks/bench_pretokenize.py`
(`--mb 50` for a bigger sample).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from machine import machine_line, short_label

HARDWARE = short_label()


def load_docs(mb: float):
    from datatrove.data import Document

    from cppllm.pipeline.readers.corpus import CPP_EXTENSIONS, embedded_roots

    docs, total = [], 0
    for root in embedded_roots():
        for p in sorted(root.path.rglob("*")):
            if not p.is_file() or (p.suffix and p.suffix not in CPP_EXTENSIONS):
                continue
            try:
                text = p.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            rel = p.relative_to(root.path).as_posix()
            top = rel.split("/", 1)[0]
            meta = {"source": root.name, "path": rel, "repo": f"{root.name}/{top}"}
            docs.append(Document(text=text, id=f"{root.name}/{rel}", metadata=meta))
            total += len(text.encode())
            if total >= mb * 1e6:
                return docs, total
    return docs, total


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=3.0, help="MB of C++ documents to tokenize")
    ap.add_argument("--vocab-size", type=int, default=8192, help="vocabulary of the benchmark tokenizer")
    ap.add_argument("--tokenizer", help="use this tokenizer dir/json instead of training one")
    ap.add_argument("--repeats", type=int, default=2, help="timed runs per contender (best is kept)")
    ap.add_argument("--batch-size", type=int, default=8, help="loader/training batch size")
    ap.add_argument("--seq-len", type=int, default=256, help="loader/training sequence length")
    args = ap.parse_args(argv)

    from datatrove.pipeline.tokens import DocumentTokenizer, MegatronDocumentTokenizer

    from cppllm.pipeline.pretokenize.binwriter import BinShardWriter, merge_shards
    from cppllm.tokenizer.tokenizer import CppTokenizer, train_tokenizer

    print(machine_line())
    docs, n_bytes = load_docs(args.mb)
    mb = n_bytes / 1e6
    print(f"documents: {len(docs)} files, {mb:.1f} MB of C++ ({HARDWARE})")
    work = Path(tempfile.mkdtemp(prefix="bench_pretok_"))
    if args.tokenizer:
        tok = CppTokenizer.load(args.tokenizer)
        tok_dir = work / "tok"
        tok.save(tok_dir)
    else:
        t0 = time.perf_counter()
        tok = train_tokenizer((d.text for d in docs[: max(1, len(docs) // 4)]), args.vocab_size)
        tok_dir = work / "tok"
        tok.save(tok_dir)
        print(f"benchmark tokenizer: vocab {tok.vocab_size}, trained in {time.perf_counter() - t0:.1f}s")
    tok_json = str(tok_dir / "tokenizer.json")

    runs = {"n": 0}

    def ours(fim_rate: float):
        def go():
            runs["n"] += 1
            out = work / f"ours{runs['n']}"
            from cppllm.pipeline.pretokenize.fim import FIMConfig

            BinShardWriter(out, tok_dir, fim=FIMConfig(fim_rate=fim_rate), val_fraction=0.01).run(iter(docs))
            merge_shards(out, out / "manifest.json")

        return go

    def dt_tokenizer():
        runs["n"] += 1
        DocumentTokenizer(
            str(work / f"dt{runs['n']}"),
            tok_json,
            eos_token="<|eos|>",
            shuffle_documents=False,
            save_final_metadata=False,
        ).run(iter(docs))

    def dt_megatron():
        runs["n"] += 1
        MegatronDocumentTokenizer(
            str(work / f"dtm{runs['n']}"), tokenizer_name_or_path=tok_json, eos_token="<|eos|>"
        ).run(iter(docs))

    results = {}
    for name, fn in [
        ("ours (FIM 0.5 + split + merge)", ours(0.5)),
        ("ours (FIM off)", ours(0.0)),
        ("datatrove DocumentTokenizer", dt_tokenizer),
        ("datatrove MegatronDocumentTokenizer", dt_megatron),
    ]:
        results[name] = mb / best_of(args.repeats, fn)
    base = results["datatrove DocumentTokenizer"]
    print("\npretokenize throughput (MB of text per second, one worker):")
    for name, v in results.items():
        print(f"  {name:40s} {v:7.2f} MB/s   ratio vs DocumentTokenizer {v / base:5.2f}x")

    # -- loader vs a CPU training step ---------------------------------------------------------------
    import torch

    from cppllm.model.config import get_preset
    from cppllm.model.gpt import GPT
    from cppllm.train.data import MixtureLoader, TokenDataset

    b, t = args.batch_size, args.seq_len
    ds = TokenDataset(work / "ours1" / "train", tokenizer_hash=tok.hash())
    loader = MixtureLoader([ds], batch_size=b, seq_len=t, seed=0, bos_aligned=True)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 2.0:
        loader.next_batch()
        n += 1
    loader_tps = n * b * t / (time.perf_counter() - t0)

    torch.manual_seed(0)
    model = GPT(get_preset("tiny", vocab_size=tok.vocab_size, max_seq_len=t))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x, y = loader.next_batch()

    def step():
        loss = model(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    step()  # warm-up
    step_s = best_of(3, step)
    train_tps = b * t / step_s
    print(f"\nloader vs training (batch {b} x {t}, tiny model, {HARDWARE}):")
    print(f"  MixtureLoader (BOS-aligned, shuffled)  {loader_tps:12,.0f} tokens/s")
    print(
        f"  tiny model train step (fwd+bwd+AdamW)  {train_tps:12,.0f} tokens/s  ({step_s * 1e3:.0f} ms/step)"
    )
    ratio = loader_tps / train_tps
    print(f"  ratio loader / training                 {ratio:12,.0f}x  (goal >= 100x)")
    print(
        f"\nsummary: pretokenize {results['ours (FIM 0.5 + split + merge)'] / base:.2f}x datatrove; loader {ratio:,.0f}x a CPU step"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
