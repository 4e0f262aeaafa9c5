"""Program templates with marked bug sites, and the mutation that turns one site buggy.

A family (`cppllm.bugs.families`) renders a whole C++ program from a seeded `random.Random`: names,
value types, sizes, structural variants and the test values (the expected results are computed in
Python, so the tests are as varied as the inputs). Places where a bug can be planted are written inline:

    ⟦kind.subkind¦fixed text¦buggy text⟧

(the three marker characters never occur in C++). `plant(draft, kind, rng)` renders every site fixed
except one site of `kind`, chosen by the rng, which is rendered buggy; the result is a `Mutation` holding
both sources, the site id and the buggy-side line of the change.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

SITE = re.compile(r"⟦([a-z_]+(?:\.[a-z_]+)?)¦(.*?)¦(.*?)⟧", re.DOTALL)

KINDS = (
    "null_deref",
    "use_after_free",
    "off_by_one",
    "wrong_operator",
    "missing_return",
    "uninitialized",
    "integer_overflow",
    "wrong_variable",
    "compile_error",
)

# Shared by every program: checks that print the expression and both values, then exit(1).
CHECK_HEADER = """#include <cstdlib>
#include <iostream>

#define CHECK(cond)                                                              \\
    do {                                                                         \\
        if (!(cond)) {                                                           \\
            std::cerr << __FILE__ << ":" << __LINE__ << ": in " << __func__      \\
                      << ": CHECK(" #cond ") failed\\n";                          \\
            std::exit(1);                                                        \\
        }                                                                        \\
    } while (0)
#define CHECK_EQ(a, b)                                                           \\
    do {                                                                         \\
        auto got_ = (a);                                                         \\
        auto want_ = (b);                                                        \\
        if (!(got_ == want_)) {                                                  \\
            std::cerr << __FILE__ << ":" << __LINE__ << ": in " << __func__      \\
                      << ": CHECK_EQ(" #a ", " #b ") failed: got " << got_       \\
                      << ", expected " << want_ << "\\n";                          \\
            std::exit(1);                                                        \\
        }                                                                        \\
    } while (0)
"""


@dataclass(frozen=True, kw_only=True)
class Draft:
    """A rendered program whose bug sites are still marked."""

    family: str
    filename: str
    text: str

    def sites(self) -> list[str]:
        return [m.group(1) for m in SITE.finditer(self.text)]

    def kinds(self) -> set[str]:
        return {s.split(".")[0] for s in self.sites()}


@dataclass(frozen=True, kw_only=True)
class Mutation:
    family: str
    filename: str
    kind: str
    site: str  # "kind.subkind" (or "kind")
    fixed: str
    buggy: str
    line: int  # 1-based line of the change in the buggy source


def _render(text: str, chosen: int | None) -> tuple[str, int]:
    """The text with site `chosen` (index) buggy and all others fixed; and the offset of the chosen site."""
    out: list[str] = []
    pos, offset = 0, -1
    for i, m in enumerate(SITE.finditer(text)):
        out.append(text[pos : m.start()])
        if i == chosen:
            offset = sum(len(x) for x in out)
            out.append(m.group(3))
        else:
            out.append(m.group(2))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), offset


def render_fixed(draft: Draft) -> str:
    return _render(draft.text, None)[0]


def plant(draft: Draft, kind: str, rng: random.Random) -> Mutation | None:
    """One site of `kind` made buggy (chosen by `rng`), or None when the draft has no such site."""
    matches = list(SITE.finditer(draft.text))
    candidates = [i for i, m in enumerate(matches) if m.group(1).split(".")[0] == kind]
    if not candidates:
        return None
    chosen = rng.choice(candidates)
    buggy, offset = _render(draft.text, chosen)
    fixed = render_fixed(draft)
    # The first line that differs (a deleted line points at the line that took its place).
    b_lines, f_lines = buggy.split("\n"), fixed.split("\n")
    line = next(
        (i + 1 for i, (a, b) in enumerate(zip(b_lines, f_lines, strict=False)) if a != b),
        buggy[:offset].count("\n") + 1,
    )
    return Mutation(
        family=draft.family,
        filename=draft.filename,
        kind=kind,
        site=matches[chosen].group(1),
        fixed=fixed,
        buggy=buggy,
        line=line,
    )


class Namer:
    """Seeded picks of identifiers, each role drawn once per program and never reused for another role."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self, *options: str) -> str:
        free = [o for o in options if o not in self.used]
        name = self.rng.choice(free or list(options))
        self.used.add(name)
        return name
