"""The whole data run (read -> normalize -> filters -> PII -> license -> exact + near dedup -> parquet ->
tokenizer -> FIM .bin/.idx) on a real source tarball, stage by stage: MB/s per core, peak RSS per worker,
disk per GB read, and what that projects to for a 50 GB run on N local cores and on a Slurm array.

    python benchmarks/bench_datarun.py [--tarball X.tar.gz | --trees llvm-14 linux ...] [--tasks 2]

By default the tarball is built from C/C++ header trees of this machine's /usr/include (LLVM 14, Linux UAPI,
ICU, OpenSSL, Mesa GL, CPython, X11; tens of MB, real code the tokenizer has not seen). Each stage runs in
its own forked process with one worker (`--workers 1`), so its CPU time and peak RSS (`wait4`) are one
worker's; per-core MB/s = MB of C/C++ read / CPU seconds of the stage. Per-step wall times inside the read
stage come from DataTrove's step stats. The projection is arithmetic on these figures (labelled): parallel
stages scale with cores or array tasks, single-task stages do not, tokenizer training is capped by its
`--tokenizer-max-chars` sample (2 GB by default) and extrapolated linearly.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_TREES = ("llvm-14", "linux", "unicode", "openssl", "GL", "python3.11", "X11")
GB = 10**9
MB = 10**6


def build_tarball(trees: list[str], dest: Path, root: Path = Path("/usr/include")) -> Path:
    """A .tar.gz of `root/<tree>` folders (sorted members, fixed mtimes: the same bytes every build)."""
    if dest.is_file():
        return dest
    trees = [t for t in trees if (root / t).is_dir()]  # the ones this machine has
    if not trees:
        raise FileNotFoundError(f"none of the trees under {root}: pass --tarball")
    tmp = dest.with_suffix(".tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        for t in trees:
            for path in sorted((root / t).rglob("*")):
                if path.is_file() and not path.is_symlink():
                    info = tar.gettarinfo(str(path), arcname=f"usr-include/{path.relative_to(root)}")
                    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                    with open(path, "rb") as f:
                        tar.addfile(info, f)
    tmp.replace(dest)
    return dest


def run_stage(ex) -> dict:
    """Run one executor in a forked child; its wall time, CPU time and peak RSS (one worker)."""
    ex.depends = None
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child
        try:
            ex.run()
            code = 1 if ex.get_incomplete_ranks() else 0
        except BaseException:  # noqa: BLE001 - reported by the exit code, the parent prints the stage
            code = 1
        os._exit(code)
    _, status, usage = os.wait4(pid, 0)
    return {
        "wall_s": time.perf_counter() - t0,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "ok": os.waitstatus_to_exitcode(status) == 0,
    }


class _Fn:
    """A stand-in executor: `run_stage` forks it like a DataTrove stage."""

    def __init__(self, fn):
        self.fn, self.depends = fn, None

    def run(self):
        self.fn()

    def get_incomplete_ranks(self):
        return []


def license_index_cost() -> dict:
    """CPU seconds and RSS of loading ScanCode's index in a fresh process: a fixed cost per worker, taken
    out of the per-MB rate so that the projection does not scale it with the data."""
    from cppllm.pipeline.license.scan import Detector

    return run_stage(_Fn(Detector.index))


def step_times(out: Path, stage: str) -> list[tuple[str, float]]:
    """(step, wall seconds summed over tasks) from DataTrove's stats of one stage."""
    from pipelines.stages import stage_stats

    steps = stage_stats(out / "logs").get(stage, [])
    return [(s["name"], float((s.get("time_stats") or {}).get("total", 0.0))) for s in steps]


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} cores, {cpu}, load {load:.1f}"


