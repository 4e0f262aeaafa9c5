"""Decontamination throughput: strided hashed n-gram checks vs checking every 50-char window.

Same documents (the embedded C++ corpus, with eval prompts planted into some), same eval items, same run.
The baseline indexes 50-char windows and checks every position of every document (exact "shares a run of
>= 50 chars"); ours indexes 41-char windows, checks every 10th position (which finds every such run) and
confirms a hit with the 50-char windows around it. Prints MB/s of both, the ratio, and the agreement of
the verdicts (must be identical).

    python benchmarks/bench_decontam.py [--mb 8]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from machine import machine_line

from cppllm.cppscan import find_functions
from cppllm.pipeline.dedup.decontam import DecontamConfig, EvalIndex
from cppllm.pipeline.readers.corpus import embedded_roots

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "eval" / "humaneval-cpp-mini.jsonl"


def load_docs(mb: float) -> list[str]:
    docs, total = [], 0
    for root in embedded_roots():
        for p in sorted(root.path.rglob("*")):
            if total >= mb * 1e6:
                return docs
            if p.is_file() and p.stat().st_size < 200_000:
                try:
                    t = p.read_text(encoding="utf-8")
                except (UnicodeDecodeError, OSError):
                    continue
                docs.append(t)
                total += len(t)
    return docs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=8.0, help="MB of embedded C++ to scan")
    ap.add_argument("--eval-items", type=int, default=300, help="eval items cut from the corpus tail")
    args = ap.parse_args()
    pool = load_docs(args.mb * 1.25)
    rng = random.Random(0)
    rng.shuffle(pool)
    docs, held = pool[: int(len(pool) * 0.8)], pool[int(len(pool) * 0.8) :]
    # Eval items: HumanEval-C++ problems plus function bodies from files that are not scanned.
    items = [json.loads(x)["prompt"] + json.loads(x)["tests"] for x in FIXTURE.read_text().splitlines()]
    bodies = [f.body(d) for d in held for f in find_functions(d) if 200 <= f.close - f.open <= 1500]
    items += rng.sample(bodies, min(args.eval_items, len(bodies)))
    # Plant a 120-char slice of an eval item into 5% of the scanned documents.
    for i in rng.sample(range(len(docs)), len(docs) // 20):
        item = rng.choice(items)
        at = rng.randrange(max(1, len(item) - 120))
        mid = len(docs[i]) // 2
        docs[i] = docs[i][:mid] + "\n" + item[at : at + 120] + "\n" + docs[i][mid:]
    sets = {"eval": items}
    # No boilerplate rule here, so both sides answer exactly "shares a run of >= 50 normalized chars".
    ours = EvalIndex(sets, DecontamConfig(min_overlap=50, stride=10, max_shared_items=10**9))
    base = EvalIndex(sets, DecontamConfig(min_overlap=50, stride=1, max_shared_items=10**9))
    mb = sum(len(d) for d in docs) / 1e6
    t0 = time.perf_counter()
    v_ours = [ours.match(d) is not None for d in docs]
    t1 = time.perf_counter()
    v_base = [base.match(d) is not None for d in docs]
    t2 = time.perf_counter()
    agree = sum(a == b for a, b in zip(v_ours, v_base, strict=True)) / len(docs)
    missed = sum(b and not a for a, b in zip(v_ours, v_base, strict=True))
    print(machine_line())
    print(f"{len(docs)} docs, {mb:.1f} MB, {len(items)} eval items")
    print(f"ours   (41-gram, stride 10): {mb / (t1 - t0):7.2f} MB/s, flagged {sum(v_ours)}")
    print(f"naive  (50-gram, stride 1):  {mb / (t2 - t1):7.2f} MB/s, flagged {sum(v_base)}")
    print(
        f"ratio: {(t2 - t1) / (t1 - t0):.1f}x; verdict agreement {agree:.4f}; runs >= 50 chars missed: {missed}"
    )
    return 0 if agree == 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
