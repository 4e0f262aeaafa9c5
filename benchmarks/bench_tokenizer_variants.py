"""Tokenizer design variants, measured on the corpus's dev projects (never on its test projects).

    python benchmarks/bench_tokenizer_variants.py --corpus /work/tokdata --regex default nolead camel
    python benchmarks/bench_tokenizer_variants.py --corpus /work/tokdata --superwords 8000 --short-lines 0 4 8

The README's ablation, one step at a time (32K = 24,000 stage 1 + 8,000 superwords, `train.py`'s own
samples: 100 M chars for stage 1, 50 M for stage 2; each run prints one line per step):

    A="--corpus /work/tokdata --train /work/tokdata/train37 --stage1-sample product --stage2-sample product
       --max-chars 100000000 --stage2-chars 50000000 --superwords 8000"
    # 1. the earlier default (no RULE piece, superword chunks piece by piece, pairs by count), 2. + whole
    python benchmarks/bench_tokenizer_variants.py $A --regex norule --superword-scoring count \
        --superword-units pieces whole
    # 3. + superword pairs by spread, 4. + RULE piece
    python benchmarks/bench_tokenizer_variants.py $A --regex norule default
    # 5. + stage 1 by spread after its first 4,000 tokens (the library's defaults)
    python benchmarks/bench_tokenizer_variants.py $A --spread-from 4000

The exploration behind the defaults of `cppllm.tokenizer` (README, tokenizer section): each variant is
trained on the same sample of the corpus's `train` projects (`bench_tokenizer_corpus.py`) and measured on
its `dev` projects; `bench_tokenizer_xproject.py --eval test` then reports the chosen settings once on
the `test` projects. One line per variant: bytes/token, tiktoken gpt2 / cl100k_base tokens per ours (all
dev projects, then cl100k per project). Variants:

- `--regex`: `default` (`cppllm.tokenizer.regex`); `norule` (without its `RULE` piece: `//------` is
  cut as operators); `nolead` (no punctuator glued before a name or number: `(x` is `(` `x`);
  `nolead-noqual` (also `std::vector` as `std` `::` `vector`); `camel` (a name is cut into its words:
  `m_collidableIndex` is `m` `_collidable` `Index`). Every variant but `norule` keeps `RULE`.
- `--stage1-sample product`: the training sample `python -m cppllm.tokenizer.train --data TRAIN
  --max-chars N --heldout-fraction 0 --heldout-projects-fraction 0` draws (`data.sample_docs`, the
  balanced cap; this corpus holds out its dev and test projects itself), not this script's own
  (`--per-project-chars`, `bench_tokenizer_xproject.training_sample`).
- `--spread-from N`: stage 1 learns its first N tokens with HF's Rust trainer, the rest over the regex's
  pieces of the same sample with pairs ranked by project spread (`merges.extend`), as `train.py` does
  (0: all with the Rust trainer).
- `--dedup-lines file`: each training file without its repeated lines (counts distinct lines per file);
  `project-long`: each project without the long lines (>= 16 characters) an earlier file of it had
  (licence headers, boilerplate), before the sample is drawn.
- `--comment-weight N`: stage 1 trains on the sample plus N - 1 more copies of its comment lines (stage
  2 on the sample as it is).
- `--stage2-sample balanced`: stage 2's sample drawn from the training projects at its own size with the
  balanced cap, not a uniform part of stage 1's sample; `product`: exactly what `train.py` draws
  (`data.sample_docs` at `--stage2-chars`, as `--stage1-sample product`).
- `--superword-scoring count` (pairs by plain count, classic BPE) and `--superword-units pieces` (each
  chunk encoded piece by piece with stage 1's regex) are the earlier superwords; the library's defaults
  are `spread` and `whole` (`merges.learn_merges`, `merges.unit_counts`).
- `--superwords K` with `--max-parts` (stage-1 tokens per superword) and `--short-lines` (stage-2
  chunks take the short lines after a line; `superbpe.chunk_pattern`).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_tokenizer_xproject import cap_arg  # noqa: E402

REGEXES = ("default", "norule", "nolead", "nolead-noqual", "camel")
# the words of a name: `_` joins the next word, upper-case runs, Capitalized or lower-case words, digits
CAMEL_NAME = r"_*(?:[\p{Lu}]+(?![\p{Ll}])|[\p{Lu}]?[\p{Ll}\p{M}]+|[\p{Lu}]|[\p{N}]+|\$)"


def regex_variant(name: str) -> str:
    """The pre-tokenizer pattern of a variant, built from the library's pieces as `regex.cpp_pattern`
    builds it (`default`: the same pattern; `main` checks that it is)."""
    from cppllm.tokenizer import regex as R

    if name not in REGEXES:
        raise ValueError(f"unknown regex variant {name!r}; expected one of {REGEXES}")
    lead = "" if name.startswith("nolead") else R.LEAD + "?"
    ident = {"camel": CAMEL_NAME, "nolead-noqual": R._NAME}.get(name, R.QUALIFIED_NAME)
    ops = R._MULTI_OPS_LONG + R._MULTI_OPS_SHORT
    brackets = "(?:[" + R.BRACKETS + "]|>(?!>*=))"  # the default `>>` policy, "closer"
    pieces = [
        R.NEWLINE,
        *([] if name == "norule" else [r" ?(?:" + R.RULE + r")" + R.NL]),
        r" ?(?:" + R.COMMENT + r")" + R.NL,
        R.DIRECTIVE,
        R.STRING_PREFIX,
        R.ESCAPE,
        r" ?" + lead + R.PP_NUMBER + R.NL,
        r" ?" + lead + ident + R.NL,
        r" ?(?:" + "|".join(ops) + r")" + R.NL,
        r" ?" + brackets + r"(?: ?" + brackets + r")*" + R.NL,
        r" ?" + R.SINGLE + R.NL,
        R.SPACE,
        R.OTHER,
    ]
    return "|".join(f"(?:{p})" for p in pieces)


def train_stage1(texts: list[str], vocab_size: int, pattern: str):
    """`train_tokenizer` with another pre-tokenizer pattern (same trainer settings)."""
    from tokenizers import Regex, pre_tokenizers, trainers

    from cppllm.tokenizer import tokenizer as T
    from cppllm.tokenizer.special import SPECIAL_TOKENS

    tk = T.build_empty()
    tk.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS.values()),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tk.train_from_iterator(texts, trainer=trainer)
    return T.CppTokenizer(tk)


def dedup_lines(texts: list[str]) -> list[str]:
    """Each text without the lines it already had (first occurrences kept, in order)."""
    out = []
    for t in texts:
        seen: set[str] = set()
        out.append("".join(x for x in t.splitlines(keepends=True) if not (x in seen or seen.add(x))))
    return out


def dedup_project_lines(texts: list[str], min_chars: int = 16) -> list[str]:
    """A project's texts without the long lines (at least `min_chars` non-blank characters) that an earlier
    file of the project already had: licence headers and boilerplate count once per project."""
    seen: set[str] = set()
    out = []
    for t in texts:
        keep = []
        for x in t.splitlines(keepends=True):
            key = x.strip()
            if len(key) >= min_chars:
                if key in seen:
                    continue
                seen.add(key)
            keep.append(x)
        out.append("".join(keep))
    return out


def comment_lines(text: str) -> str:
    """The comment lines of a text (`//`, `/* ... */` blocks, ` * ` continuation lines), in order."""
    out, in_block = [], False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if in_block or stripped.startswith(("//", "/*", "*")):
            out.append(line)
            if in_block or stripped.startswith("/*"):
                in_block = "*/" not in stripped
    return "".join(out)


def weight_comments(texts: list[str], weight: int) -> list[str]:
    """The texts plus `weight - 1` more copies of each text's comment lines (stage 1 sees more English)."""
    extra = [c for t in texts if (c := comment_lines(t))] if weight > 1 else []
    return texts + extra * (weight - 1)


