"""Run untrusted commands (compilers on model output, compiled test programs) in a sandbox.

Each job gets: its own process group (the whole group is killed at the end, so forks cannot linger), wall
and CPU time limits, RLIMIT_AS / FSIZE / NPROC / CORE (or an RSS bound for sanitizer builds), a fresh temp
dir removed afterwards, no network (a new network namespace), a read-only view of every file system except
the work dir (a new mount namespace), its own PID namespace and /proc (whatever the job leaves behind, even
after `setsid()`, dies with it), no_new_privs, a seccomp filter refusing Unix-domain sockets and io_uring,
and bounded stdout/stderr. Set-up happens in a small launcher process (`jail.py`), never between fork and
exec in our possibly threaded process.

Who makes the namespaces (`backend()`): as root the launcher itself, then it drops to `nobody`; as anyone
else the launcher inside a user namespace of its own, where the kernel allows unprivileged ones; else
bubblewrap (`bwrap`) when it is installed and works; else nothing (`none`): compiler runs
(`trusted_program=True`) get rlimits only, and model-written programs are refused (`SandboxUnavailable`)
unless the process-wide `SandboxPolicy` says `unsafe_no_sandbox` (the `--unsafe-no-sandbox` flag).

What was applied is reported, never hidden: `SandboxResult.isolation` lists what was in force for a job,
`isolation_record()` what eval.json and report.md record for a run.
"""

from __future__ import annotations

import argparse
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
from typing import Any

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


class SandboxUnavailable(OSError):
    """No isolation can run a model-written program here, and `--unsafe-no-sandbox` was not given."""


@dataclass(frozen=True, kw_only=True)
class SandboxPolicy:
    """Process-wide choices, set once by a CLI (`set_policy`), read by every `run_sandboxed` call."""

    unsafe_no_sandbox: bool = False  # run model-written programs even where no isolation is available
    backend: str = "auto"  # auto | jail | bwrap | none (tests force one; `none` means rlimits only)


_policy = SandboxPolicy()
BACKENDS = ("auto", "jail", "bwrap", "none")
# What a model-written program needs: no network, no writes outside its dir, no survivors, no uid of ours
# that could touch our files (as root: `nobody`; otherwise: a user namespace without capabilities).
REQUIRED = ("network_namespace", "readonly_filesystem", "pid_namespace")


def set_policy(policy: SandboxPolicy) -> None:
    """Install `policy` for this process (e.g. from `--unsafe-no-sandbox`)."""
    global _policy
    if policy.backend not in BACKENDS:
        raise ValueError(f"unknown sandbox backend {policy.backend!r}; valid: {', '.join(BACKENDS)}")
    _policy = policy


def get_policy() -> SandboxPolicy:
    return _policy


def _can_drop_to_nobody() -> bool:
    return os.geteuid() == 0


@functools.cache
def available_isolation() -> dict[str, bool]:
    """Which isolations the launcher gets on this machine (probed once per process by the launcher itself).

    As root: namespaces directly, then a drop to `nobody`. Otherwise: the same namespaces inside a user
    namespace of our own (`user_namespace`), where the kernel allows unprivileged ones.
    """
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
        return {k: False for k in ("user_namespace", *REQUIRED, "no_unix_sockets")}


def _jail_is_complete(avail: dict[str, bool]) -> bool:
    return all(avail.get(k) for k in REQUIRED) and (_can_drop_to_nobody() or avail.get("user_namespace"))


def backend() -> str:
    """The mechanism in force: `jail` (root or user namespace), `bwrap`, or `none` (rlimits only)."""
    want = _policy.backend
    if want in ("jail", "none"):
        return want
    if want == "auto" and _jail_is_complete(available_isolation()):
        return "jail"
    if bwrap_works():
        return "bwrap"
    # incomplete: the compiler still gets whatever the jail can do; model-written programs are refused
    return "jail" if want == "auto" else "none"


@functools.cache
def bwrap_works() -> bool:
    """Whether bubblewrap is on PATH and can make its namespaces here (a set-uid or userns-allowed bwrap).

    Never as root: root gets the jail (namespaces made directly, then a drop to `nobody`).
    """
    path = shutil.which("bwrap")
    if path is None or _can_drop_to_nobody():
        return False
    with SandboxDir() as work:
        out = subprocess.run(
            [sys.executable, "-I", "-S", str(JAIL), "--probe-bwrap", path],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=60,
        )
    return out.returncode == 0 and out.stdout.strip() == "ok"


