"""Tokenizer design variants, measured on the corpus's dev projects (never on its test projects).

    python benchmarks/bench_tokenizer_variants.py --corpus /work/tokdata --regex default nolead camel
    python benchmarks/bench_tokenizer_variants.py --corpus /work/tokdata --superwords 8000 --short-lines 0 4 8

The exploration behind the defaults of `cppllm.tokenizer` (README, tokenizer section): each variant is
trained on the same sample of the corpus's `train` projects (`bench_tokenizer_corpus.py`) and measured on
its `dev` projects; `bench_tokenizer_xproject.py --eval test` then reports the chosen settings once on
the `test` projects. One line per variant: bytes/token, tiktoken gpt2 / cl100k_base tokens per ours (all
dev projects, then cl100k per project). Variants:

- `--regex`: `default` (`cppllm.tokenizer.regex`); `nolead` (no punctuator glued before a name or
  number: `(x` is `(` `x`); `nolead-noqual` (also `std::vector` as `std` `::` `vector`); `camel` (a name
  is cut into its words: `m_collidableIndex` is `m` `_collidable` `Index`).
- `--dedup-lines file`: each training file without its repeated lines (counts distinct lines per file);
  `project-long`: each project without the long lines (>= 16 characters) an earlier file of it had
  (licence headers, boilerplate), before the sample is drawn.
- `--comment-weight N`: stage 1 trains on the sample plus N - 1 more copies of its comment lines (stage
  2 on the sample as it is).
- `--stage2-sample balanced`: stage 2's sample drawn from the training projects at its own size with the
  balanced cap (what `train.py` does), not a uniform part of stage 1's sample.
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

REGEXES = ("default", "nolead", "nolead-noqual", "camel")
# the words of a name: `_` joins the next word, upper-case runs, Capitalized or lower-case words, digits
CAMEL_NAME = r"_*(?:[\p{Lu}]+(?![\p{Ll}])|[\p{Lu}]?[\p{Ll}\p{M}]+|[\p{Lu}]|[\p{N}]+|\$)"


def regex_variant(name: str) -> str:
    """The pre-tokenizer pattern of a variant (`default`: the library's own)."""
    from cppllm.tokenizer import regex as R

    if name == "default":
        return R.cpp_pattern()
    lead = "" if name.startswith("nolead") else R.LEAD + "?"
    ident = {"camel": CAMEL_NAME, "nolead-noqual": R._NAME}.get(name, R.QUALIFIED_NAME)
    ops = R._MULTI_OPS_LONG + R._MULTI_OPS_SHORT
    brackets = "(?:[" + R.BRACKETS + "]|>(?!>*=))"  # the default `>>` policy, "closer"
    pieces = [
        R.NEWLINE,
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, required=True, help="bench_tokenizer_corpus.py's --cache folder")
    ap.add_argument("--regex", nargs="+", choices=REGEXES, default=["default"], help="pre-tokenizer variants")
    ap.add_argument("--vocab-size", type=int, default=32000, help="total vocabulary, specials included")
    ap.add_argument("--max-chars", type=int, default=100_000_000, help="training sample (characters)")
    ap.add_argument(
        "--per-project-chars",
        type=cap_arg,
        default=3_000_000,
        help="cap per training project (0: none; auto: the cap that just fills --max-chars, train.py's default)",
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
        choices=("uniform", "balanced"),
        default="uniform",
        help="stage 2's sample: uniform over stage 1's, or balanced over the projects at its own size "
        "(the cap that just fills --stage2-chars, as `python -m cppllm.tokenizer.train` draws it)",
    )
    ap.add_argument("--max-parts", type=int, nargs="+", default=[6], help="stage-1 tokens per superword")
    ap.add_argument("--short-lines", type=int, nargs="+", default=[4], help="superbpe.chunk_pattern")
    args = ap.parse_args(argv)

    from bench_tokenizer_xproject import as_docs, load_projects, project_cap, sample, training_sample
    from machine import machine_line

    from cppllm.tokenizer import superbpe
    from cppllm.tokenizer.baselines import baseline

    print(machine_line())
    held = load_projects(sorted((args.corpus / "docs" / "dev").glob("*.parquet")))
    train = load_projects(sorted((args.corpus / "docs" / "train").glob("*.parquet")))
    if not held or not train:
        print(f"skipped: no corpus at {args.corpus} (run bench_tokenizer_corpus.py --cache DIR first)")
        return 0
    base = {
        n: {p: sum(len(baseline(n).encoding.encode_ordinary(t)) for t in ts) for p, ts in held.items()}
        for n in ("gpt2", "cl100k_base")
    }
    nbytes = sum(len(t.encode()) for ts in held.values() for t in ts)
    if args.dedup_lines == "project-long":
        train = {p: dedup_project_lines(ts) for p, ts in train.items()}
    cap = project_cap(train, args.max_chars, args.per_project_chars)
    texts = training_sample(train, args.max_chars, cap)
    project_of = {t: p for p, t in as_docs(train, texts)}
    if args.dedup_lines == "file":
        deduped = dedup_lines(texts)
        project_of = {d: project_of[t] for d, t in zip(deduped, texts, strict=True)}
        texts = deduped
    stage1_texts = weight_comments(texts, args.comment_weight)
    print(
        f"train: {len(train)} projects, sample {sum(map(len, texts)) / 1e6:.1f} M chars "
        f"(<= {cap / 1e6:g} M per project ({args.per_project_chars}), dedup lines: {args.dedup_lines}, "
        f"stage 1 sees comment lines x{args.comment_weight}: {sum(map(len, stage1_texts)) / 1e6:.1f} M); "
        f"dev: {', '.join(held)} ({nbytes / 1e6:.1f} MB)"
    )
    grid = itertools.product(args.regex, args.superwords, args.stage2_chars, args.max_parts, args.short_lines)
    for rx, k, s2, parts, short in grid:
        t0 = time.perf_counter()
        tok = train_stage1(stage1_texts, args.vocab_size - k, regex_variant(rx))
        if k:
            superbpe.MAX_PARTS = parts  # read by learn_merges at call time
            s2_docs = (
                [(project_of[t], t) for t in sample(texts, s2)]
                if args.stage2_sample == "uniform"
                else as_docs(train, training_sample(train, s2, "auto"))
            )
            tok = superbpe.add_superwords(tok, s2_docs, k, short_lines=short)
        ours = {p: sum(map(len, tok.encode_batch(ts))) for p, ts in held.items()}
        total = sum(ours.values())
        per = " ".join(f"{p} {base['cl100k_base'][p] / n:.3f}" for p, n in ours.items())
        stage2 = (
            f" stage 2 on {s2 / 1e6:g} M ({args.stage2_sample}), max parts {parts}, short lines {short}"
            if k
            else ""
        )
        print(
            f"regex {rx}, {k} superwords{stage2}: {nbytes / total:.3f} bytes/token, "
            f"{sum(base['gpt2'].values()) / total:.3f}x gpt2, {sum(base['cl100k_base'].values()) / total:.3f}x "
            f"cl100k  [cl100k: {per}]  ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
