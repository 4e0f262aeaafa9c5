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
from dataclasses import dataclass, field
from pathlib import Path

JAIL = Path(__file__).with_name("jail.py")
NOBODY_UID = 65534
NOBODY_GID = 65534


@dataclass(frozen=True, kw_only=True)
class SandboxLimits:
    wall_s: float = 30.0
    cpu_s: int = 20
    mem_bytes: int = 2 << 30  # RLIMIT_AS: cc1plus on big headers needs ~1 GiB of address space
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

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


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


def run_sandboxed(
    argv: list[str],
    *,
    workdir: Path,
    limits: SandboxLimits = SandboxLimits(),
    stdin_text: str | None = None,
) -> SandboxResult:
    """Run `argv` inside `workdir` (which the caller created and will remove) under `limits`."""
    avail = available_isolation()
    drop = _can_drop_to_nobody()
    isolate_net = not limits.network and avail.get("network_namespace", False)
    readonly_fs = avail.get("readonly_filesystem", False)
    isolate_pid = avail.get("pid_namespace", False)
    isolation = ["process_group", "rlimits"]
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
            "RLIMIT_AS": limits.mem_bytes,
            "RLIMIT_FSIZE": limits.fsize_bytes,
            "RLIMIT_CORE": 0,
        },
        "env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C", "TMPDIR": str(workdir)},
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
        timed_out = False
        try:
            proc.communicate(
                input=stdin_text.encode() if stdin_text is not None else None, timeout=limits.wall_s
            )
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            # The job's whole process group goes, finished or not: no orphan may outlive the job.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    seconds = time.monotonic() - start
    rc = proc.returncode
    return SandboxResult(
        returncode=None if timed_out else rc,
        stdout=_read_capped(out_path, limits.output_bytes),
        stderr=_read_capped(err_path, limits.output_bytes),
        seconds=seconds,
        timed_out=timed_out,
        signal=-rc if rc is not None and rc < 0 else None,
        isolation=tuple(isolation),
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
