"""The sandbox's launcher: set up isolation in a fresh single-threaded process, then exec the job.

Run as `python -I -S jail.py SPEC_JSON -- argv...` by `cppllm.eval.sandbox` (stdlib only, so it starts
fast and never runs set-up code between fork and exec in a threaded parent). Set-up, in order:
new session (own process group); when allowed, new network and mount namespaces with every mount
remounted read-only except the job's work dir, and a new PID namespace; resource limits; drop to
`nobody` when root; exec.

In a PID namespace the launcher forks a small init (PID 1 there) that forks the job, reaps orphans and
reports how the job ended; the launcher ends the same way. When the init exits, the kernel kills every
process left in the namespace, so not even a job that calls `setsid()` (leaving the process group the
sandbox kills) outlives its run. The job itself is not PID 1, so its signals behave as usual.
`--probe` prints which isolations this machine allows, as JSON.
"""

import ctypes
import json
import os
import resource
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
CLONE_NEWPID = 0x20000000
MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
NOBODY = 65534

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(src, target, fstype, flags):
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    if _libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), None) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}: {os.strerror(ctypes.get_errno())}")


def _mount_points():
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            points.append(line.split()[4].replace("\\040", " "))
    return points


def _readonly_except(workdir):
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount(workdir, workdir, None, MS_BIND | MS_REC)
    for mp in _mount_points():
        if mp == workdir or mp.startswith(workdir + "/"):
            continue
        try:
            _mount(None, mp, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
        except OSError:
            # Some pseudo file systems (e.g. /proc/sys) refuse; nothing of theirs is writable by nobody.
            if mp == "/":
                raise


def _resolve(prog, path):
    """The executable for `prog`, found before privileges drop (the stdlib may be unreadable after)."""
    if "/" in prog:
        return prog
    for d in path.split(os.pathsep):
        cand = os.path.join(d, prog)
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    raise OSError(2, f"{prog}: command not found")


def _unshare(flags):
    return _libc.unshare(flags) == 0


def _in_child(check):
    """Whether `check()` returns true in a forked child (where unsharing cannot touch this process)."""
    pid = os.fork()
    if pid == 0:
        try:
            ok = bool(check())
        except OSError:
            ok = False
        os._exit(0 if ok else 1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


def _readonly_view():
    if not _unshare(CLONE_NEWNS):
        return False
    _readonly_except(os.getcwd())
    return True


def probe():
    res = {"root": os.geteuid() == 0}
    res["network_namespace"] = _in_child(lambda: _unshare(CLONE_NEWNET))
    res["readonly_filesystem"] = _in_child(_readonly_view)
    # after unshare(CLONE_NEWPID) the next child is PID 1 of the new namespace
    res["pid_namespace"] = _in_child(lambda: _unshare(CLONE_NEWPID) and _in_child(lambda: os.getpid() == 1))
    print(json.dumps(res))


def _enter_pid_namespace():
    """Return in the job process, PID 2 of a new namespace; the launcher and the init never return."""
    if not _unshare(CLONE_NEWPID):
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWPID) failed")
    r, w = os.pipe()
    init = os.fork()
    if init:  # the launcher: wait for the init, then end the way the job ended
        os.close(w)
        os.waitpid(init, 0)
        report = os.read(r, 64).decode().split()
        kind, n = report if len(report) == 2 else ("exit", "125")
        if kind == "signal":
            if int(n) not in (signal.SIGKILL, signal.SIGSTOP):  # those two have no handler to reset
                signal.signal(int(n), signal.SIG_DFL)
            os.kill(os.getpid(), int(n))
        os._exit(int(n))
    os.close(r)
    job = os.fork()
    if job == 0:
        os.close(w)
        return
    while True:  # the init: reap everything (orphans are re-parented here) until the job ends
        pid, status = os.waitpid(-1, 0)
        if pid == job:
            break
    if os.WIFSIGNALED(status):
        os.write(w, f"signal {os.WTERMSIG(status)}".encode())
    else:
        os.write(w, f"exit {os.waitstatus_to_exitcode(status)}".encode())
    os._exit(0)  # the kernel now kills whatever the job left in the namespace


def main():
    if sys.argv[1] == "--probe":
        probe()
        return
    spec = json.loads(sys.argv[1])
    argv = sys.argv[3:]
    os.setsid()
    try:
        exe = _resolve(argv[0], spec["env"].get("PATH", "/usr/bin:/bin"))
        if spec["isolate_net"] and not _unshare(CLONE_NEWNET):
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) failed")
        if spec["readonly_fs"]:
            if not _unshare(CLONE_NEWNS):
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS) failed")
            _readonly_except(os.path.realpath(spec["workdir"]))
            # Re-enter the work dir: the old cwd still points into the (now read-only) parent mount.
            os.chdir(spec["workdir"])
        if spec.get("isolate_pid"):
            _enter_pid_namespace()
        for name, value in spec["rlimits"].items():
            resource.setrlimit(getattr(resource, name), (value, value))
        if spec["drop"]:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
        # NPROC counts the real user's processes, so it is set after the drop to nobody.
        resource.setrlimit(resource.RLIMIT_NPROC, (spec["nproc"], spec["nproc"]))
        os.execve(exe, argv, spec["env"])
    except OSError as e:
        sys.stderr.write(f"sandbox: set-up failed: {e}\n")
        os._exit(125)


if __name__ == "__main__":
    main()