def project(
    stages: list[dict],
    read_mb: float,
    disk: dict,
    target_gb: float,
    cores: list[int],
    array: int,
    fixed_s: float = 0.0,
) -> list[str]:
    """Arithmetic on CPU seconds (one worker = one core; the wall times above are inflated by a shared
    machine's load): parallel stages scale with cores or array tasks, single-task stages do not."""
    serial = {"minhash_3_clusters", "provenance", "tokenizer", "bin_merge", "summary"}
    target_mb = target_gb * 1000
    per_mb = {s["name"]: s["cpu_s"] / read_mb for s in stages}
    per_mb["process"] = max(0.0, per_mb.get("process", 0.0) - fixed_s / read_mb)  # index load: per worker
    par_cpu = sum(v for k, v in per_mb.items() if k not in serial) * target_mb
    # the tokenizer trains on a <= 2 GB sample of the kept text (--tokenizer-max-chars), linear in its size
    kept = 0.75
    tok_s = per_mb.get("tokenizer", 0.0) / kept * min(target_mb * kept, 2000)
    other_serial = sum(v for k, v in per_mb.items() if k in serial - {"tokenizer"}) * target_mb
    lines = [
        f"PROJECTION (arithmetic on the CPU seconds above, not a measurement) for {target_gb:g} GB of C/C++ read:",
        f"  parallel stages {par_cpu / 3600:,.1f} core-hours; tokenizer training on a 2 GB sample (linear) "
        f"{tok_s / 3600:.1f} h; other single-task stages (dedup clustering, merges, summary) {other_serial / 3600:.1f} h",
    ]
    for n in cores:
        wall = par_cpu / n + fixed_s + tok_s + other_serial
        lines.append(
            f"  local, {n:>4} workers (1.75 GB RAM each for the license index: {1.75 * n:,.0f} GB): ~{wall / 3600:,.1f} h"
        )
    task = sum(v for k, v in per_mb.items() if k not in serial) * target_mb / array
    lines.append(
        f"  Slurm array of {array} tasks ({target_gb / array:.2f} GB each, all running at once): parallel stages "
        f"~{(task + fixed_s) / 60:,.0f} min per task, + {(tok_s + other_serial) / 3600:.1f} h single-task stages = "
        f"~{(task + fixed_s + tok_s + other_serial) / 3600:.1f} h (queue waits and downloads not included)"
    )
    scale = target_mb / read_mb
    lines.append(
        "  disk: "
        + ", ".join(f"{k} {v * scale / GB:,.1f} GB" for k, v in disk.items())
        + " (extracted trees: tarball sources only; streamed Hub sources keep a hydration cache instead)"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--tarball", type=Path, default=None, help="a C/C++ source tarball (default: built from /usr/include)"
    )
    ap.add_argument(
        "--trees", nargs="+", default=list(DEFAULT_TREES), help="/usr/include folders for the default tarball"
    )
    ap.add_argument(
        "--work", type=Path, default=Path("/tmp/cppllm-bench-datarun"), help="scratch folder (wiped)"
    )
    ap.add_argument("--tasks", type=int, default=2, help="tasks per parallel stage")
    ap.add_argument("--no-license", action="store_true", help="skip the license step")
    ap.add_argument("--target-gb", type=float, default=50.0, help="projection: GB of C/C++ read")
    ap.add_argument("--cores", type=int, nargs="+", default=[16, 64, 256], help="projection: local cores")
    ap.add_argument("--array", type=int, default=256, help="projection: Slurm array tasks")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = ap.parse_args(argv)

    from pipelines.cli import build_executors, parse_config
    from pipelines.sources import M0

    work = args.work
    try:
        tarball = args.tarball or build_tarball(args.trees, work.parent / f"{work.name}-usr-include.tar.gz")
    except FileNotFoundError as e:
        print(f"skipped: {e}")
        return 0
    out, cache = work / "out", work / "cache"
    shutil.rmtree(work, ignore_errors=True)
    os.environ["CPPLLM_CACHE"] = str(cache)
    flags = ["--source", str(tarball), "--output", str(out), "--tasks", str(args.tasks), "--workers", "1"]
    flags += ["--near-dedup", "datatrove", "--quiet"] + (["--no-license"] if args.no_license else [])
    chain = build_executors(parse_config(M0, flags), M0)
    print(
        f"== bench_datarun: {tarball} ({tarball.stat().st_size / MB:.1f} MB compressed); machine: {machine()}"
    )
    print(f"   pipelines.m0 {' '.join(flags[2:])}")
    stages = []
    for ex in chain:
        name = Path(ex.logging_dir.path).name
        r = run_stage(ex)
        stages.append({"name": "process" if name.startswith("process_") else name, **r})
        if not r["ok"]:
            print(f"error: stage {name} failed; see {out / 'logs' / name}", file=sys.stderr)
            return 1
    stats = json.loads((out / "stats.json").read_text())["summary"] if (out / "stats.json").is_file() else {}
    read_mb = stats.get("chars_in", 0) / MB  # chars of decoded C/C++ the reader produced (~bytes for code)
    print(
        f"   read {read_mb:.1f} MB of C/C++ ({stats.get('docs_in', 0):,} files) -> {stats.get('docs_out', 0):,} "
        f"docs, {stats.get('bytes_out', 0) / MB:.1f} MB kept"
    )
    fixed = {"cpu_s": 0.0, "peak_rss_mib": 0.0} if args.no_license else license_index_cost()
    print(
        f"   license index load (a fixed cost per worker): {fixed['cpu_s']:.1f} CPU s, {fixed['peak_rss_mib']:.0f} MiB"
    )
    print(f"\n{'stage':<22}{'wall s':>9}{'CPU s':>9}{'MB/s/core':>11}{'peak RSS MiB':>14}")
    for s in stages:
        rate = read_mb / s["cpu_s"] if s["cpu_s"] > 0 else float("inf")
        print(f"{s['name']:<22}{s['wall_s']:>9.1f}{s['cpu_s']:>9.1f}{rate:>11.2f}{s['peak_rss_mib']:>14.0f}")
    total_cpu = sum(s["cpu_s"] for s in stages)
    print(
        f"{'whole run':<22}{sum(s['wall_s'] for s in stages):>9.1f}{total_cpu:>9.1f}{read_mb / total_cpu:>11.2f}"
        f"{max(s['peak_rss_mib'] for s in stages):>14.0f}"
    )
    process_stage = next(
        Path(ex.logging_dir.path).name
        for ex in chain
        if Path(ex.logging_dir.path).name.startswith("process_")
    )
    print(
        "\nread stage, per step (wall s summed over tasks, inflated by the machine's load; the license step "
        "includes its index load, once per worker):"
    )
    for name, secs in step_times(out, process_stage):
        print(f"  {name:<34}{secs:>8.1f} s  {read_mb / secs if secs else float('inf'):>9.2f} MB/s")
    disk = {
        "parquet docs": folder_bytes(out / "docs"),
        ".bin/.idx": folder_bytes(out / "bin"),
        "work (intermediate)": folder_bytes(out / "work"),
        "extracted tree": folder_bytes(cache / "extracted"),
    }
    print(
        "\ndisk per GB of C/C++ read: "
        + ", ".join(f"{k} {v / (read_mb * MB):.2f} GB" for k, v in disk.items())
    )
    print()
    print("\n".join(project(stages, read_mb, disk, args.target_gb, args.cores, args.array, fixed["cpu_s"])))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "read_mb": read_mb,
                    "stages": stages,
                    "disk": disk,
                    "license_index": fixed,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
