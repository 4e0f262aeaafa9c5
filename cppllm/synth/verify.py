"""Execution filter for synthetic exercises: keep a candidate only if it builds, passes its own tests and is
ASan/UBSan-clean within time limits.

phi-1 (arXiv:2306.11644) and OSS-Instruct (arXiv:2312.02120) keep generated exercises unchecked or
checked by dedup only; here every candidate is compiled with `-fsanitize=address,undefined` and its test
`main` is run, both in the sandbox (`cppllm.eval.sandbox`: the compiler as a trusted program, the binary as
a model-written one). A candidate is a row `{"id", "problem", "solution", "tests"}`: the program is
`solution + tests`, where `tests` holds a `main` that fails by a non-zero exit, an abort or an `assert`.

    python -m cppllm.synth verify --in candidates.jsonl --out DIR

writes `DIR/kept.jsonl`, `DIR/dropped.jsonl` (each row with `reason` and `detail`) and `DIR/stats.json`
(counts by reason, keep rate, seconds, the sandbox's isolation record). Verdicts are appended to
`DIR/verdicts.jsonl` as they come, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cppllm.atomic import write_text
from cppllm.eval.sandbox import (
    SandboxDir,
    SandboxLimits,
    isolation_record,
    require_program_sandbox,
    run_sandboxed,
    sanitizer_env,
    sanitizer_limits,
)
from cppllm.eval.syntax_check import CompileChecker, CompileConfig

REQUIRED = ("id", "problem", "solution", "tests")
# Stable drop reasons, in the order the checks run.
REASONS = (
    "malformed_candidate",  # not a JSON object, a field missing or not a string, no `main` in the tests
    "rejected_include",  # an include the compiler may not read (absolute path, `..`, computed)
    "compile_error",  # does not build (with the sanitizers)
    "compile_timeout",
    "test_failed",  # the test binary exits non-zero / aborts (a failed assert) without a sanitizer report
    "sanitizer_error",  # AddressSanitizer or UndefinedBehaviorSanitizer reported an error
    "timeout",  # the test binary ran past its wall or CPU limit
    "resource_limit",  # past its memory or file-size limit
)
SANITIZE_FLAGS = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer")
_MAIN = re.compile(r"\bmain\s*\(")


@dataclass(frozen=True, kw_only=True)
class VerifyConfig:
    compiler: str = "g++"
    std: str = "c++20"
    sanitize: bool = True
    opt: str = "-O1"
    build_limits: SandboxLimits = field(default_factory=lambda: SandboxLimits(wall_s=120.0, cpu_s=90))
    run_limits: SandboxLimits = field(default_factory=lambda: SandboxLimits(wall_s=10.0, cpu_s=5))

    @property
    def compile_config(self) -> CompileConfig:
        flags = (self.opt, "-g", *(SANITIZE_FLAGS if self.sanitize else ()))
        return CompileConfig(
            compiler=self.compiler, std=self.std, extra_flags=flags, limits=self.build_limits
        )

    @property
    def program_limits(self) -> SandboxLimits:
        # ASan reserves terabytes of address space: bound its resident memory instead of RLIMIT_AS
        return sanitizer_limits(self.run_limits) if self.sanitize else self.run_limits


@dataclass(frozen=True, kw_only=True)
class Verdict:
    id: str
    reason: str | None  # None: kept
    detail: str = ""
    seconds: float = 0.0

    @property
    def kept(self) -> bool:
        return self.reason is None


def check_fields(row: Any) -> str | None:
    """Why `row` is not a candidate (a detail string), or None."""
    if not isinstance(row, dict):
        return "not a JSON object"
    bad = [k for k in REQUIRED if not isinstance(row.get(k), str) or not row.get(k)]
    if bad:
        return f"missing or non-string fields: {', '.join(bad)}"
    if not _MAIN.search(row["tests"]):
        return "tests have no main()"
    return None


def program(row: dict) -> str:
    """The translation unit that is built and run: the solution, then the tests and their `main`."""
    return row["solution"].rstrip() + "\n\n" + row["tests"].lstrip() + "\n"


def _sanitizer_report(stderr: str) -> str | None:
    for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
        i = stderr.find(marker)
        if i >= 0:
            return stderr[max(0, stderr.rfind("\n", 0, i) + 1) :][:500]
    return None


def verify_one(row: dict, checker: CompileChecker, cfg: VerifyConfig) -> Verdict:
    """Build and run one candidate in a fresh sandbox dir; the verdict with its drop reason, if any."""
    rid = str(row.get("id", "")) if isinstance(row, dict) else ""
    if (why := check_fields(row)) is not None:
        return Verdict(id=rid, reason="malformed_candidate", detail=why)
    start = time.monotonic()
    with SandboxDir(prefix="cppllm-verify-") as work:
        built = checker.build(program(row), work, output="prog")
        if not built.ok:
            reason = {"rejected_include": "rejected_include", "timeout": "compile_timeout"}.get(
                built.category, "compile_error"
            )
            detail = f"{built.category}: {built.stderr[-500:]}"
            return Verdict(id=rid, reason=reason, detail=detail, seconds=time.monotonic() - start)
        limits = cfg.program_limits
        env = sanitizer_env(limits) if cfg.sanitize else None
        res = run_sandboxed([str(work / "prog")], workdir=work, limits=limits, env=env)
    seconds = time.monotonic() - start
    # RLIMIT_CPU has soft == hard: a spinning program gets SIGKILL (or SIGXCPU) from the kernel
    if res.timed_out or res.signal in (signal.SIGKILL, signal.SIGXCPU):
        return Verdict(
            id=rid,
            reason="timeout",
            detail=f"ran past {limits.wall_s:g}s wall / {limits.cpu_s}s CPU",
            seconds=seconds,
        )
    if res.memory_exceeded or res.signal == signal.SIGXFSZ:
        return Verdict(id=rid, reason="resource_limit", detail=res.stderr[-300:], seconds=seconds)
    report = _sanitizer_report(res.stderr)
    if report is not None:
        return Verdict(id=rid, reason="sanitizer_error", detail=report, seconds=seconds)
    if res.returncode != 0:
        how = f"signal {res.signal}" if res.signal else f"exit {res.returncode}"
        return Verdict(id=rid, reason="test_failed", detail=f"{how}: {res.stderr[-400:]}", seconds=seconds)
    return Verdict(id=rid, reason=None, seconds=seconds)


def read_candidates(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed row) per non-blank line; an undecodable line yields its error string."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as e:
                yield n, f"invalid JSON: {e.msg}"


def _done_verdicts(path: Path) -> dict[str, dict]:
    """Verdicts a previous (possibly killed) run appended; a torn last line is ignored."""
    done: dict[str, dict] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                v = json.loads(line)
            except json.JSONDecodeError:
                continue
            done[v["key"]] = v
    return done


def verify_rows(
    rows: Iterable[tuple[int, Any]],
    out: Path,
    cfg: VerifyConfig = VerifyConfig(),
    *,
    jobs: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Verify candidates into `out` (kept.jsonl, dropped.jsonl, stats.json); returns the stats.

    Raises `SandboxUnavailable` before any work where model-written programs cannot be isolated.
    """
    from tqdm import tqdm

    require_program_sandbox()
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "verdicts.jsonl"
    done = _done_verdicts(log_path)
    rows = list(rows)
    keys = [f"{n}:{r.get('id') if isinstance(r, dict) else ''}" for n, r in rows]
    todo = [(k, r) for k, (_, r) in zip(keys, rows, strict=True) if k not in done]
    start = time.monotonic()
    cpu0 = os.times()
    with CompileChecker(cfg.compile_config) as checker, open(log_path, "a", encoding="utf-8") as log:

        def run(item: tuple[str, Any]) -> dict:
            key, row = item
            if isinstance(row, str):  # an undecodable line
                v = Verdict(id=key.split(":", 1)[0], reason="malformed_candidate", detail=row)
            else:
                v = verify_one(row, checker, cfg)
            return {"key": key, "id": v.id, "reason": v.reason, "detail": v.detail, "seconds": v.seconds}

        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            bar = tqdm(total=len(todo), desc="verify", unit="cand", disable=not progress)
            for rec in pool.map(run, todo):
                log.write(json.dumps(rec) + "\n")
                log.flush()
                done[rec["key"]] = rec
                bar.update(1)
            bar.close()
    cpu1 = os.times()
    return _write_outputs(out, rows, keys, done, time.monotonic() - start, cpu0, cpu1)


