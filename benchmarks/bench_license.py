"""License detection: our step (SPDX tag / leading-comment header, cached) vs ScanCode's default full
per-file scan (`scancode.api.get_licenses`), on the same embedded-corpus files in the same run.

Prints files/s of both and the ratio (goal >= 50x: rates of both on the same sampled files in the same
run), the agreement of our file-level SPDX result with the
full scan, the license-file pre-pass time, and peak memory (RSS) of this one worker process.

The sample is deterministic (`--seed`, default 0, over the sorted file list) and 200 files by default:
the few headers that need ScanCode's approximate matcher dominate our cold-cache time, so a small sample's
ratio swings with whether it draws them.

Our pass over the whole corpus is a rate of ours alone (ScanCode would take hours there): it is printed as
files/s with no ratio, since dividing it by ScanCode's rate on other files would not compare the same work.

    python benchmarks/bench_license.py                # 200 sampled files for both + our pass over everything
    python benchmarks/bench_license.py --sample 400   # a bigger agreement sample (~0.5-1.5 s/file for ScanCode)
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time

from machine import machine_line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=200, help="files timed with both (ScanCode is slow)")
    parser.add_argument("--header-sample", type=int, default=30, help="extra files that carry a legal header")
    parser.add_argument("--seed", type=int, default=0, help="sample seed (fixed: the same files every run)")
    parser.add_argument(
        "--no-prefilter",
        action="store_true",
        help="our step without the numpy candidate ranking (ScanCode's own approximate matcher)",
    )
    parser.add_argument("--no-full-corpus", action="store_true", help="skip our pass over the whole corpus")
    args = parser.parse_args(argv)

    print(machine_line())
    from cppllm.pipeline.license.scan import Detector, legal_text, spdx_tag_lines
    from cppllm.pipeline.license.trees import scan_tree
    from cppllm.pipeline.readers.corpus import embedded_roots

    roots = embedded_roots()
    files = [p for r in roots for p in sorted(r.path.rglob("*")) if p.is_file() and not p.is_symlink()]
    rng = random.Random(args.seed)
    sample = rng.sample(files, min(args.sample, len(files)))
    # agreement where it matters: files whose leading comment carries a license or an SPDX tag
    in_sample = set(sample)
    rest = [p for p in rng.sample(files, len(files)) if p not in in_sample]
    headed = []
    for p in rest:
        if len(headed) >= args.header_sample:
            break
        text = p.read_text(encoding="utf-8", errors="replace")
        if spdx_tag_lines(text) or legal_text(text):
            headed.append(p)
    print(f"embedded corpus: {len(files)} files in {len(roots)} trees; sample {len(sample)}")

    t = time.perf_counter()
    Detector.index()
    load_s = time.perf_counter() - t
    rss_index = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"ScanCode index load (+ warm-up and our candidate-ranking index): {load_s:.1f} s, "
        f"peak RSS after load {rss_index:.2f} GiB"
    )

    t = time.perf_counter()
    n_places = sum(len(scan_tree(r.path, Detector())) for r in roots)
    print(
        f"license-file pre-pass (full ScanCode scan of each tree's license files): {n_places} places, "
        f"{time.perf_counter() - t:.1f} s"
    )

    # cold cache: the first files pay for their header matches
    ours_det = Detector(prefilter=not args.no_prefilter)
    t = time.perf_counter()
    ours = [ours_det.detect_file(p.read_text(encoding="utf-8", errors="replace")) for p in sample]
    ours_s = time.perf_counter() - t

    base_det = Detector()
    t = time.perf_counter()
    full = [base_det.scan_file(str(p)) for p in sample]
    full_s = time.perf_counter() - t

    # the same, cold, without the numpy candidate ranking: ScanCode ranks all ~30k rules per approximate query
    plain_det = Detector(prefilter=False)
    t = time.perf_counter()
    for p in sample:
        plain_det.detect_file(p.read_text(encoding="utf-8", errors="replace"))
    plain_s = time.perf_counter() - t

    ours_rate, full_rate = len(sample) / ours_s, len(sample) / full_s
    print(
        f"ours     : {ours_rate:9.1f} files/s ({ours_s:.1f} s, {ours_det.misses} index matches, {ours_det.hits} cache hits)"
    )
    print(
        f"ours, no candidate prefilter: {len(sample) / plain_s:9.1f} files/s ({plain_s:.1f} s, "
        f"{full_s / plain_s:.1f}x ScanCode)"
    )
    print(f"scancode : {full_rate:9.2f} files/s ({full_s:.1f} s, full per-file scan)")
    print(f"ratio    : {ours_rate / full_rate:.1f}x (goal >= 50x; both on the same {len(sample)} files)")
    ours += [ours_det.detect_file(p.read_text(encoding="utf-8", errors="replace")) for p in headed]
    full += [base_det.scan_file(str(p)) for p in headed]
    sample = sample + headed
    agree = [o.license == f for o, f in zip(ours, full, strict=True)]
    with_license = [i for i, f in enumerate(full) if f]
    print(
        f"agreement: {100 * sum(agree) / len(agree):.1f}% of {len(agree)} files "
        f"(the random sample + {len(headed)} with a legal header) "
        f"({sum(agree[i] for i in with_license)}/{len(with_license)} of those where ScanCode finds a license)"
    )
    for p, o, f, ok in zip(sample, ours, full, agree, strict=True):
        if not ok:
            print(f"  differs: {p}: ours={o.license!r} ({o.source}) scancode={f!r}")

    if not args.no_full_corpus:
        det = Detector()
        t = time.perf_counter()
        sources: dict[str, int] = {}
        for p in files:
            r = det.detect_file(p.read_text(encoding="utf-8", errors="replace"))
            sources[r.source] = sources.get(r.source, 0) + 1
        all_s = time.perf_counter() - t
        print(
            f"ours alone, whole corpus (no baseline: ScanCode not run on these files): "
            f"{len(files) / all_s:.1f} files/s ({len(files)} files, {all_s:.1f} s, "
            f"{det.misses} index matches); file-level sources {sources}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak memory per worker (RSS): {peak:.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
