"""One verified bug/fix item: generate (or mine) it, verify it in the sandbox, and lay out its record.

Item `i` of kind `k` under seed `s` is drawn from `random.Random(f"{s}:{k}:{i}")`, so the same seed gives
the same programs, sites and tests whatever the worker count or how often a run is resumed. An item is
kept only when verification holds (see `cppllm.bugs.verify`); otherwise it is a counted failure reason:

    fixed_compile_error, fixed_fails, fixed_sanitizer, fixed_timeout   the fixed version is not clean
    buggy_compile_error      a runtime bug that already breaks the build
    buggy_passes             the planted bug does not show (tests pass, no sanitizer report)
    wrong_failure_mode       it fails, but not the way its kind says (e.g. a null bug that only fails a CHECK)
    buggy_timeout            the buggy program hangs
    no_site                  the drawn family has no site of this kind
    corpus_empty, corpus_unit_does_not_compile, no_mutation_site   (compile_error items)
"""

from __future__ import annotations

import difflib
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from cppllm.bugs.corpus import Unit, break_unit
from cppllm.bugs.families import FAMILIES, families_for, kinds_of, split_of
from cppllm.bugs.locate import function_at, function_text
from cppllm.bugs.template import KINDS, plant
from cppllm.bugs.verify import (
    Outcome,
    build_command,
    check_syntax,
    failure_matches,
    run_program,
    sanitizer_checker,
    syntax_checker,
)

CORPUS_FAMILY = "corpus"


def item_rng(seed: int, kind: str, index: int) -> random.Random:
    return random.Random(f"{seed}:{kind}:{index}")


def item_id(kind: str, seed: int, index: int) -> str:
    return f"{kind}-s{seed}-{index:05d}"


def unified_diff(buggy: str, fixed: str, filename: str) -> str:
    return "".join(
        difflib.unified_diff(
            buggy.splitlines(keepends=True),
            fixed.splitlines(keepends=True),
            fromfile=f"a/{filename}",
            tofile=f"b/{filename}",
            n=2,
        )
    )


@dataclass
class Verifier:
    """The two compile checkers (sanitized build, syntax only) and the per-unit cache for corpus units."""

    compiler: str = "g++"
    _units_ok: dict[str, bool] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.build = sanitizer_checker(self.compiler)
        self.syntax = syntax_checker(self.compiler)

    def unit_compiles(self, unit: Unit) -> bool:
        with self._lock:
            known = self._units_ok.get(unit.name + str(hash(unit.text)))
        if known is None:
            known = check_syntax(unit.text, unit.name, self.syntax).passed
            with self._lock:
                self._units_ok[unit.name + str(hash(unit.text))] = known
        return known

    def close(self) -> None:
        self.build.close()
        self.syntax.close()


def _fault(buggy: str, fixed: str, line: int, filename: str, report_line: int | None) -> dict[str, Any]:
    """Where the bug is: `line` is the line that faults (the report's line when it falls in the mutated
    function, e.g. the dereference after a deleted null check), `fix_line` where the fix goes."""
    span = function_at(buggy, line)
    if span is None and buggy.count("\n") == fixed.count("\n"):
        span = function_at(fixed, line)  # a broken build can unbalance the brackets the finder counts
    fault_line = line
    if span and report_line and span.start <= report_line <= span.end:
        fault_line = report_line
    fixed_span = function_at(fixed, min(line, fixed.count("\n") + 1))
    b_lines = buggy.split("\n")
    return {
        "file": filename,
        "line": fault_line,
        "fix_line": line,
        "symbol": span.name if span else "",
        "code": b_lines[fault_line - 1].strip() if 0 < fault_line <= len(b_lines) else "",
        "function": [span.start, span.end] if span else None,
        "fixed_function": function_text(fixed, fixed_span) if fixed_span else "",
    }