def _write_outputs(out: Path, rows, keys, done, wall: float, cpu0, cpu1) -> dict[str, Any]:
    kept, dropped = [], []
    for key, (_, row) in zip(keys, rows, strict=True):
        v = done[key]
        if v["reason"] is None:
            kept.append(json.dumps(row, ensure_ascii=False))
        else:
            base = row if isinstance(row, dict) else {"id": v["id"], "raw": row}
            dropped.append(
                json.dumps({**base, "reason": v["reason"], "detail": v["detail"]}, ensure_ascii=False)
            )
    counts = Counter(done[k]["reason"] or "kept" for k in keys)
    # children's CPU: the compilers and test binaries run as subprocesses
    cpu = (cpu1.children_user + cpu1.children_system + cpu1.user + cpu1.system) - (
        cpu0.children_user + cpu0.children_system + cpu0.user + cpu0.system
    )
    stats = {
        "candidates": len(keys),
        "kept": counts.get("kept", 0),
        "dropped": len(keys) - counts.get("kept", 0),
        "keep_rate": counts.get("kept", 0) / len(keys) if keys else None,
        "by_reason": {r: counts.get(r, 0) for r in REASONS},
        "seconds_this_run": round(wall, 3),
        "cpu_seconds_this_run": round(cpu, 3),
        "sandbox": isolation_record(),
    }
    write_text(out / "kept.jsonl", "".join(k + "\n" for k in kept))
    write_text(out / "dropped.jsonl", "".join(d + "\n" for d in dropped))
    write_text(out / "stats.json", json.dumps(stats, indent=2, sort_keys=True))
    return stats
