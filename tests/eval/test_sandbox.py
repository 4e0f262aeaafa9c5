"""Hostile jobs must neither hang the evaluator nor write outside their temp dir, nor reach a network.

Run as root and as an unprivileged user (`test_the_same_isolation_holds_for_an_unprivileged_user` reruns
the escape tests as `nobody` when we are root; `.ci/run` runs the whole module both ways).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

import cppllm
from cppllm.eval.sandbox import (
    SandboxDir,
    SandboxLimits,
    SandboxPolicy,
    SandboxUnavailable,
    bwrap_works,
    get_policy,
    isolation_record,
    run_sandboxed,
    sanitizer_env,
    sanitizer_limits,
    set_policy,
)

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
NO_SANDBOX = SandboxPolicy(backend="none", unsafe_no_sandbox=True)


@pytest.fixture(autouse=True)
def _policy():
    """Limits are tested everywhere: where model-written programs would be refused (no isolation on this
    machine), the tests run them with `unsafe_no_sandbox`, and the isolation tests skip."""
    before = get_policy()
    if isolation_record()["programs"] == "refused":
        set_policy(replace(before, unsafe_no_sandbox=True))
    yield
    set_policy(before)


def _skip_unless_sandboxed() -> None:
    if isolation_record()["programs"] != "sandboxed":
        pytest.skip("no isolation on this machine: programs are refused (test_refused_without_isolation)")


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


def _escape_attempts(outside: Path) -> list[str]:
    """A job that writes into a dir its user may write (ours, or nobody's as root) and into its $HOME."""
    home = outside / "home"
    home.mkdir()
    home.chmod(0o777)
    with SandboxDir() as work:
        script = f"echo x > {outside}/escaped; echo y > $HOME/escaped; true"
        res = run_sandboxed(["sh", "-c", script], workdir=work, env={"HOME": str(home)})
    assert res.returncode == 0, res.stderr
    return [name for name, p in (("outside", outside), ("home", home)) if (p / "escaped").exists()]


def test_cannot_write_outside_work_dir():
    _skip_unless_sandboxed()
    with SandboxDir() as outside:
        assert _escape_attempts(outside) == []
        assert "readonly_filesystem" in isolation_record()["in_force"]
    # the same job without the sandbox does write both files: the dirs really are writable by its user
    set_policy(NO_SANDBOX)
    with SandboxDir() as outside:
        assert _escape_attempts(outside) == ["outside", "home"]


CONNECT = """#include <arpa/inet.h>
#include <cstdlib>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char** argv) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return 3;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(std::atoi(argv[1]));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 4;
  return write(s, "escaped", 7) == 7 ? 0 : 5;
}
"""


def _connects_to_loopback() -> tuple[int | None, bool]:
    """(job's exit status, whether our 127.0.0.1 listener saw a connection): loopback only, never further."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.setblocking(False)
        with SandboxDir() as work:
            exe = _build(work, CONNECT)
            res = run_sandboxed([str(exe), str(listener.getsockname()[1])], workdir=work)
        try:
            conn, _ = listener.accept()
            conn.close()
            return res.returncode, True
        except BlockingIOError:
            return res.returncode, False


def test_cannot_connect_to_a_listener_on_the_hosts_loopback():
    _skip_unless_sandboxed()
    assert _connects_to_loopback() == (4, False)
    set_policy(NO_SANDBOX)  # the control: unsandboxed, the same program does connect
    assert _connects_to_loopback() == (0, True)


UNIX_CONNECT = """#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char** argv) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s < 0) return 3;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 4;
  return write(s, "escaped", 7) == 7 ? 0 : 5;
}
"""


def _connects_to_unix_socket() -> tuple[int | None, bool]:
    """(exit status, whether our Unix socket saw a connection): the docker/D-Bus/X11 socket case."""
    with SandboxDir() as sockdir, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        sockdir.chmod(0o755)
        path = sockdir / "agent.sock"
        listener.bind(str(path))
        path.chmod(0o777)  # anyone may connect: only the sandbox can stop it
        listener.listen(4)
        listener.setblocking(False)
        with SandboxDir() as work:
            exe = _build(work, UNIX_CONNECT)
            res = run_sandboxed([str(exe), str(path)], workdir=work)
        try:
            listener.accept()[0].close()
            return res.returncode, True
        except BlockingIOError:
            return res.returncode, False


def test_cannot_connect_to_our_unix_sockets():
    _skip_unless_sandboxed()
    assert _connects_to_unix_socket() == (3, False)  # socket(AF_UNIX) itself is refused
    set_policy(NO_SANDBOX)  # the control: unsandboxed, the same program does connect
    assert _connects_to_unix_socket() == (0, True)


def test_refused_without_isolation_unless_unsafe_and_compilers_are_labelled():
    set_policy(SandboxPolicy(backend="none"))
    rec = isolation_record()
    assert (rec["programs"], rec["compile_checks"]) == ("refused", "rlimits_only")
    with SandboxDir() as work:
        with pytest.raises(SandboxUnavailable, match="--unsafe-no-sandbox"):
            run_sandboxed(["true"], workdir=work)
        compiler = run_sandboxed(["true"], workdir=work, trusted_program=True)
        assert compiler.ok and "incomplete_isolation" in compiler.isolation
        assert "network_namespace" not in compiler.isolation
        set_policy(NO_SANDBOX)
        unsafe = run_sandboxed(["true"], workdir=work)
    assert unsafe.ok and "unsafe_no_sandbox" in unsafe.isolation
    assert isolation_record()["programs"] == "unsandboxed"


def test_job_sees_only_its_own_processes():
    _skip_unless_sandboxed()
    with SandboxDir() as work:
        res = run_sandboxed(["sh", "-c", "ls /proc | grep -c '^[0-9]'"], workdir=work)
    assert res.ok, res.stderr
    assert int(res.stdout) <= 4  # init, sh, ls, grep: no host process, no other job


def test_programs_cannot_read_our_home(monkeypatch):
    _skip_unless_sandboxed()
    with SandboxDir() as home:
        (home / "secret").write_text("token\n")
        home.chmod(0o755)
        (home / "secret").chmod(0o644)
        monkeypatch.setenv("HOME", str(home))
        with SandboxDir() as work:
            program = run_sandboxed(["cat", str(home / "secret")], workdir=work)
            compiler = run_sandboxed(["cat", str(home / "secret")], workdir=work, trusted_program=True)
    assert not program.ok and "token" not in program.stdout and "home_hidden" in program.isolation
    assert compiler.stdout == "token\n"  # the control: the file is readable, compilers may use the home dir


MINIMAL_DEV = {"null", "zero", "full", "random", "urandom", "fd", "stdin", "stdout", "stderr"}


def _dev_listing() -> set[str]:
    with SandboxDir() as work:
        res = run_sandboxed(["sh", "-c", "ls /dev; echo ok > /dev/null"], workdir=work)
    assert res.ok, res.stderr
    return set(res.stdout.split())


def test_job_sees_a_minimal_dev():
    """Device nodes ignore read-only mounts (and a user namespace keeps our groups): /dev is a fresh one."""
    _skip_unless_sandboxed()
    dev = _dev_listing()
    assert "null" in dev and dev <= MINIMAL_DEV


def test_bwrap_gives_the_same_isolation(monkeypatch):
    """Where we cannot make the namespaces ourselves, bubblewrap makes them (never as root)."""
    if not bwrap_works():
        pytest.skip(
            "bwrap is not installed, cannot make namespaces here, or we are root (root uses the jail)"
        )
    set_policy(SandboxPolicy(backend="bwrap"))
    rec = isolation_record()
    assert rec["backend"] == "bwrap" and rec["programs"] == "sandboxed" and rec["missing"] == []
    with SandboxDir() as outside:
        assert _escape_attempts(outside) == []
    assert _connects_to_loopback() == (4, False)
    assert _connects_to_unix_socket() == (3, False)
    marker = _marker()
    with SandboxDir() as work:
        assert run_sandboxed(["sh", "-c", "kill -SEGV $$"], workdir=work).signal == signal.SIGSEGV
        res = run_sandboxed(["sh", "-c", f"setsid sleep {marker} & echo started"], workdir=work)
        bomb = run_sandboxed(["sh", "-c", "for i in $(seq 100); do sleep 1 & done; wait"], workdir=work)
    assert res.ok and res.stdout.strip() == "started" and "bwrap" in res.isolation
    assert not bomb.ok and "fork" in bomb.stderr.lower()
    test_programs_cannot_read_our_home(monkeypatch)
    # bwrap's --dev: the same plus a private devpts, tty, ptmx and an empty shm
    dev = _dev_listing()
    assert "null" in dev and dev <= MINIMAL_DEV | {"core", "ptmx", "pts", "shm", "tty"}
    time.sleep(0.2)
    assert marker not in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout


def test_record_is_what_a_run_gets():
    _skip_unless_sandboxed()
    rec = isolation_record()
    with SandboxDir() as work:
        res = run_sandboxed(["true"], workdir=work)
    assert list(res.isolation) == rec["in_force"]
    assert rec["backend"] in ("root", "user_namespace", "bwrap")
    assert rec["backend"] != "root" or "unprivileged_user" in res.isolation
    assert rec["backend"] != "user_namespace" or "user_namespace" in res.isolation


def test_the_fork_limit_is_the_jobs_own():
    """NPROC bounds the job, and our own processes (however many) do not eat into it."""
    ours = [subprocess.Popen(["sleep", "30"]) for _ in range(12)]
    try:
        with SandboxDir() as work:
            lim = SandboxLimits(nproc=8)
            few = run_sandboxed(
                ["sh", "-c", "for i in 1 2 3; do sleep 0.2 & done; wait"], workdir=work, limits=lim
            )
            many = run_sandboxed(
                ["sh", "-c", "for i in $(seq 40); do sleep 1 & done; wait"], workdir=work, limits=lim
            )
    finally:
        for p in ours:
            p.kill()
            p.wait()
    assert few.ok, few.stderr
    assert not many.ok and "fork" in many.stderr.lower()


def _python_for(uid: int) -> list[str] | None:
    """An interpreter of our version that `uid` can run, with our site-packages on its path."""
    for py in dict.fromkeys([sys.executable, shutil.which("python3"), "/usr/bin/python3"]):
        if not py:
            continue
        cmd = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", py, "-c"]
        # the sandbox starts its launcher with sys.executable: that must run too
        probe = "import sys, subprocess, pytest; subprocess.run([sys.executable, '-c', '']); print(sys.version_info[:2])"
        out = subprocess.run([*cmd, probe], capture_output=True, text=True, env=_user_env())
        if out.returncode == 0 and out.stdout.strip() == str(tuple(sys.version_info[:2])):
            return [py]
    return None


def _user_env() -> dict[str, str]:
    repo = str(Path(cppllm.__file__).resolve().parents[1])
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/nonexistent",
        "PYTHONPATH": os.pathsep.join([repo, sysconfig.get_paths()["purelib"]]),
        "HF_HUB_OFFLINE": "1",
    }


RERUN_AS_NOBODY = (
    "outside", "loopback", "unix_sockets", "refused", "record", "fork", "process_group", "bwrap", "own_processes", "minimal_dev", "home",
)  # fmt: skip


@pytest.mark.skipif(os.geteuid() != 0, reason="we already are unprivileged: the module itself is that run")
def test_the_same_isolation_holds_for_an_unprivileged_user():
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux)")
    py = _python_for(65534)
    if py is None:
        pytest.skip("no interpreter/site-packages readable by nobody here (.ci/run stages one)")
    out = subprocess.run(
        [
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *py, "-m", "pytest",
            str(Path(__file__).resolve()), "-q", "-rs", "-p", "no:cacheprovider",
            "-k", " or ".join(RERUN_AS_NOBODY),
        ],
        capture_output=True, text=True, env=_user_env(), cwd="/", timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    # bwrap may be missing; every other test must have run
    skipped = [ln for ln in out.stdout.splitlines() if ln.startswith("SKIPPED")]
    assert " passed" in out.stdout and all("bwrap" in ln for ln in skipped), out.stdout[-2000:]


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
    _skip_unless_sandboxed()
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
    _skip_unless_sandboxed()
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
