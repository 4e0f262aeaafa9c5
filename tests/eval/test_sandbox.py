"""Hostile jobs must neither hang the evaluator nor write outside their temp dir."""

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from cppllm.eval.sandbox import (
    SandboxDir,
    SandboxLimits,
    available_isolation,
    run_sandboxed,
    sanitizer_env,
    sanitizer_limits,
)

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")


def _build(work: Path, code: str, *flags: str) -> Path:
    """Compile a hostile test program into the job's work dir (where the sandbox user can run it)."""
    src = work / "p.cpp"
    src.write_text(code)
    exe = work / "p"
    subprocess.run(["g++", "-O0", *flags, "-o", str(exe), str(src)], check=True)
    return exe


OVERFLOW = "int main(){ int* p = new int[4]; p[4] = 1; int r = p[0]; delete[] p; return r; }\n"


def test_asan_binary_is_refused_by_an_address_space_limit_but_runs_under_an_rss_bound():
    with SandboxDir() as work:
        exe = _build(work, OVERFLOW, "-g", "-fsanitize=address,undefined")
        plain = run_sandboxed([str(exe)], workdir=work, limits=SandboxLimits(wall_s=20))
        lim = sanitizer_limits(SandboxLimits(wall_s=20), rss_bytes=512 << 20)
        san = run_sandboxed([str(exe)], workdir=work, limits=lim, env=sanitizer_env(lim))
    assert "ReserveShadowMemoryRange" in plain.stderr or "failed to allocate" in plain.stderr
    assert "heap-buffer-overflow" not in plain.stderr
    assert not san.ok and not san.memory_exceeded
    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in san.stderr
    assert "p.cpp:" in san.stderr  # symbolized to file:line
    assert "rss_limit" in san.isolation


def test_rss_limit_kills_a_job_that_touches_too_much_memory():
    with SandboxDir() as work:
        exe = _build(
            work,
            "#include <cstdlib>\n#include <cstring>\n#include <unistd.h>\nint main(){"
            " char* p = (char*)std::malloc(1ul << 30); if (!p) return 4;"
            " std::memset(p, 1, 1ul << 30); sleep(5); return p[7]; }\n",
        )
        res = run_sandboxed(
            [str(exe)], workdir=work, limits=SandboxLimits(wall_s=20, mem_bytes=None, rss_bytes=128 << 20)
        )
    assert res.memory_exceeded and not res.ok and not res.timed_out
    assert res.seconds < 5  # killed while touching, not after the sleep


def test_job_runs_in_its_own_fresh_dir_which_is_removed():
    with SandboxDir() as work:
        res = run_sandboxed(["sh", "-c", "pwd; echo data > out.txt; cat out.txt"], workdir=work)
        assert res.ok, res.stderr
        assert res.stdout.split() == [str(work), "data"]
    assert not work.exists()


def test_cannot_write_outside_work_dir():
    if not available_isolation().get("readonly_filesystem") and os.geteuid() != 0:
        pytest.skip("no mount namespace and not root: writes are limited by file permissions only")
    target = Path("/tmp") / f"cppllm-escape-{uuid.uuid4().hex}"
    with SandboxDir() as work:
        res = run_sandboxed(
            ["sh", "-c", f"echo x > {target}; echo y > $HOME/escape 2>/dev/null; true"], workdir=work
        )
    assert res.returncode == 0
    assert not target.exists()


def _marker() -> str:
    # a unique sleep duration, visible in `ps` (dash, the usual /bin/sh, has no `exec -a NAME`)
    return f"300.{uuid.uuid4().int % 10**12:012d}"


def test_wall_time_limit_kills_a_sleeper_and_its_children():
    marker = _marker()
    with SandboxDir() as work:
        t0 = time.monotonic()
        # a child that outlives its parent: the whole process group must still go
        res = run_sandboxed(
            ["sh", "-c", f"sleep {marker} & sleep 300"],
            workdir=work,
            limits=SandboxLimits(wall_s=1.0),
        )
        elapsed = time.monotonic() - t0
    assert res.timed_out and not res.ok
    assert elapsed < 10
    time.sleep(0.2)
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert marker not in ps


