"""Train the C++ BPE tokenizer: `python -m cppllm.tokenizer.train --data DIR --vocab-size 32000 --out DIR`.

Reads the pipeline's documents (`DIR/docs/*.parquet`, jsonl, a raw source tree, or `embedded`), streams
the train split (held-out documents are never seen) through a deterministic sample of about
`--max-chars` characters, balanced over projects (`--max-project-chars`), into the HF `tokenizers` Rust
BPE trainer for the first `--spread-from` tokens, learns the rest of stage 1 with pairs ranked by how
many projects use them (`merges.py`), then the `--superwords` (`superbpe.py`), and writes
`OUT/tokenizer.json` plus `OUT/tokenizer_train.json` (the settings and what was used, read back by the
report).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from cppllm.atomic import write_text
from cppllm.tokenizer.data import (
    AUTO,
    DEFAULT_HELDOUT,
    DEFAULT_HELDOUT_PROJECTS,
    heldout_projects_of,
    is_raw_source,
    sample_docs,
    sample_texts,
)
from cppllm.tokenizer.merges import SPREAD_FROM, extend, plain_count_tokens
from cppllm.tokenizer.regex import DEFAULT_SHR, SHR_MODES, cpp_pattern
from cppllm.tokenizer.tokenizer import CppTokenizer, train_tokenizer

TRAIN_INFO_FILE = "tokenizer_train.json"
DEFAULT_VOCAB_SIZE = 32000  # incl. special tokens; the data run's `--vocab-size` default too
DEFAULT_MAX_CHARS = 2_000_000_000  # training budget in characters
# The two single-threaded Python samples. Twice the earlier 100 M / 50 M: +0.45% bytes/token on the dev
# projects (README, tokenizer section) for twice the time (13-15 min on 2 cores) and 7.6-8.2 GB peak memory.
SUPERWORD_CHARS = 100_000_000  # stage 2's sample (pure Python BPE over distinct lines)
SPREAD_CHARS = 200_000_000  # stage 1's spread-ranked part (pure Python BPE over distinct pieces)


def train_from_data(
    data: str | os.PathLike,
    *,
    vocab_size: int = DEFAULT_VOCAB_SIZE,
    max_chars: int | None = DEFAULT_MAX_CHARS,
    heldout: float = DEFAULT_HELDOUT,
    seed: int = 0,
    shr: str = DEFAULT_SHR,
    min_frequency: int = 2,
    normalize: bool | None = None,
    show_progress: bool = False,
    exclude_val: tuple[float, int] | None = None,
    val_by_source: bool = False,
    heldout_projects: float = DEFAULT_HELDOUT_PROJECTS,
    superwords: int = 0,
    superword_chars: int = SUPERWORD_CHARS,
    superword_short_lines: int | None = None,
    max_project_chars: int | str | None = AUTO,
    spread_from: int = SPREAD_FROM,
    spread_chars: int = SPREAD_CHARS,
) -> tuple[CppTokenizer, dict]:
    """Train on the train split of `data`; returns the tokenizer and a record of the run.

    `superwords=K`: stage 1 learns `vocab_size - K` tokens inside the regex's pieces, stage 2 adds K
    superword tokens across them (`superbpe.py`) from a `superword_chars` sample of the same split;
    `superword_short_lines`: lines of at most that many characters join the chunk before them (None: the
    default of `superbpe.py`; 0: one line per chunk).

    `spread_from`: stage 1 learns its first `spread_from` tokens with the Rust trainer (plain pair counts),
    the rest over the regex's pieces with pairs ranked by project spread (`merges.py`) on a sample of
    `spread_chars` (`spread_from=0`: all by plain count). Superwords are always ranked by spread.

    `max_project_chars`: no project (source tree, repository) gives more characters to a sample (`AUTO`:
    the cap at which the capped projects just fill the budget, `data.balanced_cap`; None: one uniform
    rate, the largest projects then make most merges). Measured on the dev projects of
    `benchmarks/bench_tokenizer_corpus.py`: +0.5% bytes/token at 30 M chars, 37 projects (README).

    `normalize=None` normalizes raw source trees (as the pipeline would) and leaves documents as they are.
    `exclude_val=(val_fraction, split_seed)`: leave out the documents the `.bin` writer puts in val
    (`val_by_source`: the run writes one `.bin` per source, each split on its own).
    """
    if normalize is None:
        normalize = is_raw_source(data)
    stats: dict = {"docs": 0, "chars": 0, "val_docs_excluded": 0}
    t0 = time.perf_counter()
    if not 0 <= superwords < vocab_size:
        raise ValueError(f"superwords must be in [0, vocab_size), got {superwords}")
    held_projects = heldout_projects_of(data, heldout_projects)
    split = dict(heldout=heldout, seed=seed, normalize=normalize, exclude_val=exclude_val)
    split.update(
        held_projects=held_projects, val_by_source=val_by_source, max_project_chars=max_project_chars
    )
    texts = sample_texts(data, max_chars=max_chars, stats=stats, **split)
    if show_progress:
        from tqdm import tqdm

        texts = tqdm(texts, desc="tokenizer: reading docs", unit="doc", mininterval=2)
    stage1 = vocab_size - superwords
    base = plain_count_tokens(stage1, spread_from)
    tok = train_tokenizer(texts, base, shr=shr, min_frequency=min_frequency, show_progress=show_progress)
    if stats["docs"] == 0:
        raise ValueError(f"no training documents found in {data}")
    from cppllm.tokenizer.superbpe import DEFAULT_SHORT_LINES, add_superwords

    stats1: dict = {}
    if base < stage1:  # stage 1 goes on with pairs ranked by project spread
        docs = _docs_sample(data, spread_chars, max_chars, stats1, split)
        tok = extend(
            tok,
            docs,
            stage1 - tok.vocab_size,
            pattern=cpp_pattern(shr),
            min_frequency=min_frequency,
            show_progress=show_progress,
            desc="tokenizer: stage 1 by spread",
        )
    short_lines = DEFAULT_SHORT_LINES if superword_short_lines is None else superword_short_lines
    stats2: dict = {}
    if superwords:
        docs = _docs_sample(data, superword_chars, max_chars, stats2, split)
        tok = add_superwords(tok, docs, superwords, short_lines=short_lines, show_progress=show_progress)
    info = {
        "data": str(data),
        "vocab_size": tok.vocab_size,
        "vocab_size_asked": vocab_size,
        "max_chars": max_chars,
        "heldout_fraction": heldout,
        "heldout_projects_fraction": heldout_projects,
        "heldout_projects": held_projects,
        "superwords": superwords,
        **({"superword_short_lines": short_lines} if superwords else {}),
        "max_project_chars": max_project_chars,
        "project_cap": stats.get("project_cap"),  # characters; None: no project was capped
        "projects_capped": stats.get("projects_capped", 0),
        **({"superword_project_cap": stats2.get("project_cap")} if superwords else {}),
        **({"superword_scoring": _scoring(stats2["projects"])} if superwords else {}),
        "spread_from": base if stats1 else None,  # stage-1 tokens by plain count; None: all of them
        **(
            {"spread_chars": stats1["chars"], "spread_scoring": _scoring(stats1["projects"])}
            if stats1
            else {}
        ),
        "seed": seed,
        "shr": shr,
        "min_frequency": min_frequency,
        "normalized": normalize,
        "model_val_excluded": (
            None
            if exclude_val is None
            else {
                "val_fraction": exclude_val[0],
                "split_seed": exclude_val[1],
                "docs": stats["val_docs_excluded"],
                "grouping": stats["val_grouping"],
                **({"by_source": True} if val_by_source else {}),
            }
        ),
        "train_docs": stats["docs"],
        "train_chars": stats["chars"],
        "seconds": round(time.perf_counter() - t0, 2),
        "hash": tok.hash(),
    }
    return tok, info


def _docs_sample(data, budget: int, max_chars: int | None, stats: dict, split: dict) -> list[tuple[str, str]]:
    """`(project, text)` documents of a sample of at most `budget` characters (and `max_chars`), balanced
    over projects like stage 1's; `stats` gets `sample_docs`'s figures and `projects`."""
    budget = budget if max_chars is None else min(max_chars, budget)
    docs = list(sample_docs(data, max_chars=budget, stats=stats, **split))
    stats["projects"] = len({project for project, _ in docs})
    return docs


def _scoring(projects: int) -> str:
    """How stage 2 ranked pairs (`superbpe.spread_score`), for `tokenizer_train.json`."""
    if projects > 1:
        return f"count outside the top project ({projects} projects)"
    return "plain count (one project: no project to leave out)"


def write_info(out: Path, info: dict) -> None:
    write_text(out / TRAIN_INFO_FILE, json.dumps(info, indent=2))


def _project_cap(value: str) -> int | str:
    if value == AUTO:
        return AUTO
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError("must be 'auto' or a number of characters >= 0")
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cppllm.tokenizer.train", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--data",
        required=True,
        help="pipeline output dir, parquet/jsonl dir or file, source tree, or 'embedded'",
    )
    ap.add_argument("--out", required=True, type=Path, help="output directory for tokenizer.json")
    ap.add_argument(
        "--vocab-size", type=int, default=DEFAULT_VOCAB_SIZE, help="vocabulary size incl. special tokens"
    )
    ap.add_argument(
        "--max-chars", type=int, default=DEFAULT_MAX_CHARS, help="training budget in characters (0: no limit)"
    )
    ap.add_argument(
        "--heldout-fraction", type=float, default=DEFAULT_HELDOUT, help="documents kept out for the report"
    )
    ap.add_argument(
        "--heldout-projects-fraction",
        type=float,
        default=DEFAULT_HELDOUT_PROJECTS,
        help="whole projects (trees, repositories) kept out for the report's cross-project figures",
    )
    ap.add_argument(
        "--superwords", type=int, default=0, help="superword tokens of a second BPE stage (SuperBPE; 0: none)"
    )
    ap.add_argument(
        "--superword-short-lines",
        type=int,
        default=None,
        help="lines of at most N characters join the superword chunk before them ('}', 'else'; 0: one line "
        "per chunk; default: superbpe.DEFAULT_SHORT_LINES)",
    )
    ap.add_argument(
        "--max-project-chars",
        type=_project_cap,
        default=AUTO,
        help="most characters one project (tree, repository) gives to the training sample; 'auto' (default): "
        "the cap at which the capped projects just fill --max-chars; 0: no cap (one uniform rate)",
    )
    ap.add_argument(
        "--spread-from",
        type=int,
        default=SPREAD_FROM,
        help="stage-1 tokens learned by plain pair count (Rust trainer); the rest rank pairs by how many "
        "projects use them (merges.py). 0: all by plain count",
    )
    ap.add_argument(
        "--spread-chars",
        type=int,
        default=SPREAD_CHARS,
        help="sample (characters) of the spread-ranked part of stage 1 (single-threaded Python BPE)",
    )
    ap.add_argument(
        "--superword-chars",
        type=int,
        default=SUPERWORD_CHARS,
        help="sample (characters) of the superword stage (single-threaded Python BPE)",
    )
    ap.add_argument("--seed", type=int, default=0, help="seed of the deterministic training sample")
    ap.add_argument("--shr", choices=SHR_MODES, default=DEFAULT_SHR, help="how the regex cuts '>>'")
    ap.add_argument("--min-frequency", type=int, default=2, help="minimum pair count for a merge")
    ap.add_argument(
        "--normalize",
        choices=("auto", "yes", "no"),
        default="auto",
        help="apply the pipeline normalizer (auto: only to raw source trees, not to pipeline documents)",
    )
    ap.add_argument(
        "--exclude-val-fraction",
        type=float,
        default=0.0,
        help="leave out the documents the .bin writer puts in val at this --val-fraction (0: none)",
    )
    ap.add_argument("--split-seed", type=int, default=0, help="the .bin writer's split seed")
    ap.add_argument(
        "--exclude-val-by-source",
        action="store_true",
        help="the run writes one .bin per source (a mixture): plan each source's val split on its own",
    )
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    if not 0 <= args.heldout_fraction < 1:
        ap.error("--heldout-fraction must be in [0, 1)")
    if not 0 <= args.heldout_projects_fraction < 1:
        ap.error("--heldout-projects-fraction must be in [0, 1)")
    if args.spread_from < 0:
        ap.error("--spread-from must be >= 0")
    if args.spread_chars <= 0 or args.superword_chars <= 0:
        ap.error("--spread-chars and --superword-chars must be > 0")
    if not 0 <= args.exclude_val_fraction < 1:
        ap.error("--exclude-val-fraction must be in [0, 1)")
    try:
        tok, info = train_from_data(
            args.data,
            vocab_size=args.vocab_size,
            max_chars=args.max_chars or None,
            heldout=args.heldout_fraction,
            heldout_projects=args.heldout_projects_fraction,
            superwords=args.superwords,
            superword_short_lines=args.superword_short_lines,
            max_project_chars=args.max_project_chars or None,
            spread_from=args.spread_from,
            spread_chars=args.spread_chars,
            superword_chars=args.superword_chars,
            seed=args.seed,
            shr=args.shr,
            min_frequency=args.min_frequency,
            normalize={"auto": None, "yes": True, "no": False}[args.normalize],
            show_progress=not args.quiet,
            exclude_val=(args.exclude_val_fraction, args.split_seed) if args.exclude_val_fraction else None,
            val_by_source=args.exclude_val_by_source,
        )
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    path = tok.save(args.out)
    write_info(args.out, info)
    superwords = ""
    if info["superwords"]:
        superwords = f", {info['superwords']} superwords (pairs ranked by {info['superword_scoring']})"
    print(
        f"wrote {path}: vocab {tok.vocab_size}{superwords}, "
        f"{info['train_docs']} docs / {info['train_chars']:,} chars in {info['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