def _record(
    *,
    kind: str,
    seed: int,
    index: int,
    site: str,
    family: str,
    filename: str,
    buggy: str,
    fixed: str,
    line: int,
    outcome: Outcome,
    fixed_outcome: Outcome,
    syntax_only: bool,
) -> dict[str, Any]:
    main = next((s for s in _functions_named(fixed, "main")), None)
    debug_type = {"compile_error": "compiler", "sanitizer": "sanitizer"}.get(outcome.status, "test_failure")
    site_info = outcome.site
    return {
        "id": item_id(kind, seed, index),
        "kind": kind,
        "subkind": site,
        "family": family,
        "split": split_of(family) if family != CORPUS_FAMILY else "train",
        "seed": seed,
        "index": index,
        "files": {filename: buggy},
        "fixed_files": {filename: fixed},
        "diff": unified_diff(buggy, fixed, filename),
        "tests": main or "",
        "build": build_command(filename, syntax_only=syntax_only),
        "debug": {"type": debug_type, "text": outcome.text, "warnings": outcome.warnings},
        "fault": _fault(
            buggy, fixed, line, filename, site_info.line if site_info and not syntax_only else None
        ),
        "report": (
            {"line": site_info.line, "symbol": site_info.symbol, "message": site_info.message}
            if site_info
            else None
        ),
        "verified": {
            "fixed": fixed_outcome.status,
            "buggy": outcome.status,
            "isolation": list(outcome.isolation or fixed_outcome.isolation),
        },
    }


def _functions_named(source: str, name: str):
    from cppllm.bugs.locate import functions

    for s in functions(source):
        if s.name == name:
            yield function_text(source, s)


def generated_item(kind: str, seed: int, index: int, split: str, v: Verifier) -> tuple[dict | None, str]:
    """(record, "ok") or (None, failure reason) for template item `index` of `kind`."""
    rng = item_rng(seed, kind, index)
    fams = [f for f in families_for(split) if kind in kinds_of(f)]
    if not fams:
        return None, "no_site"
    mutation = None
    for _ in range(8):  # a structural variant may lack the kind's site: draw again (same rng, deterministic)
        family = rng.choice(fams)
        mutation = plant(FAMILIES[family](rng), kind, rng)
        if mutation is not None:
            break
    if mutation is None:
        return None, "no_site"
    fixed_out = run_program(mutation.fixed, mutation.filename, v.build)
    if not fixed_out.passed:
        reason = {
            "compile_error": "fixed_compile_error",
            "sanitizer": "fixed_sanitizer",
            "timeout": "fixed_timeout",
        }.get(fixed_out.status, "fixed_fails")
        return None, reason
    out = run_program(mutation.buggy, mutation.filename, v.build)
    if out.passed:
        return None, "buggy_passes"
    if out.status == "compile_error":
        return None, "buggy_compile_error"
    if out.status == "timeout":
        return None, "buggy_timeout"
    if not failure_matches(kind, out):
        return None, "wrong_failure_mode"
    return _record(
        kind=kind,
        seed=seed,
        index=index,
        site=mutation.site,
        family=family,
        filename=mutation.filename,
        buggy=mutation.buggy,
        fixed=mutation.fixed,
        line=mutation.line,
        outcome=out,
        fixed_outcome=fixed_out,
        syntax_only=False,
    ), "ok"


def corpus_item(seed: int, index: int, units: list[Unit], v: Verifier) -> tuple[dict | None, str]:
    """A compile-error item mined from a corpus unit (see `cppllm.bugs.corpus`)."""
    if not units:
        return None, "corpus_empty"
    rng = item_rng(seed, "compile_error", index)
    unit = rng.choice(units)
    if not v.unit_compiles(unit):
        return None, "corpus_unit_does_not_compile"
    broken = break_unit(unit.text, rng)
    if broken is None:
        return None, "no_mutation_site"
    out = check_syntax(broken.text, unit.name, v.syntax)
    if out.status != "compile_error":
        return None, "buggy_passes" if out.passed else "buggy_timeout"
    fixed_out = Outcome(status="passed", text="")
    return _record(
        kind="compile_error",
        seed=seed,
        index=index,
        site=f"compile_error.{broken.mutation}",
        family=CORPUS_FAMILY,
        filename=unit.name,
        buggy=broken.text,
        fixed=unit.text,
        line=broken.line,
        outcome=out,
        fixed_outcome=fixed_out,
        syntax_only=True,
    ), "ok"


def make_item(
    kind: str, seed: int, index: int, split: str, v: Verifier, units: list[Unit] | None
) -> tuple[dict | None, str]:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; valid: {', '.join(KINDS)}")
    if kind == "compile_error":
        return corpus_item(seed, index, units or [], v)
    return generated_item(kind, seed, index, split, v)