def test_no_network_when_isolation_available():
    if not available_isolation().get("network_namespace"):
        pytest.skip("network namespaces are not allowed on this machine")
    with SandboxDir() as work:
        res = run_sandboxed(["cat", "/proc/net/dev"], workdir=work)
    # only the header lines and the loopback device exist in a fresh namespace
    devices = [ln.split(":")[0].strip() for ln in res.stdout.splitlines()[2:]]
    assert devices == ["lo"]
    assert "network_namespace" in res.isolation


def test_fork_bomb_is_contained():
    with SandboxDir() as work:
        exe = _build(work, "#include <unistd.h>\nint main(){ for(;;) fork(); }\n")
        t0 = time.monotonic()
        res = run_sandboxed([str(exe)], workdir=work, limits=SandboxLimits(wall_s=2.0, nproc=32))
        assert time.monotonic() - t0 < 15
    assert not res.ok


def test_writing_gigabytes_is_stopped_by_fsize():
    limit = 8 << 20
    with SandboxDir() as work:
        exe = _build(
            work,
            '#include <cstdio>\n#include <cstring>\nint main(){ FILE* f = fopen("big.bin", "wb");'
            " static char buf[1<<20]; memset(buf, 1, sizeof buf);"
            " for(int i = 0; i < 4096; ++i) if (fwrite(buf, 1, sizeof buf, f) != sizeof buf) return 3; return 0; }\n",
        )
        res = run_sandboxed([str(exe)], workdir=work, limits=SandboxLimits(wall_s=20, fsize_bytes=limit))
        size = (work / "big.bin").stat().st_size
    assert not res.ok
    assert size <= limit


def test_memory_limit():
    with SandboxDir() as work:
        exe = _build(
            work,
            "#include <cstdlib>\n#include <cstring>\nint main(){ char* p = (char*)std::malloc(8ul << 30);"
            " if (!p) return 4; std::memset(p, 1, 8ul << 30); return p[123]; }\n",
        )
        res = run_sandboxed([str(exe)], workdir=work, limits=SandboxLimits(mem_bytes=512 << 20))
    assert not res.ok and not res.timed_out


def test_output_is_bounded():
    with SandboxDir() as work:
        res = run_sandboxed(
            ["sh", "-c", "yes error | head -c 5000000"], workdir=work, limits=SandboxLimits(output_bytes=1000)
        )
    assert len(res.stdout) < 1100
    assert res.stdout.endswith("[output truncated]")


def test_a_job_that_leaves_its_process_group_still_dies_with_it():
    if not available_isolation().get("pid_namespace"):
        pytest.skip("PID namespaces are not allowed on this machine")
    marker = _marker()
    with SandboxDir() as work:
        # setsid: a new session, out of the process group the sandbox kills; the job then exits at once
        res = run_sandboxed(["sh", "-c", f"setsid sleep {marker} & echo started"], workdir=work)
    assert res.ok and res.stdout.strip() == "started"
    assert "pid_namespace" in res.isolation
    time.sleep(0.2)
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert marker not in ps


@pytest.mark.parametrize(("script", "returncode", "sig"), [("exit 7", 7, None), ("kill -SEGV $$", -11, 11)])
def test_exit_status_and_signal_are_the_jobs(script, returncode, sig):
    with SandboxDir() as work:
        res = run_sandboxed(["sh", "-c", script], workdir=work)
    assert (res.returncode, res.signal) == (returncode, sig)


def test_cpu_limit_ends_a_spinning_job_with_the_kernels_signal():
    with SandboxDir() as work:
        exe = _build(work, "int main(){ volatile long i = 0; for(;;) ++i; }\n")
        res = run_sandboxed([str(exe)], workdir=work, limits=SandboxLimits(wall_s=20, cpu_s=1))
    assert not res.timed_out
    assert res.signal in (signal.SIGKILL, signal.SIGXCPU), res.stderr