def _kernel_counts_nproc_per_namespace() -> bool:
    """Linux >= 5.14 counts RLIMIT_NPROC per (user namespace, uid) (ucounts), not per uid system-wide."""
    try:
        major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (5, 14)


@dataclass(frozen=True, kw_only=True)
class _Plan:
    backend: str
    isolation: tuple[str, ...]
    spec: dict  # the launcher's isolation switches


def _home_to_hide(workdir: Path | None) -> str | None:
    """Our home dir, hidden from model-written programs (as uid-mapped jobs they could read it), unless the
    work dir is inside it. `workdir=None`: a `SandboxDir` in the default temp dir."""
    home = os.path.realpath(os.path.expanduser("~"))
    work = os.path.realpath(workdir if workdir is not None else tempfile.gettempdir())
    if home == "/" or not os.path.isdir(home) or work == home or work.startswith(home + os.sep):
        return None
    return home


def _plan(limits: SandboxLimits, *, trusted_program: bool, workdir: Path | None = None) -> _Plan:
    """What one job gets; raises `SandboxUnavailable` for a model-written program without isolation."""
    name = backend()
    avail = available_isolation() if name == "jail" else {}
    drop = name != "bwrap" and _can_drop_to_nobody()
    userns = name == "jail" and not drop and bool(avail.get("user_namespace"))
    complete = name == "bwrap" or (name == "jail" and _jail_is_complete(avail))
    if not complete and not trusted_program and not _policy.unsafe_no_sandbox:
        raise SandboxUnavailable(
            "refusing to run a model-written program without isolation: "
            + _missing_reason(avail)
            + "; install bubblewrap, allow unprivileged user namespaces, or pass --unsafe-no-sandbox"
        )
    spec = {
        "bwrap": shutil.which("bwrap") if name == "bwrap" else None,
        "drop": drop,
        "userns": userns,
        "userns_after_drop": drop and name == "jail" and bool(avail.get("nobody_user_namespace")),
        "isolate_net": name == "bwrap"
        or (name == "jail" and not limits.network and avail.get("network_namespace", False)),
        "readonly_fs": name == "bwrap" or (name == "jail" and avail.get("readonly_filesystem", False)),
        "isolate_pid": name == "bwrap" or (name == "jail" and avail.get("pid_namespace", False)),
        "seccomp": name != "none" and available_isolation().get("no_unix_sockets", False),
        "hide": [],
        # NPROC is per job where the job has a uid or user namespace of its own; otherwise it would count
        # every process of ours, so the launcher adds the ones already running.
        "nproc_relative": not drop
        and not ((userns or name == "bwrap") and _kernel_counts_nproc_per_namespace()),
    }
    home = _home_to_hide(workdir) if spec["readonly_fs"] and not trusted_program else None
    if home is not None:
        spec["hide"] = [home]
    isolation = ["process_group", "rlimits", "no_new_privs"]
    if limits.rss_bytes:
        isolation.append("rss_limit")
    for key, label in (
        ("drop", "unprivileged_user"),
        ("userns", "user_namespace"),
        ("userns_after_drop", "user_namespace"),
        ("isolate_net", "network_namespace"),
        ("readonly_fs", "readonly_filesystem"),
        ("isolate_pid", "pid_namespace"),
        ("seccomp", "no_unix_sockets"),
        ("hide", "home_hidden"),
    ):
        if spec[key]:
            isolation.append(label)
    if name == "bwrap":
        isolation += ["user_namespace", "bwrap"]
    if not complete:
        isolation.append("unsafe_no_sandbox" if not trusted_program else "incomplete_isolation")
    return _Plan(backend=name, isolation=tuple(isolation), spec=spec)


def _missing_reason(avail: dict[str, bool]) -> str:
    if _policy.backend == "none":
        return "the sandbox backend is 'none'"
    missing = [k for k in REQUIRED if not avail.get(k)]
    if not _can_drop_to_nobody() and not avail.get("user_namespace"):
        missing.insert(0, "user_namespace")
    return f"this kernel refuses {', '.join(missing)} to uid {os.geteuid()} and bwrap is not installed"


