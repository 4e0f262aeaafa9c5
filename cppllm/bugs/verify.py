"""Build and run a program in the sandbox with AddressSanitizer + UBSan, and classify what happened.

Every generated item is verified by actually running it: the fixed version must build, pass its tests and
be sanitizer-clean; the buggy one must fail in the way its kind predicts (`EXPECTED`). The captured text
(compiler diagnostics, the failed CHECK, the sanitizer report symbolized to file:line) is the item's debug
context, with the sandbox's temp paths rewritten to the item's file name.

Builds use `-ftrivial-auto-var-init=pattern` so that reading an uninitialized local gives the same garbage
on every run (0xFE bytes), which makes "uninitialized variable" bugs fail deterministically.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass

from cppllm.bugs.locate import ReportSite, report_site
from cppllm.eval.sandbox import (
    SandboxDir,
    SandboxLimits,
    available_isolation,
    run_sandboxed,
    sanitizer_env,
    sanitizer_limits,
)
from cppllm.eval.syntax_check import CompileChecker, CompileConfig

STD = "c++17"
SANITIZE_FLAGS = (
    "-g",
    "-O0",
    "-fsanitize=address,undefined",
    "-fno-omit-frame-pointer",
    "-ftrivial-auto-var-init=pattern",
    "-Wall",
    "-Wextra",
)
RUN_LIMITS = sanitizer_limits(SandboxLimits(wall_s=10.0, cpu_s=5, output_bytes=32 << 10), rss_bytes=1 << 30)
COMPILE_LIMITS = SandboxLimits(wall_s=60.0, cpu_s=60)

STATUSES = ("passed", "compile_error", "sanitizer", "test_failure", "crash", "timeout", "resource_limit")


def build_command(filename: str, *, syntax_only: bool = False) -> str:
    if syntax_only:
        return f"g++ -std={STD} -fsyntax-only {filename}"
    return f"g++ -std={STD} {' '.join(SANITIZE_FLAGS)} {filename} -o prog && ./prog"


def sanitizer_checker(compiler: str = "g++") -> CompileChecker:
    """A `CompileChecker` that links sanitized, debuggable binaries (the flags of `build_command`)."""
    return CompileChecker(
        CompileConfig(compiler=compiler, std=STD, extra_flags=SANITIZE_FLAGS, limits=COMPILE_LIMITS)
    )


def syntax_checker(compiler: str = "g++") -> CompileChecker:
    return CompileChecker(CompileConfig(compiler=compiler, std=STD, limits=COMPILE_LIMITS))


@dataclass(frozen=True, kw_only=True)
class Outcome:
    status: str  # one of STATUSES
    text: str  # the cleaned diagnostics / report / failing output ("" when passed)
    warnings: str = ""  # compiler warnings of a successful build
    site: ReportSite | None = None
    isolation: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def _rename_unit(text: str, filename: str) -> str:
    return re.sub(r"(?<![\w/])\./unit\.cpp|(?<![\w/.])unit\.cpp", filename, text)


def _clean(text: str, work: str, filename: str) -> str:
    text = text.replace(f"{work}/unit.cpp", filename).replace(f"{work}/", "").replace(work, ".")
    return _rename_unit(text, filename)


def trim_report(text: str, max_lines: int = 40) -> str:
    """A sanitizer report up to its SUMMARY line (the shadow-memory dump after it is dropped)."""
    out = []
    for ln in text.splitlines():
        out.append(ln)
        if ln.startswith("SUMMARY:"):
            break
    return "\n".join(out[:max_lines]).strip()


def is_sanitizer_report(text: str) -> bool:
    return "ERROR: AddressSanitizer" in text or "runtime error:" in text


def run_program(
    source: str, filename: str, checker: CompileChecker, limits: SandboxLimits = RUN_LIMITS
) -> Outcome:
    """Build `source` (as `filename`) with the sanitizers and run it, in one fresh sandbox dir."""
    with SandboxDir() as work:
        built = checker.build(source, work, output="prog")
        diag = _clean(built.stderr, str(work), filename).strip()
        if not built.ok:
            status = "timeout" if built.category == "timeout" else "compile_error"
            return Outcome(status=status, text=diag)
        res = run_sandboxed([str(work / "prog")], workdir=work, limits=limits, env=sanitizer_env(limits))
        out = _clean(res.stderr + ("\n" + res.stdout if res.stdout.strip() else ""), str(work), filename)
    if res.timed_out or res.signal in (signal.SIGKILL, signal.SIGXCPU):
        status = "timeout"
    elif res.memory_exceeded or res.signal == signal.SIGXFSZ:
        status = "resource_limit"
    elif is_sanitizer_report(out):
        status = "sanitizer"
    elif res.returncode == 0:
        status = "passed"
    elif "CHECK" in out and "failed" in out:
        status = "test_failure"
    else:
        status = "crash"
    text = trim_report(out) if status == "sanitizer" else out.strip()[-3000:]
    return Outcome(
        status=status,
        text="" if status == "passed" else text,
        warnings=diag,
        site=report_site(text, filename) if status != "passed" else None,
        isolation=res.isolation,
    )


def compile_isolation() -> tuple[str, ...]:
    """The isolation a sandboxed compile gets here (`CompileResult` does not carry it; same probe)."""
    avail = available_isolation()
    return ("process_group", "rlimits", *sorted(k for k, v in avail.items() if v))


def check_syntax(source: str, filename: str, checker: CompileChecker) -> Outcome:
    """`g++ -fsyntax-only` of one unit: passed, or compile_error with the cleaned diagnostics."""
    res = checker.check(source)  # the checker's paths come back as ./unit.cpp
    text = _rename_unit(res.stderr, filename).strip()
    iso = compile_isolation()
    if res.ok:
        return Outcome(status="passed", text="", warnings=text, isolation=iso)
    status = "timeout" if res.category == "timeout" else "compile_error"
    return Outcome(status=status, text=text, site=_diag_site(text, filename), isolation=iso)


_DIAG = re.compile(r"^(\S+?):(\d+):\d+: error: (.*)$", re.M)


def _diag_site(text: str, filename: str) -> ReportSite | None:
    m = next((m for m in _DIAG.finditer(text) if m.group(1).endswith(filename)), None)
    return ReportSite(int(m.group(2)), "", m.group(3)) if m else None


# What a buggy build/run must show for its kind (anything else is a `wrong_failure_mode`).
# A null (or, for an uninitialized pointer, a pattern-filled garbage) pointer dereferenced: ASan's SEGV,
# UBSan's "null pointer" or its misaligned-address report on the 0xfe.. / ASan-malloc 0xbe.. pattern.
_SANITIZER_NULL = ("SEGV", "null pointer", "0xfefefefefefefefe", "0xbebebebebebebebe")
EXPECTED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (accepted statuses, text that must appear (any of), () = no constraint)
    "null_deref": (("sanitizer",), _SANITIZER_NULL),
    "use_after_free": (("sanitizer",), ("heap-use-after-free",)),
    "off_by_one": (("sanitizer", "test_failure"), ()),
    "wrong_operator": (("sanitizer", "test_failure"), ()),
    "wrong_variable": (("sanitizer", "test_failure"), ()),
    "missing_return": (("sanitizer",), ("without returning a value",)),
    "uninitialized": (("test_failure", "sanitizer"), ()),
    "integer_overflow": (("sanitizer",), ("signed integer overflow", "cannot be represented")),
    "compile_error": (("compile_error",), ()),
}


def failure_matches(kind: str, outcome: Outcome) -> bool:
    statuses, needles = EXPECTED[kind]
    return outcome.status in statuses and (not needles or any(n in outcome.text for n in needles))
