"""Near-dedup throughput: our code-shingle MinHash stages vs datatrove's default MinHash, same corpus, same run.

Figures are docs per CPU-second of the process (this box is shared, so wall time is noisy). Both run
datatrove's four stages (signatures, buckets, clusters, filter) on one core (`tasks=1`,
`workers=1`) over the same documents of the embedded corpus (libstdc++ and torch headers). Ours: 5-gram
code shingles, 256 permutations (25 bands x 10 rows at threshold 0.7), vectorised numpy signatures.
Baseline: datatrove's `MinhashConfig()` (5-grams, 14 buckets x 8 hashes, 64-bit xxhash) with its word
tokenizer: spaCy English (the default) when spaCy is installed, else `str.split` (cheaper than spaCy,
so the ratio is then a lower bound). Also prints the signature stage alone and the duplicate rate our
pipeline finds on the whole embedded corpus (after exact dedup, as in the pipeline).

    python benchmarks/bench_dedup.py [--docs 1500] [--rate-docs 0 (all)]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time

from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.readers import JsonlReader
from datatrove.utils.word_tokenizers import WordTokenizer
from machine import machine_line

from cppllm.pipeline.dedup.minhash import CodeMinhashSignature
from cppllm.pipeline.dedup.near import NearDedupConfig
from cppllm.pipeline.dedup.run import minhash_executors
from cppllm.pipeline.executors import executor_factory
from cppllm.pipeline.readers.corpus import CPP_EXTENSIONS, embedded_roots


def write_jsonl(docs: list[Document], folder: str) -> JsonlReader:
    """Both pipelines read the same jsonl file (a reader holding the documents would be pickled per task)."""
    os.makedirs(folder, exist_ok=True)
    with open(f"{folder}/docs.jsonl", "w") as f:
        for d in docs:
            f.write(json.dumps({"text": d.text, "id": d.id, "metadata": d.metadata}) + "\n")
    return JsonlReader(folder)


class SplitTokenizer(WordTokenizer):
    def word_tokenize(self, text: str) -> list[str]:
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        return [text]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return [(0, len(text))]


def baseline_tokenizer() -> tuple[object, str]:
    try:
        import spacy  # noqa: F401

        return "en", "spaCy English (datatrove default)"
    except ImportError:
        return (
            SplitTokenizer(),
            "str.split (spaCy not installed; the default is slower: ratio is a lower bound)",
        )


def load_corpus(limit: int) -> list[Document]:
    docs, seen = [], set()
    for root in embedded_roots():
        for p in sorted(root.path.rglob("*")):
            if not p.is_file() or (p.suffix.lower() not in CPP_EXTENSIONS and root.name != "libstdcxx"):
                continue
            try:
                text = p.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            digest = hashlib.sha1(text.encode()).digest()
            if digest in seen:  # exact dedup first, as in the pipeline
                continue
            seen.add(digest)
            docs.append(
                Document(
                    text=text, id=f"{root.name}/{p.relative_to(root.path)}", metadata={"source": root.name}
                )
            )
    docs.sort(key=lambda d: hashlib.sha1(d.id.encode()).digest())  # a mix of both roots in any prefix
    return docs[:limit] if limit else docs


def run_ours(docs: list[Document], work: str, workers: int = 1) -> tuple[float, int]:
    execs = minhash_executors(
        reader=write_jsonl(docs, f"{work}/input"),
        after_filter=[],
        work_dir=f"{work}/ours",
        config=NearDedupConfig(),
        tasks=workers,
        make_executor=executor_factory(f"{work}/ours_logs", workers=workers),
    )
    t = time.process_time()
    _quiet(execs[-1].run)
    return time.process_time() - t, _kept(f"{work}/ours_logs/minhash_4_filter")


def _quiet(fn) -> None:
    """Run `fn` with datatrove's per-task log output (fd 1 and 2) swallowed: it would drown the figures."""
    sys.stdout.flush()
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        fn()
    finally:
        sys.stdout.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


def _filter_stats(logdir: str) -> dict:
    with open(f"{logdir}/stats.json") as f:
        stats = json.load(f)
    return next(s["stats"] for s in stats if "forwarded" in s["stats"])


