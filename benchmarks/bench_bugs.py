"""Bug/fix item verification: items verified per core-minute and the verification-failure rate by kind.

Ours: `cppllm.bugs.make` (sandboxed ASan/UBSan builds with include-prefix PCH, `--workers` threads).
Baseline, same run, same attempts: each attempt's fixed and buggy program built with the same g++ flags by
a plain `g++` call, one at a time, and run outside any sandbox, as a simple script would. Both apply the
same acceptance rule (`verify.failure_matches`); the agreement of their verdicts is printed. Figures are
per core-minute next to the parallel ones, with the machine printed.

    python benchmarks/bench_bugs.py [--n 3] [--workers N] [--kinds ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cppllm.bugs.families import FAMILIES, families_for, kinds_of
from cppllm.bugs.items import item_rng
from cppllm.bugs.make import make, read_jsonl
from cppllm.bugs.template import KINDS, plant
from cppllm.bugs.verify import SANITIZE_FLAGS, STD, Outcome, failure_matches, is_sanitizer_report


def machine() -> str:
    model = platform.processor() or "cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.machine()}"


def _plain_run(source: str, filename: str, work: Path) -> Outcome:
    src = work / filename
    src.write_text(source)
    b = subprocess.run(
        ["g++", f"-std={STD}", *SANITIZE_FLAGS, str(src), "-o", str(work / "prog")],
        capture_output=True,
        text=True,
    )
    if b.returncode:
        return Outcome(status="compile_error", text=b.stderr)
    env = dict(
        os.environ,
        ASAN_OPTIONS="detect_leaks=0:symbolize=1",
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
    )
    try:
        r = subprocess.run([str(work / "prog")], capture_output=True, text=True, env=env, timeout=10)
    except subprocess.TimeoutExpired:
        return Outcome(status="timeout", text="")
    if is_sanitizer_report(r.stderr):
        return Outcome(status="sanitizer", text=r.stderr)
    if r.returncode == 0:
        return Outcome(status="passed", text="")
    return Outcome(status="test_failure" if "CHECK" in r.stderr else "crash", text=r.stderr)


def naive_verify(kind: str, seed: int, index: int) -> bool:
    rng = item_rng(seed, kind, index)
    fams = [f for f in families_for("all") if kind in kinds_of(f)]
    for _ in range(8):  # the same draws as cppllm.bugs.items.generated_item
        m = plant(FAMILIES[rng.choice(fams)](rng), kind, rng)
        if m is not None:
            break
    else:
        return False
    with tempfile.TemporaryDirectory() as d:
        if not _plain_run(m.fixed, m.filename, Path(d)).passed:
            return False
        return failure_matches(kind, _plain_run(m.buggy, m.filename, Path(d)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=3, help="verified items wanted per kind")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel verifications (ours)")
    p.add_argument("--kinds", default=",".join(k for k in KINDS if k != "compile_error"), help="bug kinds")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    kinds = args.kinds.split(",")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        summary = make(Path(d), kinds, args.n, seed=args.seed, workers=args.workers, progress=False)
        t_ours = time.perf_counter() - t0
        attempts = read_jsonl(Path(d) / "attempts.jsonl")
    t0 = time.perf_counter()
    agree = 0
    naive_ok = 0
    for a in attempts:
        kind, index = a["kind"], int(a["id"].rsplit("-", 1)[1])
        ok = naive_verify(kind, args.seed, index)
        naive_ok += ok
        agree += ok == (a["status"] == "ok")
    t_naive = time.perf_counter() - t0
    n_items = summary["items"]
    cores = min(args.workers, os.cpu_count() or 1)
    ours_pcm = n_items / (t_ours / 60) / cores
    naive_pcm = naive_ok / (t_naive / 60)
    print(
        f"attempts: {len(attempts)}, verified: {n_items} (baseline {naive_ok}), verdicts agree: {agree}/{len(attempts)}"
    )
    print(f"failure rate by kind: {json.dumps(summary['failure_rate'])}")
    print(f"failures by reason: {json.dumps(summary['failures'])}")
    print(
        f"cppllm.bugs make x{args.workers}: {n_items / (t_ours / 60):.1f} items/min, {ours_pcm:.1f} items/core-min ({t_ours:.0f} s)"
    )
    print(
        f"plain g++ + run, 1 at a time, no sandbox: {naive_ok / (t_naive / 60):.1f} items/core-min ({t_naive:.0f} s)"
    )
    print(f"ratio (per core-minute): {ours_pcm / naive_pcm:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
