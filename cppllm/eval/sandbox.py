"""Run untrusted commands (compilers on model output, compiled test programs) in a sandbox.

Each job gets: its own process group (the whole group is killed at the end, so forks cannot linger), wall
and CPU time limits, RLIMIT_AS / FSIZE / NPROC / CORE, a fresh temp dir removed afterwards, no network
(a new network namespace where the kernel allows it), a read-only view of every file system except the
work dir (a new mount namespace, where allowed), its own PID namespace where allowed (whatever the job
leaves behind, even after `setsid()`, dies with it), and bounded stdout/stderr. When we run as root the job
drops to an unprivileged user (`nobody`), because root ignores RLIMIT_NPROC. Set-up happens in a small
launcher process (`jail.py`), never between fork and exec in our possibly threaded process.

What could not be applied is reported, never hidden: `SandboxResult.isolation` lists what was in force.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

JAIL = Path(__file__).with_name("jail.py")
NOBODY_UID = 65534
NOBODY_GID = 65534


@dataclass(frozen=True, kw_only=True)
class SandboxLimits:
    wall_s: float = 30.0
    cpu_s: int = 20
    # RLIMIT_AS: cc1plus on big headers needs ~1 GiB of address space. None = no address-space limit,
    # for sanitizer-built programs (ASan reserves terabytes of virtual memory); bound them by rss_bytes.
    mem_bytes: int | None = 2 << 30
    rss_bytes: int | None = None  # resident memory of the whole job, polled; over it the job is killed
    fsize_bytes: int = 64 << 20  # largest file the job may write (PCH files are tens of MB)
    nproc: int = 64  # processes of the sandbox user (g++ spawns cc1plus, as, ld)
    output_bytes: int = 64 << 10  # stdout/stderr kept for the caller
    network: bool = False  # True lets the job reach the network


@dataclass(frozen=True, kw_only=True)
class SandboxResult:
    returncode: int | None  # None when killed for time
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool
    signal: int | None  # the signal that ended the job, if any
    isolation: tuple[str, ...] = field(default_factory=tuple)
    memory_exceeded: bool = False  # killed for going over SandboxLimits.rss_bytes

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.memory_exceeded


SANITIZER_OPTIONS = "abort_on_error=0:symbolize=1:detect_leaks=0:allocator_may_return_null=1"


def sanitizer_limits(base: SandboxLimits = SandboxLimits(), rss_bytes: int = 1 << 30) -> SandboxLimits:
    """`base` for ASan/UBSan binaries: no RLIMIT_AS (their shadow memory is a huge reservation), RSS bound."""
    return replace(base, mem_bytes=None, rss_bytes=rss_bytes)


def sanitizer_env(limits: SandboxLimits) -> dict[str, str]:
    """ASAN_OPTIONS/UBSAN_OPTIONS for a sanitizer run: symbolized reports, ASan's own RSS cap as well."""
    asan = SANITIZER_OPTIONS
    if limits.rss_bytes:
        asan += f":hard_rss_limit_mb={max(1, limits.rss_bytes >> 20)}"
    return {
        "ASAN_OPTIONS": asan,
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:symbolize=1",
    }


def _can_drop_to_nobody() -> bool:
    return os.geteuid() == 0


@functools.cache
def available_isolation() -> dict[str, bool]:
    """Which isolations this machine allows (probed once per process by the launcher itself)."""
    with SandboxDir() as work:
        out = subprocess.run(
            [sys.executable, "-I", "-S", str(JAIL), "--probe"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=60,
        )
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"network_namespace": False, "readonly_filesystem": False, "pid_namespace": False}


def _read_capped(path: Path, cap: int) -> str:
    with open(path, "rb") as f:
        data = f.read(cap + 1)
    text = data[:cap].decode("utf-8", errors="replace")
    return text + ("\n[output truncated]" if len(data) > cap else "")


