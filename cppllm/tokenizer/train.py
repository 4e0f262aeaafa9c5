"""Train the C++ BPE tokenizer: `python -m cppllm.tokenizer.train --data DIR --vocab-size 32000 --out DIR`.

Reads the pipeline's documents (`DIR/docs/*.parquet`, jsonl, a raw source tree, or `embedded`), streams
the train split (held-out documents are never seen) through a deterministic sample of about
`--max-chars` characters into the HF `tokenizers` Rust BPE trainer, and writes `OUT/tokenizer.json`
plus `OUT/tokenizer_train.json` (the settings and what was used, read back by the report).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from cppllm.atomic import write_text
from cppllm.tokenizer.data import DEFAULT_HELDOUT, is_raw_source, sample_texts
from cppllm.tokenizer.regex import DEFAULT_SHR, SHR_MODES
from cppllm.tokenizer.tokenizer import CppTokenizer, train_tokenizer

TRAIN_INFO_FILE = "tokenizer_train.json"


def train_from_data(
    data: str | os.PathLike,
    *,
    vocab_size: int = 32000,
    max_chars: int | None = 2_000_000_000,
    heldout: float = DEFAULT_HELDOUT,
    seed: int = 0,
    shr: str = DEFAULT_SHR,
    min_frequency: int = 2,
    normalize: bool | None = None,
    show_progress: bool = False,
    exclude_val: tuple[float, int] | None = None,
    val_by_source: bool = False,
) -> tuple[CppTokenizer, dict]:
    """Train on the train split of `data`; returns the tokenizer and a record of the run.

    `normalize=None` normalizes raw source trees (as the pipeline would) and leaves documents as they are.
    `exclude_val=(val_fraction, split_seed)`: leave out the documents the `.bin` writer puts in val
    (`val_by_source`: the run writes one `.bin` per source, each split on its own).
    """
    if normalize is None:
        normalize = is_raw_source(data)
    stats: dict = {"docs": 0, "chars": 0, "val_docs_excluded": 0}
    t0 = time.perf_counter()
    texts = sample_texts(
        data,
        max_chars=max_chars,
        heldout=heldout,
        seed=seed,
        normalize=normalize,
        stats=stats,
        exclude_val=exclude_val,
        val_by_source=val_by_source,
    )
    if show_progress:
        from tqdm import tqdm

        texts = tqdm(texts, desc="tokenizer: reading docs", unit="doc", mininterval=2)
    tok = train_tokenizer(
        texts, vocab_size, shr=shr, min_frequency=min_frequency, show_progress=show_progress
    )
    if stats["docs"] == 0:
        raise ValueError(f"no training documents found in {data}")
    info = {
        "data": str(data),
        "vocab_size": tok.vocab_size,
        "vocab_size_asked": vocab_size,
        "max_chars": max_chars,
        "heldout_fraction": heldout,
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


def write_info(out: Path, info: dict) -> None:
    write_text(out / TRAIN_INFO_FILE, json.dumps(info, indent=2))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cppllm.tokenizer.train", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--data",
        required=True,
        help="pipeline output dir, parquet/jsonl dir or file, source tree, or 'embedded'",
    )
    ap.add_argument("--out", required=True, type=Path, help="output directory for tokenizer.json")
    ap.add_argument("--vocab-size", type=int, default=32000, help="vocabulary size incl. special tokens")
    ap.add_argument(
        "--max-chars", type=int, default=2_000_000_000, help="training budget in characters (0: no limit)"
    )
    ap.add_argument(
        "--heldout-fraction", type=float, default=DEFAULT_HELDOUT, help="documents kept out for the report"
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
    if not 0 <= args.exclude_val_fraction < 1:
        ap.error("--exclude-val-fraction must be in [0, 1)")
    try:
        tok, info = train_from_data(
            args.data,
            vocab_size=args.vocab_size,
            max_chars=args.max_chars or None,
            heldout=args.heldout_fraction,
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
    print(
        f"wrote {path}: vocab {tok.vocab_size}, {info['train_docs']} docs / {info['train_chars']:,} chars "
        f"in {info['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
