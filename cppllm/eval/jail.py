"""The sandbox's launcher: set up isolation in a fresh single-threaded process, then exec the job.

Run as `python -I -S jail.py SPEC_JSON -- argv...` by `cppllm.eval.sandbox` (stdlib only, so it starts
fast and never runs set-up code between fork and exec in a threaded parent). Set-up, in order:
new session (own process group); as a user who is not root, a new user namespace in which we keep our own
uid and gid (so the job gets no capabilities there); when allowed, new network and mount namespaces with
every mount remounted read-only except the job's work dir, a fresh minimal /dev, the home dir hidden from
model-written programs, and a new PID namespace with its own /proc; resource limits; drop to `nobody` when
root (then a user namespace of nobody's own); no new privileges (setuid bits ignored); a seccomp filter refusing Unix-domain sockets
and io_uring (a same-uid job could otherwise talk to the user's docker/dbus/X11 sockets, which a read-only
mount does not stop); exec.

In a PID namespace the launcher forks a small init (PID 1 there) that forks the job, reaps orphans and
reports how the job ended; the launcher ends the same way. When the init exits, the kernel kills every
process left in the namespace, so not even a job that calls `setsid()` (leaving the process group the
sandbox kills) outlives its run. The job itself is not PID 1, so its signals behave as usual.

With `bwrap` in the spec (where we cannot make the namespaces ourselves), the launcher sets the rlimits and
runs bubblewrap, which makes them (same view: read-only but the work dir, no network, own PIDs) and starts
this launcher again inside, as the job's init, to set RLIMIT_NPROC, no_new_privs and the seccomp filter.

RLIMIT_NPROC counts the processes of the job's real uid; in a user namespace of its own, on Linux >= 5.14
(per-namespace ucounts), only the job's processes. So as root, after the drop to `nobody`, the launcher
also enters a user namespace of nobody's own where allowed (else NPROC is shared by all of nobody's jobs). `--probe` prints which isolations this
machine allows, as JSON.
"""

import ctypes
import json
import os
import platform
import resource
import signal
import struct
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
CLONE_NEWPID = 0x20000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
# statvfs f_flag bit -> mount flag: a remount inside a user namespace must keep these (they are locked)
_KEEP_FLAGS = {
    os.ST_NOSUID: MS_NOSUID,
    os.ST_NODEV: MS_NODEV,
    os.ST_NOEXEC: MS_NOEXEC,
    os.ST_NOATIME: MS_NOATIME,
    os.ST_NODIRATIME: MS_NODIRATIME,
    os.ST_RELATIME: MS_RELATIME,
}
NOBODY = 65534
DEV_NODES = ("null", "zero", "full", "random", "urandom")
PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
AF_UNIX = 1
# (audit arch, socket, socketpair, io_uring_setup) per machine
_SYSCALLS = {
    "x86_64": (0xC000003E, 41, 53, 425),
    "aarch64": (0xC00000B7, 198, 199, 425),
}

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(src, target, fstype, flags, data=None):
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    if _libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}: {os.strerror(ctypes.get_errno())}")


def _mount_points():
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            points.append(line.split()[4].replace("\\040", " "))
    return points


def _locked_flags(mp):
    try:
        f_flag = os.statvfs(mp).f_flag
    except OSError:
        return 0
    return sum(ms for st, ms in _KEEP_FLAGS.items() if f_flag & st)


def _readonly_except(workdir):
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount(workdir, workdir, None, MS_BIND | MS_REC)
    for mp in _mount_points():
        if mp == workdir or mp.startswith(workdir + "/"):
            continue
        try:
            _mount(None, mp, None, MS_BIND | MS_REMOUNT | MS_RDONLY | _locked_flags(mp))
        except OSError:
            # Some pseudo file systems (e.g. /proc/sys) refuse; nothing of theirs is writable by the job.
            if mp == "/":
                raise


