"""Sandboxed, parallel C++ syntax checks (`g++ -fsyntax-only`) with precompiled include prefixes.

Used by the compile-rate and FIM evaluations and as a CLI:

    python -m cppllm.eval.syntax_check FILE... [--compiler clang++] [--std c++20] [--jobs N]

prints one JSON line per file: `path`, `ok`, `category`, `seconds`.

Speed: a translation unit's leading block of `#include <...>` lines (its include prefix) is compiled once
into a precompiled header, cached by (compiler, flags, prefix), and reused for every later unit with the
same prefix. The prefix lines are blanked in the unit (line numbers are kept) and the PCH is force-included,
so the compiler sees exactly the same code in the same order: verdicts are identical with and without PCH.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cppllm.eval.sandbox import SandboxDir, SandboxLimits, run_sandboxed

# A preprocessor line that names a file: #include, #include_next, #import, #pragma GCC dependency,
# _Pragma("GCC dependency ..."), __has_include; `%:` is the digraph for `#`.
_DIRECTIVE = re.compile(
    r"^[ \t]*(?:#|%:)[ \t]*(include_next|include|import|embed)\b[ \t]*(.*)$"
    r"|^[ \t]*(?:#|%:)[ \t]*pragma[ \t]+GCC[ \t]+dependency\b(.*)$"
    r"|_Pragma\s*\(\s*\"[^\"]*dependency(.*)$",
    re.MULTILINE,
)
_HAS_INCLUDE = re.compile(r"__has_include(?:_next)?\s*\(\s*([<\"][^>\"]*[>\"])")
_INCLUDE_PREFIX_LINE = re.compile(r"[ \t]*#[ \t]*include[ \t]*<([A-Za-z0-9_./+-]+)>[ \t]*")

CATEGORIES = (
    "ok",
    "undeclared",
    "syntax",
    "type",
    "template",
    "redefinition",
    "missing_include",
    "incomplete",
    "other_error",
    "rejected_include",
    "timeout",
    "resource_limit",
    "compiler_crash",
)


def _bad_path(name: str) -> bool:
    name = name.strip().strip('<>"')
    return (
        name.startswith("/") or ".." in name.split("/") or name.startswith(("dev/", "proc/")) or "\\" in name
    )


def screen_includes(source: str) -> str | None:
    """Why `source` may not be compiled (a reason string), or None when its file references are safe.

    Rejects absolute paths, `..`, /dev, /proc, and computed includes (`#include MACRO`), whose target
    cannot be checked before preprocessing.
    """
    for m in _DIRECTIVE.finditer(source):
        kind, rest, pragma_rest, _pragma_op = m.group(1), m.group(2), m.group(3), m.group(4)
        if _pragma_op is not None or pragma_rest is not None:
            return "pragma_dependency"
        rest = (rest or "").strip()
        if not rest:
            continue  # an empty `#include` is an ordinary compile error
        if kind == "embed" or rest[0] not in '<"':
            return "computed_include" if kind != "embed" else "embed"
        close = ">" if rest[0] == "<" else '"'
        end = rest.find(close, 1)
        target = rest[1:end] if end > 0 else rest[1:]
        if _bad_path(target):
            return "forbidden_path"
    for m in _HAS_INCLUDE.finditer(source):
        if _bad_path(m.group(1)):
            return "forbidden_path"
    return None


def categorize(stderr: str) -> str:
    """The category of the first error in a g++/clang diagnostic."""
    first = next((ln for ln in stderr.splitlines() if " error: " in ln or ln.startswith("error:")), "")
    if not first:
        if "internal compiler error" in stderr:
            return "compiler_crash"
        return "other_error"
    e = first.split("error:", 1)[1].lower()
    if "no such file or directory" in e or "file not found" in e:
        return "missing_include"
    if "end of input" in e or "unterminated" in e or "expected '}' at end" in e or "missing terminating" in e:
        return "incomplete"
    if (
        "was not declared" in e
        or "undeclared" in e
        or "does not name a" in e
        or "is not a member of" in e
        or "has not been declared" in e
        or "unknown type name" in e
        or "use of undeclared" in e
    ):
        return "undeclared"
    if "redefinition" in e or "conflicting declaration" in e or "redeclared" in e:
        return "redefinition"
    if "template" in e:
        return "template"
    if (
        "cannot convert" in e
        or "no matching" in e
        or "invalid conversion" in e
        or "invalid operands" in e
        or "no member named" in e
        or "has no member" in e
        or "incompatible" in e
        or "cannot bind" in e
    ):
        return "type"
    if e.strip().startswith("expected") or "before" in e or "stray" in e or "invalid token" in e:
        return "syntax"
    return "other_error"


@dataclass(frozen=True, kw_only=True)
class CompileConfig:
    compiler: str = "g++"
    std: str = "c++20"
    extra_flags: tuple[str, ...] = ()
    use_pch: bool = True
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    max_errors: int = 5
    template_depth: int = 500
    include_depth: int = 60

    @property
    def flags(self) -> list[str]:
        return [
            f"-std={self.std}",
            "-fsyntax-only",
            f"-fmax-errors={self.max_errors}"
            if "clang" not in self.compiler
            else f"-ferror-limit={self.max_errors}",
            f"-ftemplate-depth={self.template_depth}",
            f"-fmax-include-depth={self.include_depth}" if "clang" not in self.compiler else "-w",
            "-fno-diagnostics-color",
            *self.extra_flags,
        ]


@dataclass(frozen=True, kw_only=True)
class CompileResult:
    ok: bool
    category: str
    seconds: float
    stderr: str = ""
    used_pch: bool = False


class CompileChecker:
    """Checks translation units in the sandbox, with a per-process cache of include-prefix PCHs."""

    def __init__(self, config: CompileConfig = CompileConfig(), cache_dir: Path | None = None) -> None:
        resolved = shutil.which(config.compiler)
        if resolved is None:
            raise FileNotFoundError(f"compiler {config.compiler!r} not found on PATH (apt-get install g++)")
        self.config = config
        self.compiler = resolved
        self._cache = Path(cache_dir or tempfile.mkdtemp(prefix="cppllm-pch-"))
        self._cache.mkdir(parents=True, exist_ok=True)
        os.chmod(self._cache, 0o755)
        self._pch: dict[str, Path | None] = {}
        # A PCH of a big prefix (<bits/stdc++.h>) is hundreds of MB and takes many seconds to build.
        lim = config.limits
        self._pch_limits = dataclasses.replace(
            lim,
            wall_s=max(lim.wall_s, 180.0),
            cpu_s=max(lim.cpu_s, 120),
            fsize_bytes=max(lim.fsize_bytes, 2 << 30),
            mem_bytes=None if lim.mem_bytes is None else max(lim.mem_bytes, 4 << 30),
        )
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _split_prefix(self, source: str) -> tuple[list[str], str]:
        """The leading `#include <...>` lines and the unit with those lines blanked (same line numbers)."""
        lines = source.split("\n")
        headers: list[str] = []
        n = 0
        for ln in lines:
            m = _INCLUDE_PREFIX_LINE.fullmatch(ln)
            if m:
                headers.append(m.group(1))
            elif ln.strip():
                break
            n += 1
        if not headers or n == len(lines):
            return [], source
        return headers, "\n" * n + "\n".join(lines[n:])

    def _pch_for(self, headers: list[str], extra: Sequence[str] = ()) -> Path | None:
        flags = [*self.config.flags, *extra]
        key = hashlib.sha256(json.dumps([self.compiler, flags, headers]).encode()).hexdigest()[:20]
        with self._guard:
            if key in self._pch:
                return self._pch[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key in self._pch:
                return self._pch[key]
            header = self._cache / f"{key}.h"
            header.write_text("".join(f"#include <{h}>\n" for h in headers))
            os.chmod(header, 0o644)
            pch = self._cache / f"{key}.h.gch"
            with SandboxDir() as work:
                flags = [f for f in flags if f != "-fsyntax-only"]
                res = run_sandboxed(
                    [self.compiler, *flags, "-x", "c++-header", str(header), "-o", str(work / "out.gch")],
                    workdir=work,
                    limits=self._pch_limits,
                    trusted_program=True,
                )
                ok = res.ok and (work / "out.gch").is_file()
                if ok:
                    shutil.copyfile(work / "out.gch", pch)
                    os.chmod(pch, 0o644)
            # A prefix that does not compile on its own gets no PCH: its units are compiled plainly.
            self._pch[key] = header if ok else None
            return self._pch[key]

    def check(self, source: str, flags: Sequence[str] = ()) -> CompileResult:
        """Syntax-check one translation unit; `flags` (a build context's `-I`/`-D`/`-std`) go last."""
        with SandboxDir() as work:
            return self._compile(source, work, output=None, extra=flags)

    def build(self, source: str, workdir: Path, output: str = "prog") -> CompileResult:
        """Compile and link `source` into the executable `workdir/output` (a `SandboxDir` the caller owns).

        Same screening, sandbox and include-prefix PCH as `check`, without `-fsyntax-only`.
        """
        return self._compile(source, workdir, output=output)

    def _compile(
        self, source: str, work: Path, output: str | None, extra: Sequence[str] = ()
    ) -> CompileResult:
        reason = screen_includes(source)
        if reason is not None:
            return CompileResult(ok=False, category="rejected_include", seconds=0.0, stderr=reason)
        pch_header = None
        body = source
        if self.config.use_pch and "clang" not in self.compiler:
            headers, blanked = self._split_prefix(source)
            if headers:
                pch_header = self._pch_for(headers, extra)
                if pch_header is not None:
                    body = blanked
        unit = work / "unit.cpp"
        unit.write_text(body, encoding="utf-8", errors="surrogateescape")
        flags = [*self.config.flags, *extra]
        if output is not None:
            flags = [f for f in flags if f != "-fsyntax-only"] + ["-o", str(work / output)]
        argv = [self.compiler, *flags]
        if pch_header is not None:
            argv += ["-include", str(pch_header), "-Winvalid-pch"]
        res = run_sandboxed([*argv, str(unit)], workdir=work, limits=self.config.limits, trusted_program=True)
        if res.timed_out:
            category = "timeout"
        elif res.returncode == 0:
            category = "ok"
        elif (
            res.signal is not None
            or "out of memory" in res.stderr
            or "virtual memory exhausted" in res.stderr
        ):
            category = "resource_limit"
        else:
            category = categorize(res.stderr)
        return CompileResult(
            ok=category == "ok",
            category=category,
            seconds=res.seconds,
            stderr=res.stderr.replace(str(work), "."),
            used_pch=pch_header is not None,
        )

    def check_many(
        self,
        sources: Iterable[str],
        jobs: int | None = None,
        flags: Sequence[Sequence[str]] | None = None,
    ) -> list[CompileResult]:
        """Check many units with a worker pool sized to the cores; results in input order.

        `flags`: per-unit extra flags (the units' build contexts), or None for none.
        """
        jobs = jobs or os.cpu_count() or 1
        sources = list(sources)
        per_unit = list(flags) if flags is not None else [()] * len(sources)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(self.check, sources, per_unit))

    def close(self) -> None:
        shutil.rmtree(self._cache, ignore_errors=True)

    def __enter__(self) -> CompileChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cppllm.eval.syntax_check", description=__doc__.split("\n")[0])
    p.add_argument("files", nargs="+", type=Path, help="C++ translation units to check")
    p.add_argument("--compiler", default="g++", help="compiler driver (g++ or clang++)")
    p.add_argument("--std", default="c++20", help="language standard")
    p.add_argument("--flag", action="append", default=[], help="extra compiler flag (repeatable)")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel checks")
    p.add_argument("--timeout", type=float, default=30.0, help="wall-clock seconds per check")
    p.add_argument("--no-pch", action="store_true", help="do not precompile include prefixes")
    args = p.parse_args(argv)
    limits = SandboxLimits(wall_s=args.timeout, cpu_s=max(1, int(args.timeout)))
    cfg = CompileConfig(
        compiler=args.compiler,
        std=args.std,
        extra_flags=tuple(args.flag),
        use_pch=not args.no_pch,
        limits=limits,
    )
    texts = []
    for f in args.files:
        try:
            texts.append(f.read_text(encoding="utf-8", errors="surrogateescape"))
        except OSError as e:
            print(f"error: cannot read {f}: {e.strerror}", file=sys.stderr)
            return 2
    n_ok = 0
    with CompileChecker(cfg) as checker:
        for f, r in zip(args.files, checker.check_many(texts, jobs=args.jobs), strict=False):
            n_ok += r.ok
            print(
                json.dumps(
                    {"path": str(f), "ok": r.ok, "category": r.category, "seconds": round(r.seconds, 3)}
                )
            )
    print(f"{n_ok}/{len(texts)} compiled", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
