"""Tokenizer efficiency on C++ projects it never saw: train on some projects, measure on others.

    python benchmarks/bench_tokenizer_corpus.py --cache /work/tokdata      # the pinned multi-project corpus
    python benchmarks/bench_tokenizer_xproject.py --corpus /work/tokdata --eval dev --superwords 0 8000
    python benchmarks/bench_tokenizer_xproject.py --train A B C --heldout X Y Z [--superwords 0 4000 8000]

Every project is a source tree (`--train`/`--heldout`, normalized here) or one parquet file of the corpus
that `bench_tokenizer_corpus.py` builds (`--corpus`: already normalized; train on its `train` projects,
measure on its `dev` projects, where settings are chosen, or on its `test` projects, reported once). The
tokenizer (32K by default) trains on a deterministic sample of the training projects
(`--per-project-chars` caps each project's share, so the largest trees do not make the merges alone) and
is measured on the held-out projects' files, which it never saw (cross-project, not held-out files of the
same trees). For each `--superwords K` it trains stage 1 at `vocab - K` and adds K superword tokens
(`cppllm.tokenizer.superbpe`, SuperBPE) on the same sample, so every row has the same total vocabulary.
Printed per held-out project and in all: bytes per token and the token ratio against tiktoken's gpt2 and
cl100k_base (same normalized text), encode speed (one call per document, 1 thread, ours and cl100k on the
same text), and `decode(encode(x)) == x` on every file. `--save DIR` keeps each tokenizer
(`DIR/sw<K>/tokenizer.json`); `--tokenizer DIR` measures a saved one instead of training.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def project_texts(root: Path) -> list[str]:
    """The normalized C/C++ texts of a source tree, or of one corpus parquet file (already normalized)."""
    if root.suffix == ".parquet":
        import pyarrow.parquet as pq

        return [t for t in pq.read_table(root, columns=["text"]).column("text").to_pylist() if t]
    from cppllm.pipeline.clean.normalize import normalize
    from cppllm.tokenizer.data import _iter_source_tree

    return [t for d in _iter_source_tree(root, root.name) if (t := normalize(d.text))]


def load_projects(paths: list[Path]) -> dict[str, list[str]]:
    return {(p.stem if p.suffix == ".parquet" else p.name): project_texts(p) for p in paths}


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


def as_docs(train: dict[str, list[str]], texts: list[str]) -> list[tuple[str, str]]:
    """`(project, text)` for texts of the training projects (stage 2 scores pairs by project)."""
    project_of = {t: p for p, ts in train.items() for t in ts}
    return [(project_of[t], t) for t in texts]


def cap_arg(value: str) -> int | str:
    """`--per-project-chars`: a number of characters (0: no cap) or `auto` (`data.balanced_cap`)."""
    return value if value == "auto" else int(value)


def project_cap(train: dict[str, list[str]], max_chars: int, per_project: int | str) -> int:
    """The cap in characters: `auto` is the product's default (`cppllm.tokenizer.data.balanced_cap`, the
    cap at which the capped projects just fill `max_chars`); 0: none."""
    if per_project != "auto":
        return int(per_project)
    from cppllm.tokenizer.data import balanced_cap

    return balanced_cap([sum(map(len, ts)) for ts in train.values()], max_chars) or 0


def training_sample(train: dict[str, list[str]], max_chars: int, per_project: int | str) -> list[str]:
    """`max_chars` of the training projects: each capped at `per_project` characters (0: no cap; `auto`:
    `project_cap`), then a uniform sample of what is left."""
    per_project = project_cap(train, max_chars, per_project)
    pools = [sample(ts, per_project) if per_project else ts for ts in train.values()]
    return sample([t for ts in pools for t in ts], max_chars)


def encode_speed(encode, texts: list[str], repeats: int = 3) -> float:
    """MB/s, best of `repeats` passes (a shared machine's load only ever slows a pass down)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for t in texts:
            encode(t)
        best = min(best, time.perf_counter() - t0)
    return sum(len(t.encode()) for t in texts) / best / 1e6


def _verdict(ratio: float, goal: float) -> str:
    """Met or not, from the exact ratio (printed with 4 decimals: 1.19957 must not read as 1.200)."""
    return f"{'met' if ratio >= goal else 'NOT met'}, {ratio:.4f}x"


def measure(tok, held: dict[str, list[str]], base_tokens: dict, cl100k, speed: bool) -> None:
    """Per held-out project and in all: bytes/token and tiktoken's tokens / ours; speed; round trip."""
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
    vs_gpt2, vs_cl100k = total["gpt2"] / total["ours"], total["cl100k_base"] / total["ours"]
    print(
        f"{'all held out':<18}{total['bytes'] / total['ours']:>12.3f}{vs_gpt2:>9.3f}x{vs_cl100k:>10.3f}x   "
        f"(goal: >= 1.5x gpt2: {_verdict(vs_gpt2, 1.5)}; >= 1.2x cl100k: {_verdict(vs_cl100k, 1.2)})"
    )
    if speed:
        speed_texts = [t for ts in held.values() for t in ts]
        ours_mb = encode_speed(tok.encode, speed_texts)
        cl_mb = encode_speed(cl100k.encode_ordinary, speed_texts)
        print(
            f"encode, one call per file, 1 thread, best of 3: ours {ours_mb:.2f} MB/s ({tok.engine}), "
            f"cl100k {cl_mb:.2f} MB/s ({ours_mb / cl_mb:.2f}x)"
        )
    print(f"decode(encode(x)) == x on every held-out file: {lossless}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, help="bench_tokenizer_corpus.py's --cache folder")
    ap.add_argument(
        "--eval", choices=("dev", "test"), default="dev", help="which --corpus projects to measure on"
    )
    ap.add_argument("--train", type=Path, nargs="+", default=[], help="source trees to train on (projects)")
    ap.add_argument("--heldout", type=Path, nargs="+", default=[], help="source trees never trained on")
    ap.add_argument("--vocab-size", type=int, default=32000, help="total vocabulary, specials included")
    ap.add_argument(
        "--superwords", type=int, nargs="+", default=[0], help="stage-2 superword tokens (0: none)"
    )
    ap.add_argument("--max-chars", type=int, default=30_000_000, help="training sample (characters)")
    ap.add_argument(
        "--per-project-chars",
        type=cap_arg,
        default=0,
        help="cap on each training project's sample (0: none; auto: the cap at which the capped projects "
        "just fill --max-chars, as `python -m cppllm.tokenizer.train` does)",
    )
    ap.add_argument("--stage2-chars", type=int, default=10_000_000, help="of which stage 2 reads")
    ap.add_argument(
        "--short-lines",
        type=int,
        default=None,
        help="stage-2 chunks take the short lines after a line (superbpe.chunk_pattern; 0: one line each)",
    )
    ap.add_argument("--save", type=Path, help="write each tokenizer to DIR/sw<K>/")
    ap.add_argument("--tokenizer", type=Path, nargs="+", help="measure these saved tokenizers, no training")
    ap.add_argument("--no-speed", action="store_true", help="skip the encode-speed measurement")
    args = ap.parse_args(argv)

    import tiktoken  # noqa: F401  (the engine ours runs on)
    from machine import machine_line

    from cppllm.tokenizer.baselines import baseline
    from cppllm.tokenizer.superbpe import DEFAULT_SHORT_LINES, add_superwords
    from cppllm.tokenizer.tokenizer import CppTokenizer, train_tokenizer

    print(machine_line())
    train_paths, held_paths = list(args.train), list(args.heldout)
    if args.corpus:
        train_paths += sorted((args.corpus / "docs" / "train").glob("*.parquet"))
        held_paths += sorted((args.corpus / "docs" / args.eval).glob("*.parquet"))
    if not held_paths or not (train_paths or args.tokenizer):
        print("skipped: no held-out or training projects (pass --corpus DIR, or --train/--heldout trees)")
        return 0
    held = load_projects(held_paths)
    train = {} if args.tokenizer else load_projects(train_paths)
    overlap = set(train) & set(held)
    if overlap:
        print(f"error: projects both trained on and held out: {sorted(overlap)}", file=sys.stderr)
        return 2
    print(
        f"held-out projects ({args.eval if args.corpus else 'trees'}, never trained on): "
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
    cl100k = bases["cl100k_base"].encoding
    if args.tokenizer:
        for path in args.tokenizer:
            tok = CppTokenizer.load(path)
            print(f"\n-- {path}: {tok.vocab_size} tokens")
            measure(tok, held, base_tokens, cl100k, not args.no_speed)
        return 0
    cap = project_cap(train, args.max_chars, args.per_project_chars)
    texts = training_sample(train, args.max_chars, cap)
    print(
        f"train projects ({len(train)}, {sum(sum(map(len, v)) for v in train.values()) / 1e6:.0f} M chars): "
        + ", ".join(f"{k} {sum(map(len, v)) / 1e6:.1f}" for k, v in train.items())
        + f"\nsample: {sum(map(len, texts)) / 1e6:.1f} M chars"
        + (f", at most {cap / 1e6:g} M per project ({args.per_project_chars})" if cap else "")
    )
    short_lines = DEFAULT_SHORT_LINES if args.short_lines is None else args.short_lines
    for k in args.superwords:
        t0 = time.perf_counter()
        tok = train_tokenizer(texts, args.vocab_size - k)
        if k:
            docs = as_docs(train, sample(texts, args.stage2_chars))
            tok = add_superwords(tok, docs, k, short_lines=short_lines)
        secs = time.perf_counter() - t0
        print(
            f"\n-- {tok.vocab_size} tokens = stage 1 {args.vocab_size - k} + {k} superwords "
            f"(stage 2 on {args.stage2_chars / 1e6:g} M chars, short lines <= {short_lines} chars joined; "
            f"trained in {secs:.0f} s)"
        )
        if args.save:
            tok.save(args.save / f"sw{k}")
        measure(tok, held, base_tokens, cl100k, not args.no_speed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
