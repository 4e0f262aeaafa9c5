"""Reader throughput: the embedded-corpus reader and safe archive extraction, each against a naive baseline
measured in the same run.

1. `EmbeddedCorpusReader` (listing, C/C++ selection incl. content sniffing, strict decoding, metadata,
   drop counting) vs a bare `os.walk` + `read_bytes` + `decode` over the same roots.
2. `extract_archive` (streaming, path/link checks, bomb limits, C/C++ members only) vs Python's
   `tarfile.extractall(filter="data")` of the whole tarball.

    .venv/bin/python benchmarks/bench_readers.py [--max-bytes N] [--repeat N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tarfile
import tempfile
import time
from pathlib import Path

from machine import machine_line, short_label

from cppllm.pipeline.readers.archive import extract_archive
from cppllm.pipeline.readers.corpus import embedded_roots
from cppllm.pipeline.readers.embedded import EmbeddedCorpusReader

HW = short_label()


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def naive_read() -> int:
    total = 0
    for root in embedded_roots():
        for dirpath, _, files in os.walk(root.path):
            for name in files:
                with contextlib.suppress(UnicodeDecodeError, OSError):
                    total += len((Path(dirpath) / name).read_bytes().decode("utf-8"))
    return total


def ours_read() -> int:
    return sum(len(d.text) for d in EmbeddedCorpusReader().run())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2, help="runs per measurement (best is kept)")
    args = ap.parse_args(argv)
    print(machine_line())

    naive_read()  # warm the page cache for both
    t_naive, n_naive = best_of(naive_read, args.repeat)
    t_ours, n_ours = best_of(ours_read, args.repeat)
    mb = n_ours / 1e6
    print(f"embedded reader: {mb:.1f} MB in {t_ours:.2f}s = {mb / t_ours:.1f} MB/s")
    print(f"naive walk+read: {n_naive / 1e6:.1f} MB in {t_naive:.2f}s = {n_naive / 1e6 / t_naive:.1f} MB/s")
    print(f"ratio (MB/s ours / naive): {(mb / t_ours) / (n_naive / 1e6 / t_naive):.2f}x   [{HW}]")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = embedded_roots()[0]
        archive = tmp / "corpus.tar.gz"
        with tarfile.open(archive, "w:gz") as tf:
            tf.add(root.path, arcname="corpus")
        size = sum(p.stat().st_size for p in root.path.rglob("*") if p.is_file())

        def ours():
            shutil.rmtree(tmp / "a", ignore_errors=True)
            (tmp / "a.report.json").unlink(missing_ok=True)
            return extract_archive(archive, tmp / "a")

        def naive():
            shutil.rmtree(tmp / "b", ignore_errors=True)
            with tarfile.open(archive) as tf:
                tf.extractall(tmp / "b", filter="data")

        t_ex, counts = best_of(ours, args.repeat)
        t_base, _ = best_of(naive, args.repeat)
        print(f"safe extract: {size / 1e6:.1f} MB tree ({counts.get('extracted', 0)} files) in {t_ex:.2f}s")
        print(f"extractall(filter='data'): {t_base:.2f}s")
        print(f"ratio (time naive / ours): {t_base / t_ex:.2f}x   [{HW}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