def _minimal_dev(workdir):
    """A fresh read-only /dev holding only null, zero, full, random, urandom (bound from ours) and the fd
    links: device nodes ignore read-only mounts, and a job in a user namespace keeps our groups (disk,
    video, tty...), so the host's /dev must not be visible."""
    if workdir == "/dev" or workdir.startswith("/dev/"):
        raise OSError(22, f"the work dir {workdir} is under /dev, which the sandbox replaces")
    fds = {n: os.open(f"/dev/{n}", os.O_PATH) for n in DEV_NODES if os.path.exists(f"/dev/{n}")}
    _mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k")
    for name, fd in fds.items():
        open(f"/dev/{name}", "w").close()  # the mount point
        _mount(f"/proc/self/fd/{fd}", f"/dev/{name}", None, MS_BIND)
        os.close(fd)
    for name, target in (
        ("fd", "self/fd"),
        ("stdin", "self/fd/0"),
        ("stdout", "self/fd/1"),
        ("stderr", "self/fd/2"),
    ):
        os.symlink(f"/proc/{target}", f"/dev/{name}")
    _mount(None, "/dev", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC)


def _isolate_filesystem(workdir, hide):
    """Everything read-only but `workdir`, a minimal /dev, and `hide` (the home dir, for model-written
    programs) under an empty read-only tmpfs."""
    _readonly_except(workdir)
    _minimal_dev(workdir)
    for path in hide:
        _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=755")


def _resolve(prog, path):
    """The executable for `prog`, found before privileges drop (the stdlib may be unreadable after)."""
    if "/" in prog:
        return prog
    for d in path.split(os.pathsep):
        cand = os.path.join(d, prog)
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    raise OSError(2, f"{prog}: command not found")


def _tasks_of(uid):
    """Tasks (processes and threads, as RLIMIT_NPROC counts them) whose real uid is `uid`."""
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(ln.split(":", 1) for ln in f if ln.startswith(("Uid:", "Threads:")))
        except (OSError, ValueError):
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            n += int(fields.get("Threads", "1"))
    return n


def _unshare(flags):
    return _libc.unshare(flags) == 0


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _drop_to_nobody():
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    # a uid change makes us undumpable, which leaves /proc/self/*_map owned by root: unwritable for nobody
    _prctl(PR_SET_DUMPABLE, 1)
    return True


def _enter_user_namespace():
    """A new user namespace mapping only our own uid and gid (to themselves): no capabilities after exec."""
    uid, gid = os.geteuid(), os.getegid()
    if not _unshare(CLONE_NEWUSER):
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER) failed")
    _write("/proc/self/setgroups", "deny")  # required before an unprivileged gid_map write
    _write("/proc/self/uid_map", f"{uid} {uid} 1\n")
    _write("/proc/self/gid_map", f"{gid} {gid} 1\n")
    return True


def _seccomp_filter():
    """Classic BPF: foreign-arch calls, x32 calls, io_uring_setup and AF_UNIX socket(pair) get EPERM."""
    arch, sock, sockpair, uring = _SYSCALLS[platform.machine()]
    allow, deny = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    prog = [
        (ld, 0, 0, 4),  # 0: arch
        (jeq, 0, 9, arch),  # 1: -> 11 deny
        (ld, 0, 0, 0),  # 2: syscall nr
        (jge, 7, 0, 0x40000000),  # 3: x32 ABI -> 11 deny
        (jeq, 6, 0, uring),  # 4: -> 11 deny
        (jeq, 1, 0, sock),  # 5: -> 7 check family
        (jeq, 0, 3, sockpair),  # 6: -> 7 check family, else -> 10 allow
        (ld, 0, 0, 16),  # 7: args[0] (low 32 bits)
        (jeq, 2, 0, AF_UNIX),  # 8: -> 11 deny
        (ret, 0, 0, allow),  # 9
        (ret, 0, 0, allow),  # 10
        (ret, 0, 0, deny),  # 11
    ]
    return b"".join(struct.pack("HBBI", *ins) for ins in prog), len(prog)