def _kept(logdir: str) -> int:
    return _filter_stats(logdir)["forwarded"]


def run_baseline(docs: list[Document], work: str, tokenizer) -> tuple[float, int]:
    cfg = MinhashConfig()
    d = f"{work}/base"

    def ex(pipeline, tasks, name, depends=None):
        return LocalPipelineExecutor(
            pipeline, tasks=tasks, workers=1, logging_dir=f"{work}/base_logs/{name}", depends=depends
        )

    reader = write_jsonl(docs, f"{work}/input")
    s1 = ex([reader, MinhashDedupSignature(f"{d}/sigs", config=cfg, language=tokenizer)], 1, "s1")
    s2 = ex([MinhashDedupBuckets(f"{d}/sigs", f"{d}/buckets", config=cfg)], cfg.num_buckets, "s2", s1)
    s3 = ex([MinhashDedupCluster(f"{d}/buckets", f"{d}/clusters", config=cfg)], 1, "s3", s2)
    s4 = ex([reader, MinhashDedupFilter(f"{d}/clusters")], 1, "s4", s3)
    t = time.process_time()
    _quiet(s4.run)
    return time.process_time() - t, _kept(f"{work}/base_logs/s4")


def signature_only(docs: list[Document], step) -> float:
    t = time.process_time()
    for doc in docs:
        sh = step.get_shingles(doc.text)
        if sh.size:
            step.get_signature(sh)
    return time.process_time() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1500, help="documents in the speed comparison")
    ap.add_argument("--rate-docs", type=int, default=0, help="documents for the duplicate rate (0: all)")
    args = ap.parse_args(argv)

    from datatrove.utils.logging import logger

    logger.remove()
    tokenizer, tok_label = baseline_tokenizer()
    docs = load_corpus(args.docs)
    mb = sum(len(d.text) for d in docs) / 1e6
    cfg = NearDedupConfig()
    print(machine_line())
    print(f"corpus: {len(docs)} docs, {mb:.1f} MB of the embedded corpus")
    print(cfg.describe())
    print(f"baseline: datatrove MinhashConfig() {MinhashConfig()}, tokenizer {tok_label}")

    ours_sig = signature_only(docs, CodeMinhashSignature("/tmp/unused", cfg))
    base_sig = signature_only(
        docs, MinhashDedupSignature("/tmp/unused", config=MinhashConfig(), language=tokenizer)
    )
    with tempfile.TemporaryDirectory() as work:
        t_ours, kept_ours = run_ours(docs, work)
        t_base, kept_base = run_baseline(docs, work, tokenizer)
    n = len(docs)
    print(
        f"signature stage: ours {n / ours_sig:.0f} docs/s/core, datatrove {n / base_sig:.0f} docs/s/core, "
        f"ratio {base_sig / ours_sig:.2f}x"
    )
    print(
        f"4 stages, 1 core: ours {n / t_ours:.0f} docs/s ({t_ours:.1f} s), datatrove {n / t_base:.0f} docs/s "
        f"({t_base:.1f} s), ratio {t_base / t_ours:.2f}x"
    )
    print(
        f"  near-duplicates removed in this sample: ours {n - kept_ours}, datatrove default {n - kept_base}"
    )

    all_docs = load_corpus(args.rate_docs)
    with tempfile.TemporaryDirectory() as work:
        t0 = time.perf_counter()
        _, kept_all = run_ours(all_docs, work, workers=min(2, os.cpu_count() or 1))
        t_all = time.perf_counter() - t0
        stats = _filter_stats(f"{work}/ours_logs/minhash_4_filter")
        removed = {k.removeprefix("removed_"): v for k, v in stats.items() if k.startswith("removed_")}
    rate = (len(all_docs) - kept_all) / len(all_docs)
    print(
        f"duplicate rate on the embedded corpus (after exact dedup): {rate:.1%} "
        f"({len(all_docs) - kept_all} of {len(all_docs)} docs removed in {t_all:.0f} s wall; by source {removed})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
