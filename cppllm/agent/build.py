"""`compile` and `run_tests`: the project's build and tests, run in the sandbox on the workspace copy.

The build system is found from the files: `CMakeLists.txt` (configure into `build/` or, sanitized,
`build-asan/`, build, `ctest --output-on-failure`), a `Makefile` with a `test` or `check` target
(`make`, then `make test`), or the workspace's configured `test_command`. Sanitized runs add
`-fsanitize=address,undefined -g` (CMake: `CMAKE_CXX_FLAGS`; make: the `CXXFLAGS`/`LDFLAGS` environment,
which a Makefile that assigns with `+=` or `?=` keeps) and run under `sanitizer_limits` with symbolized
reports (`sanitizer_env`). Compiler diagnostics are parsed to `file:line`; a sanitizer report or a failed
CHECK to the first frame in the repository (`site`).
"""

from __future__ import annotations

import re
import shlex
import signal
from typing import Any

from cppllm.agent.workspace import ToolError, Workspace
from cppllm.bugs.verify import is_sanitizer_report, trim_report
from cppllm.eval.sandbox import SandboxLimits, run_sandboxed, sanitizer_env, sanitizer_limits

SANITIZE = "-fsanitize=address,undefined -fno-omit-frame-pointer -g"
_DIAG = re.compile(
    r"^(?P<file>[^\s:][^:\n]*):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<sev>fatal error|error|warning|note): (?P<msg>.*)$",
    re.M,
)
_FRAME = re.compile(r"#\d+ (?:0x[0-9a-f]+ )?in (?P<sym>.+?) (?P<file>\S+?):(?P<line>\d+)(?::\d+)?\s*$", re.M)
_UBSAN = re.compile(r"^(?P<file>\S+?):(?P<line>\d+):\d+: runtime error: (?P<msg>.*)$", re.M)
_CHECK = re.compile(r"^(?P<file>\S+?):(?P<line>\d+): in (?P<sym>\w+): (?P<msg>CHECK.*)$", re.M)
CXX_SUFFIXES = (".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h", ".ipp", ".tpp")


def diagnostics(text: str, ws: Workspace) -> list[dict[str, Any]]:
    """Compiler diagnostics in `text` as {file, line, col, severity, message}, repository files only."""
    out = []
    for m in _DIAG.finditer(text):
        f = m.group("file").removeprefix("./")
        if f.startswith("/") or not (ws.root / f).exists():
            continue
        out.append({"file": f, "line": int(m.group("line")), "col": int(m.group("col") or 0),
                    "severity": m.group("sev"), "message": m.group("msg").strip()})  # fmt: skip
    return out


def _in_repo(ws: Workspace, f: str) -> str | None:
    f = f.removeprefix("./")
    for cand in (f, f.split("/repo/", 1)[-1]):
        if not cand.startswith("/") and (ws.root / cand).is_file():
            return cand
    return None


def failure_site(text: str, ws: Workspace) -> dict[str, Any] | None:
    """The first place in the repository that a sanitizer report or failed CHECK points at."""
    headline = next(
        (ln.strip() for ln in text.splitlines() if "ERROR: AddressSanitizer" in ln or "runtime error:" in ln),
        "",
    )
    headline = re.sub(r"^==(?:\d+==)?ERROR: |^\S+?:\d+:\d+: ", "", headline)
    headline = re.sub(
        r" on address 0x[0-9a-f]+.*$| \(pc 0x[0-9a-f]+.*\)$| at pc 0x[0-9a-f]+.*$", "", headline
    )
    for m in _FRAME.finditer(text):
        f = _in_repo(ws, m.group("file"))
        if f:
            return {"file": f, "line": int(m.group("line")), "symbol": m.group("sym").split("(")[0].strip(),
                    "message": headline}  # fmt: skip
    for rx in (_UBSAN, _CHECK):
        m = rx.search(text)
        if m and _in_repo(ws, m.group("file")):
            sym = m.groupdict().get("sym") or ""
            return {"file": _in_repo(ws, m.group("file")), "line": int(m.group("line")), "symbol": sym,
                    "message": m.group("msg").strip()}  # fmt: skip
    return None


def _deterministic(text: str) -> str:
    """A report without what changes run to run (frame pcs, pids, stack addresses): shorter, reproducible."""
    text = re.sub(r"(#\d+) 0x[0-9a-f]+ in ", r"\1 in ", text)
    text = re.sub(r"^==\d+==", "==", text, flags=re.M)
    return re.sub(r" (at pc|bp|sp) 0x[0-9a-f]+", "", text)


def detect(ws: Workspace) -> str | None:
    """`cmake`, `make:test`, `make:check`, `command`, or None (no way to run the tests)."""
    if (ws.root / "CMakeLists.txt").is_file():
        return "cmake"
    mk = next((ws.root / n for n in ("GNUmakefile", "makefile", "Makefile") if (ws.root / n).is_file()), None)
    if mk is not None:
        text = mk.read_text(errors="replace")
        for target in ("test", "check"):
            if re.search(rf"^{target}\s*:", text, re.M):
                return f"make:{target}"
    if ws.test_command:
        return "command"
    return None


def _commands(ws: Workspace, system: str, sanitize: bool) -> tuple[str, str, dict[str, str]]:
    """(build command, test command, env) for a detected build system."""
    flags = SANITIZE if sanitize else "-g"
    if system == "cmake":
        bdir = "build-asan" if sanitize else "build"
        build = (
            f"cmake -S . -B {bdir} -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS={shlex.quote(flags)} "
            f"-DCMAKE_EXE_LINKER_FLAGS={shlex.quote(flags)} > /dev/null && cmake --build {bdir} -j 2"
        )
        return build, f"ctest --test-dir {bdir} --output-on-failure", {}
    env = {"CXXFLAGS": flags, "LDFLAGS": flags}
    if system.startswith("make:"):
        return "make -j 2", f"make {system.split(':')[1]}", env
    return "true", ws.test_command or "true", env