def _prctl(option, *args):
    args = [ctypes.c_ulong(a) for a in (*args, 0, 0, 0, 0)[:4]]
    return _libc.prctl(ctypes.c_int(option), *args)


def _apply_seccomp():
    code, n = _seccomp_filter()
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("HxxxxxxQ", n, ctypes.addressof(buf))
    fbuf = ctypes.create_string_buffer(fprog, len(fprog))
    if _prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fbuf)) != 0:
        raise OSError(ctypes.get_errno(), "seccomp filter refused")


def _no_new_privs():
    if _prctl(PR_SET_NO_NEW_PRIVS, 1) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")


def _in_child(check):
    """Whether `check()` returns true in a forked child (where unsharing cannot touch this process)."""
    pid = os.fork()
    if pid == 0:
        try:
            ok = bool(check())
        except BaseException:  # whatever happens, the child never returns into the parent's code
            ok = False
        os._exit(0 if ok else 1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


def _readonly_view():
    if not _unshare(CLONE_NEWNS):
        return False
    _isolate_filesystem(
        os.getcwd(), [os.path.expanduser("~")] if os.path.isdir(os.path.expanduser("~")) else []
    )
    return True


def _seccomp_works():
    _no_new_privs()
    _apply_seccomp()
    try:
        import socket

        socket.socket(socket.AF_UNIX)
    except PermissionError:
        return True
    return False


def probe():
    root = os.geteuid() == 0
    res = {"root": root}
    userns = (lambda: True) if root else _enter_user_namespace
    res["user_namespace"] = not root and _in_child(userns)
    res["network_namespace"] = _in_child(lambda: userns() and _unshare(CLONE_NEWNET))
    res["readonly_filesystem"] = _in_child(lambda: userns() and _readonly_view())
    # after unshare(CLONE_NEWPID) the next child is PID 1 of the new namespace
    res["pid_namespace"] = _in_child(
        lambda: userns() and _unshare(CLONE_NEWPID) and _in_child(lambda: os.getpid() == 1)
    )
    # as root, after the drop: a user namespace of nobody's own makes NPROC count per job
    res["nobody_user_namespace"] = root and _in_child(lambda: _drop_to_nobody() and _enter_user_namespace())
    res["no_unix_sockets"] = platform.machine() in _SYSCALLS and _in_child(_seccomp_works)
    print(json.dumps(res))


def _end_like(r):
    """Read the job's end ("exit N" / "signal N") from pipe `r` and end this process the same way."""
    report = os.read(r, 64).decode().split()
    kind, n = report if len(report) == 2 else ("exit", "125")
    if kind == "signal":
        if int(n) not in (signal.SIGKILL, signal.SIGSTOP):  # those two have no handler to reset
            signal.signal(int(n), signal.SIG_DFL)
        os.kill(os.getpid(), int(n))
    os._exit(int(n))


def _reap_until(job, w):
    """As an init: reap children (orphans are re-parented here) until `job` ends; report its end to `w`."""
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == job:
            break
    if os.WIFSIGNALED(status):
        os.write(w, f"signal {os.WTERMSIG(status)}".encode())
    else:
        os.write(w, f"exit {os.waitstatus_to_exitcode(status)}".encode())
    os._exit(0)  # in a PID namespace, the kernel now kills whatever the job left there


def _enter_pid_namespace():
    """Return in the job process, PID 2 of a new namespace; the launcher and the init never return."""
    if not _unshare(CLONE_NEWPID):
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWPID) failed")
    r, w = os.pipe()
    init = os.fork()
    if init:  # the launcher: wait for the init, then end the way the job ended
        os.close(w)
        os.waitpid(init, 0)
        _end_like(r)
    os.close(r)
    job = os.fork()
    if job == 0:
        os.close(w)
        return
    _reap_until(job, w)


