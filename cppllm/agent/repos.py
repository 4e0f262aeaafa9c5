"""Planted-bug repositories from verified bug items (`cppllm.bugs`): the single-file program becomes a
small project with a build and tests, the shape the agent works on.

    include/<name>.hpp      the library (everything between the CHECK macros and main), #pragma once
    tests/check.hpp         the CHECK / CHECK_EQ macros
    tests/test_<name>.cpp   main() with the checks
    Makefile                `make` builds build/test_<name>, `make test` runs it (CXXFLAGS with +=, so the
                            run_tests tool adds the sanitizers)
    README.md               one paragraph: what it is and how to test it

The planted bug must sit in the library (items whose fix touches main() are skipped: `bug_in_tests`), so
the fault moves to `include/<name>.hpp` at `line - library_start + 2`. `verify_repo` runs both versions
with the agent's own `run_tests` tool: the buggy one must fail, the fixed one pass, sanitizer-clean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cppllm.bugs.template import CHECK_HEADER

MAKEFILE = """CXX ?= g++
CXXFLAGS += -std=c++17 -g -O0 -Wall -ftrivial-auto-var-init=pattern -Iinclude -Itests
BIN = build/test_{name}

all: $(BIN)

$(BIN): include/{name}.hpp tests/check.hpp tests/test_{name}.cpp
\tmkdir -p build
\t$(CXX) $(CXXFLAGS) tests/test_{name}.cpp -o $(BIN) $(LDFLAGS)

test: $(BIN)
\t./$(BIN)

clean:
\trm -rf build

.PHONY: all test clean
"""
README = """# {name}

A small C++17 {family} library (`include/{name}.hpp`, header-only) with its tests in `tests/`.
Build and test: `make test`.
"""
_MAIN = re.compile(r"^int main\(", re.M)


@dataclass(frozen=True, kw_only=True)
class RepoItem:
    """One item as a repository: both trees, where the bug is, and what the task says."""

    id: str
    family: str
    kind: str
    name: str
    buggy: dict[str, str]  # relative path -> text
    fixed: dict[str, str]
    lib_path: str
    fault_line: int  # in lib_path, buggy side
    function: tuple[int, int] | None  # the faulty function's lines in lib_path
    item: dict[str, Any]

    def write(self, root: Path, *, fixed: bool = False) -> Path:
        for rel, text in (self.fixed if fixed else self.buggy).items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        return root


def _split(text: str) -> tuple[list[str], list[str]] | None:
    """(library lines, main lines) of a generated program, None if it is not one."""
    if not text.startswith(CHECK_HEADER):
        return None
    rest = text[len(CHECK_HEADER) :]
    m = list(_MAIN.finditer(rest))
    if not m:
        return None
    at = m[-1].start()
    return rest[:at].rstrip("\n").split("\n"), rest[at:].rstrip("\n").split("\n")


def repo_item(item: dict[str, Any]) -> tuple[RepoItem | None, str]:
    """(RepoItem, "ok") or (None, reason): not_generated (a corpus item), bug_in_tests."""
    ((filename, buggy),) = item["files"].items()
    fixed = item["fixed_files"][filename]
    b, f = _split(buggy), _split(fixed)
    if b is None or f is None:
        return None, "not_generated"
    if b[1] != f[1]:
        return None, "bug_in_tests"
    name = Path(filename).stem
    lib_path = f"include/{name}.hpp"
    head = ["#pragma once"]

    def files(lib: list[str], main: list[str]) -> dict[str, str]:
        test = ['#include "check.hpp"', f'#include "{name}.hpp"', "", *main]
        return {
            lib_path: "\n".join([*head, *lib]) + "\n",
            "tests/check.hpp": "#pragma once\n" + CHECK_HEADER,
            f"tests/test_{name}.cpp": "\n".join(test) + "\n",
            "Makefile": MAKEFILE.format(name=name),
            "README.md": README.format(name=name, family=item["family"].replace("_", " ")),
        }

    offset = CHECK_HEADER.count("\n") - len(head)  # program line -> library file line
    fault = item["fault"]
    fn = fault.get("function")
    return RepoItem(
        id=item["id"],
        family=item["family"],
        kind=item["kind"],
        name=name,
        buggy=files(*b),
        fixed=files(*f),
        lib_path=lib_path,
        fault_line=fault["line"] - offset,
        function=(fn[0] - offset, fn[1] - offset) if fn else None,
        item=item,
    ), "ok"


def verify_repo(r: RepoItem, budget: Any = None) -> tuple[bool, str, dict[str, Any]]:
    """Run the tests of both trees with the agent's tool: (ok, reason, the buggy run's result)."""
    import tempfile

    from cppllm.agent.build import run_tests
    from cppllm.agent.tools import Budget
    from cppllm.agent.workspace import Workspace

    budget = budget or Budget(test_s=60.0)
    with tempfile.TemporaryDirectory(prefix="cppllm-repo-") as tmp:
        buggy = r.write(Path(tmp) / "buggy")
        fixed = r.write(Path(tmp) / "fixed", fixed=True)
        with Workspace(fixed) as ws:
            good = run_tests(ws, budget)
        if not good["ok"]:
            return False, f"fixed_{good['status']}", good
        with Workspace(buggy) as ws:
            bad = run_tests(ws, budget)
    if bad["ok"]:
        return False, "buggy_passes", bad
    if bad["status"] in ("build_failed", "timeout"):
        return False, f"buggy_{bad['status']}", bad
    return True, "ok", bad