def _job(ws: Workspace, command: str, limits: SandboxLimits, env: dict[str, str], trusted: bool):
    return run_sandboxed(
        ["bash", "-c", f"cd repo && {command}"],
        workdir=ws.sandbox_dir,
        limits=limits,
        env=env,
        trusted_program=trusted,
    )


def compile_tool(ws: Workspace, file: Any, budget: Any) -> dict[str, Any]:
    """`-fsyntax-only` on one file (with the repository's include dirs), or the project build."""
    limits = SandboxLimits(wall_s=budget.compile_s, cpu_s=int(budget.compile_s), mem_bytes=budget.mem_bytes,
                           output_bytes=budget.output_bytes)  # fmt: skip
    if file is not None:
        if not isinstance(file, str):
            raise ToolError('argument "file" must be a string')
        p = ws.resolve(file)
        if p.suffix not in CXX_SUFFIXES:
            raise ToolError(f"{file}: not a C++ source or header ({', '.join(CXX_SUFFIXES)})")
        incs = " ".join(f"-I{d}" for d in (".", "include", "src") if (ws.root / d).is_dir())
        rel = shlex.quote(ws.rel(p))
        command = f"g++ -std=c++17 -fsyntax-only -Wall -Wextra -x c++ {incs} {rel}"
        env: dict[str, str] = {}
    else:
        system = detect(ws)
        if system is None or system == "command":
            raise ToolError("no CMakeLists.txt or Makefile to build; give a file to check")
        command, _, env = _commands(ws, system, sanitize=False)
    res = _job(ws, command, limits, env, trusted=True)
    output = ws.scrub(res.stderr + res.stdout).strip()
    diags = diagnostics(output, ws)
    errors = [d for d in diags if d["severity"] in ("error", "fatal error")]
    status = "timeout" if res.timed_out else ("ok" if res.returncode == 0 else "errors")
    head = {"ok": "compiles cleanly", "errors": f"{len(errors)} error(s)", "timeout": "the build timed out"}[
        status
    ]
    lines = [f"{d['file']}:{d['line']}:{d['col']}: {d['severity']}: {d['message']}" for d in diags]
    text = (
        head
        + ("\n" + "\n".join(lines) if lines else "")
        + ("\n" + output[-3000:] if status != "ok" and not lines else "")
    )
    return {"ok": status == "ok", "status": status, "command": command, "diagnostics": diags, "text": text}


def run_tests(ws: Workspace, budget: Any, *, sanitize: bool = True) -> dict[str, Any]:
    """Build and run the tests; status passed, build_failed, failed, sanitizer, timeout or resource_limit."""
    system = detect(ws)
    if system is None:
        raise ToolError(
            "no tests found: no CMakeLists.txt, no Makefile with a test/check target, no test command"
        )
    build, test, env = _commands(ws, system, sanitize)
    base = SandboxLimits(wall_s=budget.test_s, cpu_s=int(budget.test_s), mem_bytes=budget.mem_bytes,
                         output_bytes=budget.output_bytes, nproc=128)  # fmt: skip
    limits = sanitizer_limits(base, rss_bytes=budget.mem_bytes) if sanitize else base
    env = {**env, **(sanitizer_env(limits) if sanitize else {})}
    built = _job(ws, build, limits, env, trusted=True)
    if not built.ok:
        output = ws.scrub(built.stderr + built.stdout).strip()
        diags = [d for d in diagnostics(output, ws) if d["severity"] != "note"]
        status = "timeout" if built.timed_out else "build_failed"
        lines = "\n".join(f"{d['file']}:{d['line']}: {d['severity']}: {d['message']}" for d in diags[:20])
        text = f"{status}: the build failed\n{lines or output[-3000:]}"
        return {"ok": False, "status": status, "system": system, "sanitize": sanitize, "diagnostics": diags,
                "text": text}  # fmt: skip
    res = _job(ws, test, limits, env, trusted=False)
    output = _deterministic(ws.scrub(res.stderr + "\n" + res.stdout).strip())
    if res.timed_out or res.signal in (signal.SIGKILL, signal.SIGXCPU):
        status = "timeout"
    elif res.memory_exceeded:
        status = "resource_limit"
    elif is_sanitizer_report(output):
        status = "sanitizer"
    elif res.returncode == 0:
        status = "passed"
    else:
        status = "failed"
    site = failure_site(output, ws) if status in ("sanitizer", "failed") else None
    report = (
        trim_report(output[output.find("==ERROR") if "==ERROR" in output else 0 :])
        if status == "sanitizer"
        else ""
    )
    if status == "passed":
        text = "passed: all tests pass" + (" (ASan/UBSan clean)" if sanitize else "")
    elif status == "timeout":
        text = f"timeout: the tests ran over {budget.test_s:g}s (an endless loop?)\n{output[-1500:]}"
    elif status == "sanitizer":
        text = f"sanitizer: the tests fail with a sanitizer report\n{report}"
    else:
        text = f"{status}: the tests fail\n{output[-3000:]}"
    if site:
        text += f"\nfirst repository frame: {site['file']}:{site['line']} {site['symbol']}".rstrip()
    return {"ok": status == "passed", "status": status, "system": system, "sanitize": sanitize, "site": site,
            "isolation": list(res.isolation), "text": text}  # fmt: skip