def _bwrap_argv(bwrap, workdir, hide=()):
    """bubblewrap: own user (our uid, no capabilities), network, PID and IPC namespaces; everything
    read-only but the work dir; `hide` under empty read-only tmpfs; a fresh /proc and a minimal /dev; dies
    with us."""
    argv = [
        bwrap, "--unshare-user", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--die-with-parent",
        "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
    ]  # fmt: skip
    for path in hide:
        argv += ["--tmpfs", path, "--remount-ro", path]
    return [*argv, "--bind", workdir, workdir, "--chdir", workdir]


def _run_in_bwrap(spec, argv):
    """Start bwrap, which starts this launcher again inside (`status_fd` set) to finish and report."""
    r, w = os.pipe()
    os.set_inheritable(w, True)
    inner = {k: spec[k] for k in ("env", "nproc", "nproc_relative", "seccomp")}
    inner["status_fd"] = w
    here = os.path.abspath(__file__)
    cmd = _bwrap_argv(spec["bwrap"], os.path.realpath(spec["workdir"]), spec.get("hide", ()))
    cmd += ["--", sys.executable, "-I", "-S", here, json.dumps(inner), "--", *argv]
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.execv(cmd[0], cmd)
    os.close(w)
    os.waitpid(pid, 0)
    _end_like(r)


def _exec_job(spec, argv, exe):
    # NPROC counts the real user's processes, so it is set after the drop to nobody.
    nproc = spec["nproc"] + (_tasks_of(os.getuid()) if spec.get("nproc_relative") else 0)
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    _no_new_privs()
    if spec.get("seccomp"):
        _apply_seccomp()
    os.execve(exe, argv, spec["env"])


def main():
    if sys.argv[1] == "--probe":
        probe()
        return
    if sys.argv[1] == "--probe-bwrap":
        cmd = [*_bwrap_argv(sys.argv[2], os.getcwd()), "--", sys.executable, "-I", "-S", "-c", "pass"]
        pid = os.fork()
        if pid == 0:
            os.execv(cmd[0], cmd)
        print("ok" if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0 else "failed")
        return
    spec = json.loads(sys.argv[1])
    argv = sys.argv[3:]
    try:
        exe = _resolve(argv[0], spec["env"].get("PATH", "/usr/bin:/bin"))
        if "status_fd" in spec:  # inside bwrap: fork the job, report how it ended
            job = os.fork()
            if job == 0:
                os.close(spec["status_fd"])
                _exec_job(spec, argv, exe)
            _reap_until(job, spec["status_fd"])
        os.setsid()
        if spec.get("bwrap"):
            for name, value in spec["rlimits"].items():
                resource.setrlimit(getattr(resource, name), (value, value))
            _run_in_bwrap(spec, argv)
        if spec.get("userns"):
            _enter_user_namespace()
        if spec["isolate_net"] and not _unshare(CLONE_NEWNET):
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) failed")
        if spec["readonly_fs"]:
            if not _unshare(CLONE_NEWNS):
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS) failed")
            _isolate_filesystem(os.path.realpath(spec["workdir"]), spec.get("hide", ()))
            # Re-enter the work dir: the old cwd still points into the (now read-only) parent mount.
            os.chdir(spec["workdir"])
        if spec.get("isolate_pid"):
            _enter_pid_namespace()
            if spec["readonly_fs"]:
                # a /proc of the job's own PID namespace: no other process (no other job) is visible there
                _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        for name, value in spec["rlimits"].items():
            resource.setrlimit(getattr(resource, name), (value, value))
        if spec["drop"]:
            _drop_to_nobody()
            if spec.get("userns_after_drop"):  # so that RLIMIT_NPROC counts this job's processes only
                _enter_user_namespace()
        _exec_job(spec, argv, exe)
    except OSError as e:
        sys.stderr.write(f"sandbox: set-up failed: {e}\n")
        os._exit(125)


if __name__ == "__main__":
    main()