def isolation_record() -> dict[str, Any]:
    """What `eval.json` and `report.md` record about the sandbox: backend, what is in force, what is not.

    `programs` is what happens to model-written programs (HumanEval binaries): `sandboxed`, `refused`,
    or `unsandboxed` (`--unsafe-no-sandbox`); `compile_checks` is the same for compiler runs.
    """
    limits = SandboxLimits()
    compile_plan = _plan(limits, trusted_program=True)
    try:
        run_plan = _plan(limits, trusted_program=False)
        programs = "unsandboxed" if "unsafe_no_sandbox" in run_plan.isolation else "sandboxed"
    except SandboxUnavailable:
        run_plan, programs = compile_plan, "refused"
    wanted = ("network_namespace", "readonly_filesystem", "pid_namespace", "no_unix_sockets")
    uid = "unprivileged_user" if _can_drop_to_nobody() else "user_namespace"
    mode = compile_plan.backend
    if mode == "jail":
        mode = "root" if _can_drop_to_nobody() else "user_namespace"
        mode = mode if mode == "root" or "user_namespace" in compile_plan.isolation else "none"
    return {
        "backend": mode,
        "uid": os.geteuid(),
        "in_force": list(run_plan.isolation),
        "missing": [k for k in (uid, *wanted) if k not in run_plan.isolation],
        "programs": programs,
        "compile_checks": "sandboxed"
        if "incomplete_isolation" not in compile_plan.isolation
        else "rlimits_only",
        "fork_bound": _fork_bound(run_plan),
        "unsafe_no_sandbox": _policy.unsafe_no_sandbox,
    }


def require_program_sandbox() -> None:
    """Raise `SandboxUnavailable` now (before any sampling) if model-written programs would be refused."""
    _plan(SandboxLimits(), trusted_program=False)


def describe(record: dict[str, Any]) -> str:
    """One line for report.md and the console, from `isolation_record()`."""
    kept = [k for k in record["in_force"] if k not in ("process_group", "rlimits", "no_new_privs")]
    line = f"backend `{record['backend']}` as uid {record['uid']} ({', '.join(kept) or 'rlimits only'})"
    if record["missing"]:
        line += f"; missing: {', '.join(record['missing'])}"
    programs = {
        "sandboxed": "model-written programs run sandboxed",
        "refused": "model-written programs are refused (no isolation; --unsafe-no-sandbox not given)",
        "unsandboxed": "**model-written programs ran WITHOUT isolation (--unsafe-no-sandbox): they could "
        "reach the network and write wherever this uid can**",
    }[record["programs"]]
    compile_checks = (
        "compiler runs sandboxed"
        if record["compile_checks"] == "sandboxed"
        else "**compiler runs have rlimits only, no isolation**"
    )
    return f"{line}; {programs}; {compile_checks}; fork bound: {record['fork_bound']}."


def add_sandbox_flags(parser: argparse.ArgumentParser) -> None:
    """`--unsafe-no-sandbox` for every CLI that runs model-written programs (`apply_sandbox_flags` reads it)."""
    parser.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run model-written programs even where no isolation is available (no user namespaces, no "
        "bwrap): they get rlimits only, with network and write access; recorded in eval.json",
    )


def apply_sandbox_flags(args: argparse.Namespace) -> None:
    """`--unsafe-no-sandbox` turns the process-wide policy's switch on; without it the policy is kept."""
    if args.unsafe_no_sandbox:
        set_policy(replace(_policy, unsafe_no_sandbox=True))


def _fork_bound(plan: _Plan) -> str:
    n = SandboxLimits().nproc
    pid = " + PID namespace (nothing outlives the job)" if plan.spec["isolate_pid"] else ""
    if plan.spec["drop"] and not (plan.spec["userns_after_drop"] and _kernel_counts_nproc_per_namespace()):
        return f"RLIMIT_NPROC={n} for nobody (shared by concurrent jobs){pid}"
    if plan.spec["drop"]:
        return f"RLIMIT_NPROC={n} for nobody in the job's own user namespace{pid}"
    if not plan.spec["nproc_relative"]:
        return f"RLIMIT_NPROC={n} counted in the job's own user namespace{pid}"
    return f"RLIMIT_NPROC={n} on top of uid {os.geteuid()}'s running processes{pid}"


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
    trusted_program: bool = False,
) -> SandboxResult:
    """Run `argv` inside `workdir` (which the caller created and will remove) under `limits`.

    `env` adds variables to the job's minimal environment (PATH, LANG, TMPDIR), e.g. `sanitizer_env()`.
    `trusted_program=True` marks a program we trust reading untrusted input (the compiler on model
    output): it still runs where isolation is incomplete, with what there is (`incomplete_isolation`).
    Anything else is a model-written program and raises `SandboxUnavailable` there, unless the policy
    says `unsafe_no_sandbox` (then it runs with rlimits only, marked `unsafe_no_sandbox`).
    """
    plan = _plan(limits, trusted_program=trusted_program, workdir=workdir)
    spec = {
        **plan.spec,
        "workdir": str(workdir),
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
        isolation=plan.isolation,
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
