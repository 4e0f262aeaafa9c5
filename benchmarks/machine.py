"""The machine a benchmark ran on, read from the machine itself: every `bench_*.py` prints this line.

Cores (all, and the ones this process may use), the CPU model from /proc/cpuinfo (`platform` elsewhere),
the OS, and the 1/5/15-minute load average at start: absolute figures from a shared box under load are
not comparable with a quiet one, ratios measured in the same run are.

    from machine import machine_line   # benchmarks/ is on sys.path when a bench script runs
    print(machine_line())
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_model() -> str:
    """The CPU model name ("AMD EPYC 9454 48-Core Processor"), or the best `platform` can say."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.split(":")[0].strip() in ("model name", "Model", "cpu model"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def machine_line() -> str:
    """One line: `machine: 2 cores (2 usable), AMD EPYC ..., x86_64 Linux; load 1.23 0.98 0.50`."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (
        f"machine: {os.cpu_count()} cores ({usable_cores()} usable), {cpu_model()}, "
        f"{platform.machine()} {platform.system()}; load {load}"
    )


def short_label() -> str:
    """A short label for result lines: `2-core AMD EPYC`."""
    return f"{os.cpu_count()}-core {cpu_model()}"


if __name__ == "__main__":
    print(machine_line())
