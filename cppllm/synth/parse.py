"""Reading a teacher model's answers: fenced C++ blocks, and the `## Section` layouts the prompts ask for.

Pure functions on strings; a missing section is a `None`, which the caller counts as a
`malformed_response` drop.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^[ \t]*```[ \t]*([A-Za-z0-9+#_-]*)[^\n]*\n(.*?)^[ \t]*```[ \t]*$", re.M | re.S)
_SECTION = re.compile(r"^#{1,4}[ \t]*([A-Za-z][A-Za-z ]*?)[ \t]*:?[ \t]*$", re.M)
CPP_TAGS = ("cpp", "c++", "cxx", "cc", "hpp")


def code_blocks(markdown: str, tags: tuple[str, ...] = CPP_TAGS) -> list[str]:
    """The bodies of the fenced blocks tagged as C++ (untagged blocks too when they have an `#include`)."""
    out = []
    for m in _FENCE.finditer(markdown):
        tag, body = m.group(1).lower(), m.group(2)
        if tag in tags or (not tag and "#include" in body):
            out.append(body)
    return out


def sections(markdown: str) -> dict[str, str]:
    """`## Name` headings -> the text up to the next heading (names lower-cased)."""
    heads = list(_SECTION.finditer(markdown))
    out: dict[str, str] = {}
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(markdown)
        out.setdefault(h.group(1).strip().lower(), markdown[h.end() : end].strip())
    return out


def parse_exercise(text: str) -> dict | None:
    """`{"problem", "solution", "tests"}` from the Problem/Solution/Tests layout, or None."""
    s = sections(text)
    problem = s.get("problem")
    sol = code_blocks(s.get("solution", ""))
    tests = code_blocks(s.get("tests", ""))
    if not problem or not sol or not tests:
        return None
    return {"problem": problem, "solution": sol[0], "tests": tests[0]}


def parse_qa(text: str) -> dict | None:
    """`{"question", "answer"}` from the Question/Answer layout, or None."""
    s = sections(text)
    q, a = s.get("question"), s.get("answer")
    if not q or not a:
        return None
    return {"question": q, "answer": a}