def product_sample(train_dir: Path, max_chars: int, heldout: float, heldout_projects: float, stats: dict):
    """`(project, text)` documents as `python -m cppllm.tokenizer.train --data train_dir --max-chars
    max_chars` samples them (`data.sample_docs`, the balanced cap `auto`)."""
    from cppllm.tokenizer.data import AUTO, heldout_projects_of, sample_docs

    held = heldout_projects_of(train_dir, heldout_projects)
    stats["heldout_projects"] = held
    docs = sample_docs(
        train_dir,
        max_chars=max_chars,
        heldout=heldout,
        held_projects=held,
        max_project_chars=AUTO,
        stats=stats,
    )
    return list(docs)


def train_stage1_spread(texts: list[str], docs, vocab_size: int, pattern: str, spread_from: int):
    """Stage 1 as `train.py` trains it: the Rust trainer to `spread_from` tokens, then `merges.extend`
    over `pattern`'s pieces of the `(project, text)` docs with pairs ranked by spread (0: all Rust)."""
    from cppllm.tokenizer import merges

    base = merges.plain_count_tokens(vocab_size, spread_from)
    tok = train_stage1(texts, base, pattern)
    if base < vocab_size:
        tok = merges.extend(tok, docs, vocab_size - tok.vocab_size, pattern=pattern, min_frequency=2)
    return tok


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, required=True, help="bench_tokenizer_corpus.py's --cache folder")
    ap.add_argument(
        "--train",
        type=Path,
        help="folder of the training projects' parquet files (default: CORPUS/docs/train)",
    )
    ap.add_argument("--regex", nargs="+", choices=REGEXES, default=["default"], help="pre-tokenizer variants")
    ap.add_argument("--vocab-size", type=int, default=32000, help="total vocabulary, specials included")
    ap.add_argument("--max-chars", type=int, default=100_000_000, help="training sample (characters)")
    ap.add_argument(
        "--stage1-sample",
        choices=("bench", "product"),
        default="bench",
        help="bench: this script's sample (--per-project-chars); product: what `python -m "
        "cppllm.tokenizer.train` draws (data.sample_docs, balanced cap)",
    )
    ap.add_argument(
        "--heldout-fraction",
        type=float,
        default=0.0,
        help="product sample: train.py's --heldout-fraction (files left out; the corpus holds out dev/test)",
    )
    ap.add_argument(
        "--heldout-projects-fraction",
        type=float,
        default=0.0,
        help="product sample: train.py's --heldout-projects-fraction (whole projects left out)",
    )
    ap.add_argument(
        "--per-project-chars",
        type=cap_arg,
        default=3_000_000,
        help="bench sample: cap per training project (0: none; auto: the cap that just fills --max-chars)",
    )
    ap.add_argument(
        "--spread-from",
        type=int,
        nargs="+",
        default=[0],
        help="stage-1 tokens from the Rust trainer; the rest by project spread over the regex's pieces of "
        "the same sample, as train.py (0: all from the Rust trainer)",
    )
    ap.add_argument(
        "--dedup-lines",
        choices=("none", "file", "project-long"),
        default="none",
        help="training text variant",
    )
    ap.add_argument(
        "--comment-weight", type=int, default=1, help="stage 1 sees each comment line this many times"
    )
    ap.add_argument("--superwords", type=int, nargs="+", default=[0], help="stage-2 tokens (0: none)")
    ap.add_argument("--stage2-chars", type=int, nargs="+", default=[10_000_000], help="stage 2's sample")
    ap.add_argument(
        "--stage2-sample",
        choices=("uniform", "balanced", "product"),
        default="uniform",
        help="stage 2's sample: uniform over stage 1's; balanced over the projects at its own size (the cap "
        "that just fills --stage2-chars); product: what `python -m cppllm.tokenizer.train` draws",
    )
    ap.add_argument("--max-parts", type=int, nargs="+", default=[6], help="stage-1 tokens per superword")
    ap.add_argument("--short-lines", type=int, nargs="+", default=[4], help="superbpe.chunk_pattern")
    ap.add_argument(
        "--superword-scoring",
        nargs="+",
        choices=("spread", "count"),
        default=["spread"],
        help="stage-2 pairs ranked by project spread (the library's) or plain count (classic BPE)",
    )
    ap.add_argument(
        "--superword-units",
        nargs="+",
        choices=("whole", "pieces"),
        default=["whole"],
        help="stage-2 chunks encoded whole (the library's) or piece by piece with stage 1's regex",
    )
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    if args.stage1_sample == "product" and args.dedup_lines == "project-long":
        ap.error("--dedup-lines project-long needs --stage1-sample bench")

    from bench_tokenizer_xproject import as_docs, load_projects, project_cap, sample, training_sample
    from machine import machine_line

    from cppllm.tokenizer import regex as R
    from cppllm.tokenizer import superbpe
    from cppllm.tokenizer.baselines import baseline
    from cppllm.tokenizer.train import SPREAD_CHARS

    if regex_variant("default") != R.cpp_pattern():
        print(
            "error: regex_variant('default') is not the library's cpp_pattern(); update it", file=sys.stderr
        )
        return 2
    print(machine_line())
    train_dir = args.train or args.corpus / "docs" / "train"
    held = load_projects(sorted((args.corpus / "docs" / "dev").glob("*.parquet")))
    train_paths = sorted(train_dir.glob("*.parquet"))
    if not held or not train_paths:
        print(f"skipped: no corpus at {args.corpus} (run bench_tokenizer_corpus.py --cache DIR first)")
        return 0
    base = {
        n: {p: sum(len(baseline(n).encoding.encode_ordinary(t)) for t in ts) for p, ts in held.items()}
        for n in ("gpt2", "cl100k_base")
    }
    nbytes = sum(len(t.encode()) for ts in held.values() for t in ts)
    needs_train = args.stage1_sample == "bench" or args.stage2_sample == "balanced"
    train = load_projects(train_paths) if needs_train else {}
    if args.dedup_lines == "project-long":
        train = {p: dedup_project_lines(ts) for p, ts in train.items()}

    def product(budget: int, stats: dict) -> list[tuple[str, str]]:
        return product_sample(train_dir, budget, args.heldout_fraction, args.heldout_projects_fraction, stats)

    if args.stage1_sample == "product":
        stats: dict = {}
        docs = product(args.max_chars, stats)
        cap_text = f"<= {stats['project_cap'] / 1e6:g} M" if stats.get("project_cap") else "no cap"
        cap_note = (
            f"product: data.sample_docs, {cap_text} per project (auto), "
            f"held-out files {args.heldout_fraction}, held-out projects {stats['heldout_projects'] or 'none'}"
        )
    else:
        cap = project_cap(train, args.max_chars, args.per_project_chars)
        docs = as_docs(train, training_sample(train, args.max_chars, cap))
        cap_note = f"<= {cap / 1e6:g} M per project ({args.per_project_chars})"
    if args.dedup_lines == "file":
        docs = [(p, d) for (p, _), d in zip(docs, dedup_lines([t for _, t in docs]), strict=True)]
    texts = [t for _, t in docs]
    spread_docs = docs  # train.py: stage 1 by spread on a sample of at most SPREAD_CHARS
    if args.stage1_sample == "product" and args.max_chars > SPREAD_CHARS:
        spread_docs = product(SPREAD_CHARS, {})
    project_of = dict((t, p) for p, t in docs)
    stage1_texts = weight_comments(texts, args.comment_weight)
    print(
        f"train: {len({p for p, _ in docs})} projects of {len(train_paths)} in {train_dir}, sample "
        f"{sum(map(len, texts)) / 1e6:.1f} M chars ({cap_note}, dedup lines: {args.dedup_lines}, "
        f"stage 1 sees comment lines x{args.comment_weight}: {sum(map(len, stage1_texts)) / 1e6:.1f} M); "
        f"dev: {', '.join(held)} ({nbytes / 1e6:.1f} MB)"
    )
    stage2_docs: dict[int, list[tuple[str, str]]] = {}

    def stage2_sample(s2: int) -> list[tuple[str, str]]:
        if s2 not in stage2_docs:
            if args.stage2_sample == "uniform":
                stage2_docs[s2] = [(project_of[t], t) for t in sample(texts, s2)]
            elif args.stage2_sample == "balanced":
                stage2_docs[s2] = as_docs(train, training_sample(train, s2, "auto"))
            else:  # train.py: its own sample at min(--max-chars, the superword budget)
                stage2_docs[s2] = product(min(args.max_chars, s2), {})
        return stage2_docs[s2]

    grid = itertools.product(
        args.regex,
        args.spread_from,
        args.superwords,
        args.stage2_chars,
        args.max_parts,
        args.short_lines,
        args.superword_scoring,
        args.superword_units,
    )
    last_stage1: tuple = (None, None)  # (key, tokenizer): variants that differ in stage 2 only share it
    for rx, spread_from, k, s2, parts, short, scoring, units in grid:
        t0 = time.perf_counter()
        key = (rx, spread_from, k)
        reused = last_stage1[0] == key
        if not reused:
            pattern = regex_variant(rx)
            last_stage1 = (
                key,
                train_stage1_spread(stage1_texts, spread_docs, args.vocab_size - k, pattern, spread_from),
            )
        tok = last_stage1[1]
        t1 = time.perf_counter()
        if k:
            superbpe.MAX_PARTS = parts  # read by add_superwords at call time
            tok = superbpe.add_superwords(
                tok, stage2_sample(s2), k, short_lines=short, scoring=scoring, whole=units == "whole"
            )
        ours = {p: sum(map(len, tok.encode_batch(ts))) for p, ts in held.items()}
        total = sum(ours.values())
        per = " ".join(f"{p} {base['cl100k_base'][p] / n:.3f}" for p, n in ours.items())
        stage2 = (
            f" stage 2 on {s2 / 1e6:g} M ({args.stage2_sample}), max parts {parts}, short lines {short}, "
            f"pairs by {scoring}, chunks {units}"
            if k
            else ""
        )
        print(
            f"regex {rx}, spread from {spread_from or 'none'}, {k} superwords{stage2}: "
            f"{nbytes / total:.3f} bytes/token, {sum(base['gpt2'].values()) / total:.3f}x gpt2, "
            f"{sum(base['cl100k_base'].values()) / total:.3f}x cl100k  [cl100k: {per}]  "
            f"(stage 1 {'reused' if reused else f'{t1 - t0:.0f} s'}, stage 2 and measure "
            f"{time.perf_counter() - t1:.0f} s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
