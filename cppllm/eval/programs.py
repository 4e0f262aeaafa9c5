"""Function-completion prompts cut from verified programs: a compile-rate prompt set that needs no tree.

    python -m cppllm.eval.programs --run runs/demo --programs bugs/items.jsonl [--programs kept.jsonl]

The held-out prompts of `cppllm.eval.syntax_check` depend on the source tree they were cut from (its include
paths: `cppllm.eval.context`). These do not: each program is a whole translation unit that was verified
to build, pass its tests and run ASan/UBSan-clean, so a prompt cut from it (the program up to a function's
opening brace; the reference is the function's real body) needs the standard library alone. Not every cut
compiles on its own (a member function that uses data members declared further down its class), so, like
the in-context prompts, candidates are kept only where the reference compiles (`select_in_context`, skips
counted by reason): the reference ceiling is 100% by construction and the yield is reported.

Sources, one JSON object a line, told apart by their fields:
- `cppllm.bugs make` items (`DIR/items.jsonl`): every file of `fixed_files` (the fixed, verified version);
- `cppllm.synth verify` kept rows (`DIR/kept.jsonl`): `solution` + `tests` (`cppllm.synth.verify.program`).
Rows that are neither are counted (`skipped`), never guessed at. The set is checked like the other
compile prompts (`evaluate_compile`: sample, cut at the body's closing brace, add closers, compile), with
the reference ceiling measured on the same units. Writes `RUN/programs_compile.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cppllm.atomic import write_text
from cppllm.eval.prompts import HeldOutDoc, Prompt, cut_prompts


def program_texts(row: Any) -> tuple[list[str], str]:
    """(programs in `row`, source kind: `bugs` | `synth`) or ([], skip reason)."""
    if not isinstance(row, dict):
        return [], "not_an_object"
    files = row.get("fixed_files")
    if isinstance(files, dict):
        texts = [t for t in files.values() if isinstance(t, str) and t.strip()]
        return (texts, "bugs") if texts else ([], "no_fixed_files")
    if isinstance(row.get("solution"), str) and isinstance(row.get("tests"), str):
        from cppllm.synth.verify import program

        return [program(row)], "synth"
    return [], "unknown_row"


def load_programs(paths: Iterable[Path]) -> tuple[list[HeldOutDoc], dict[str, int]]:
    """Every program of the files, as documents for `cut_prompts`, and counts by source / skip reason."""
    docs: list[HeldOutDoc] = []
    counts: Counter[str] = Counter()
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                counts["skipped_malformed_json"] += 1
                continue
            texts, kind = program_texts(row)
            if not texts:
                counts[f"skipped_{kind}"] += 1
            for text in texts:
                counts[kind] += 1
                docs.append(HeldOutDoc(index=len(docs), text=text, metadata={"source": kind}))
    return docs, dict(counts)


def program_prompts(docs: list[HeldOutDoc], n: int, *, seed: int = 0) -> list[Prompt]:
    """`n` function-header prompts (at most two a program, so many programs are represented)."""
    return cut_prompts(docs, n, seed=seed, kinds=("function_header",), max_functions_per_doc=2)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cppllm.eval.programs", description=__doc__.split("\n")[0])
    p.add_argument("--run", required=True, help="run folder (its latest checkpoint unless --ckpt)")
    p.add_argument("--ckpt", help="checkpoint folder (default: the run's latest)")
    p.add_argument("--tokenizer", help="tokenizer folder (default: from the run's config.json)")
    p.add_argument("--programs", action="append", required=True, help="items.jsonl / kept.jsonl (repeatable)")
    p.add_argument("--samples", type=int, default=48, help="prompts (one completion each)")
    p.add_argument("--pool", type=int, default=3, help="candidate prompts per kept one")
    p.add_argument("--max-new-tokens", type=int, default=160, help="sampled tokens per completion")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature")
    p.add_argument("--top-p", type=float, default=0.95, help="nucleus sampling mass")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel compiler jobs")
    p.add_argument("--seed", type=int, default=0, help="prompt choice and sampling seed")
    args = p.parse_args(argv)

    import numpy as np
    import torch

    from cppllm.eval.__main__ import _SafeDecode, resolve_inputs
    from cppllm.eval.completion import ModelCompleter, evaluate_compile
    from cppllm.eval.context import select_in_context
    from cppllm.eval.syntax_check import CompileChecker
    from cppllm.model.checkpoint import load_checkpoint_model
    from cppllm.tokenizer.tokenizer import CppTokenizer

    missing = [f for f in args.programs if not Path(f).is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    paths = resolve_inputs(
        argparse.Namespace(run=args.run, ckpt=args.ckpt, data=None, tokenizer=args.tokenizer)
    )
    if paths["ckpt"] is None or paths["tokenizer"] is None:
        print(f"error: no checkpoint or tokenizer found for {args.run}", file=sys.stderr)
        return 2
    docs, counts = load_programs(Path(f) for f in args.programs)
    pool = program_prompts(docs, args.samples * args.pool, seed=args.seed)
    pool = [pool[i] for i in np.random.default_rng(args.seed).permutation(len(pool))]
    checker = CompileChecker()
    try:
        prompts, picked = select_in_context(
            pool, args.samples, checker, jobs=args.jobs, max_include_bytes=None
        )
        if not prompts:
            print(
                f"error: no prompt whose reference compiles in {args.programs} ({counts}, {picked})",
                file=sys.stderr,
            )
            return 1
        tok = CppTokenizer.load(paths["tokenizer"])
        model = load_checkpoint_model(paths["ckpt"])
        completer = ModelCompleter(model, _SafeDecode(tok), temperature=args.temperature, top_p=args.top_p)
        with torch.inference_mode():
            section = evaluate_compile(
                prompts,
                completer,
                checker,
                max_new_tokens=args.max_new_tokens,
                seed=args.seed,
                reference=True,
                jobs=args.jobs,
            )
    finally:
        checker.close()
    out = {
        "checkpoint": str(paths["ckpt"]),
        "programs": [str(f) for f in args.programs],
        "sources": counts,
        "n_programs": len(docs),
        "selection": picked,
        **section,
    }
    out_path = Path(args.run) / "programs_compile.json"
    write_text(out_path, json.dumps(out, indent=2))
    lo, hi = section["ci95"]
    ref = section["reference"]
    print(
        f"[programs] {section['ok']}/{section['n']} function completions compile [95% CI {lo:.1%}, {hi:.1%}]; "
        f"reference ceiling {ref['ok']}/{ref['n']}; {len(docs)} programs ({counts}); selection {picked} "
        f"-> {out_path}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