def _job_rss_bytes(sid: int) -> int:
    """Resident bytes of every process in session `sid` (the launcher calls setsid(), so sid = its pid)."""
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # fields after "comm)": state ppid pgrp session ... rss at index 21
            total += int(fields[21]) * page
    return total


def _wait(proc: subprocess.Popen, limits: SandboxLimits, stdin: bytes | None) -> tuple[bool, bool]:
    """Wait for the job under the wall limit (and the RSS limit); return (timed_out, memory_exceeded)."""
    if not limits.rss_bytes:
        try:
            proc.communicate(input=stdin, timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            return True, False
        return False, False
    if stdin is not None and proc.stdin is not None:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write(stdin)
        proc.stdin.close()
    deadline = time.monotonic() + limits.wall_s
    while proc.poll() is None:
        if time.monotonic() > deadline:
            return True, False
        if _job_rss_bytes(proc.pid) > limits.rss_bytes:
            return False, True
        time.sleep(0.02)
    return False, False


def run_sandboxed(
    argv: list[str],
    *,
    workdir: Path,
    limits: SandboxLimits = SandboxLimits(),
    stdin_text: str | None = None,
    env: dict[str, str] | None = None,
) -> SandboxResult:
    """Run `argv` inside `workdir` (which the caller created and will remove) under `limits`.

    `env` adds variables to the job's minimal environment (PATH, LANG, TMPDIR), e.g. `sanitizer_env()`.
    """
    avail = available_isolation()
    drop = _can_drop_to_nobody()
    isolate_net = not limits.network and avail.get("network_namespace", False)
    readonly_fs = avail.get("readonly_filesystem", False)
    isolate_pid = avail.get("pid_namespace", False)
    isolation = ["process_group", "rlimits"]
    if limits.rss_bytes:
        isolation.append("rss_limit")
    if drop:
        isolation.append("unprivileged_user")
    if isolate_net:
        isolation.append("network_namespace")
    if readonly_fs:
        isolation.append("readonly_filesystem")
    if isolate_pid:
        isolation.append("pid_namespace")
    spec = {
        "workdir": str(workdir),
        "isolate_net": isolate_net,
        "readonly_fs": readonly_fs,
        "isolate_pid": isolate_pid,
        "drop": drop,
        "nproc": limits.nproc,
        "rlimits": {
            "RLIMIT_CPU": limits.cpu_s,
            "RLIMIT_AS": limits.mem_bytes if limits.mem_bytes is not None else -1,  # -1: RLIM_INFINITY
            "RLIMIT_FSIZE": limits.fsize_bytes,
            "RLIMIT_CORE": 0,
        },
        "env": {
            **(env or {}),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C",
            "TMPDIR": str(workdir),
        },
    }
    out_path, err_path = workdir / ".stdout", workdir / ".stderr"
    start = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(JAIL), json.dumps(spec), "--", *argv],
            cwd=workdir,
            stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            close_fds=True,
        )
        try:
            timed_out, memory_exceeded = _wait(
                proc, limits, stdin_text.encode() if stdin_text is not None else None
            )
        finally:
            # The job's whole process group goes, finished or not: no orphan may outlive the job.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    seconds = time.monotonic() - start
    rc = proc.returncode
    return SandboxResult(
        returncode=None if timed_out or memory_exceeded else rc,
        stdout=_read_capped(out_path, limits.output_bytes),
        stderr=_read_capped(err_path, limits.output_bytes),
        seconds=seconds,
        timed_out=timed_out,
        signal=-rc if rc is not None and rc < 0 else None,
        isolation=tuple(isolation),
        memory_exceeded=memory_exceeded,
    )


class SandboxDir:
    """A fresh temp dir that the sandbox user may write to, removed on exit."""

    def __init__(self, prefix: str = "cppllm-sbx-") -> None:
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        if _can_drop_to_nobody():
            os.chown(self.path, NOBODY_UID, NOBODY_GID)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
