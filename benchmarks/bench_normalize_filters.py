"""Throughput of normalize + BigCode filters per core, against a read-and-write-only pass in the same run.

Both passes read every file of the embedded corpus (g++'s libstdc++ and torch's C++ headers) from disk,
decode it and write the result to a scratch file; "ours" also normalizes and runs every quality check
(`drop_reason`) on it. One process = one core: rates are MB of input per CPU second (`process_time`,
less sensitive to other load than wall time). Target: >= 50 MB/s per core.

    python benchmarks/bench_normalize_filters.py [--max-mb 40] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from machine import machine_line

from cppllm.pipeline.clean.filters import drop_reason
from cppllm.pipeline.clean.normalize import normalize
from cppllm.pipeline.readers.corpus import embedded_roots


def corpus_files(max_bytes: int) -> list[Path]:
    files = sorted(p for r in embedded_roots() for p in r.path.rglob("*") if p.is_file())
    out, total = [], 0
    for p in files[:: max(1, len(files) // 100_000)]:
        if total >= max_bytes:
            break
        out.append(p)
        total += p.stat().st_size
    return out


def run_pass(files: list[Path], sink, *, process: bool) -> tuple[int, float]:
    """(bytes read, CPU seconds) of one pass."""
    n = 0
    t = time.process_time()
    for p in files:
        raw = p.read_bytes()
        n += len(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if process:
            text = normalize(text)
            if drop_reason(text) is not None:
                continue
        sink.write(text)
    return n, time.process_time() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-mb", type=float, default=40.0, help="corpus bytes to use (default 40 MB)")
    ap.add_argument("--repeats", type=int, default=2, help="passes of each kind; the best is kept")
    args = ap.parse_args(argv)

    files = corpus_files(int(args.max_mb * 1e6))
    best = {"read+write": 0.0, "read+normalize+filters+write": 0.0}
    mb = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for name, process in (("read+write", False), ("read+normalize+filters+write", True)):
                with open(
                    os.path.join(tmp, "out.txt"), "w", encoding="utf-8", errors="surrogatepass"
                ) as sink:
                    n, dt = run_pass(files, sink, process=process)
                mb = n / 1e6
                best[name] = max(best[name], mb / dt)
    base, ours = best["read+write"], best["read+normalize+filters+write"]
    # time per MB of the processing alone: ours includes the baseline's read and write
    only = 1 / (1 / ours - 1 / base) if ours < base else float("inf")
    print(machine_line())
    print(f"corpus: {len(files)} files, {mb:.1f} MB of the embedded corpus")
    print(f"read+write only (baseline)        {base:8.1f} MB/s per core")
    print(f"read+normalize+filters+write      {ours:8.1f} MB/s per core")
    print(f"normalize+filters alone           {only:8.1f} MB/s per core   (target >= 50)")
    print(f"ratio ours / baseline             {ours / base:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
