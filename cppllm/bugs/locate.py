"""Where things are in a C++ source: function spans, the function around a line, and sanitizer frames.

`functions(source)` finds every function body by brace matching (comments, string and character literals
and preprocessor lines skipped; braces inside parentheses are initializer lists, not blocks). A block is a
function when the text before its `{` names something followed by a parameter list and is not a control
statement; members are qualified with their class (`Bank::close`). Good enough for the generated programs
and for ordinary corpus code; it is not a C++ parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEYWORDS = frozenset(
    "if for while switch catch return sizeof alignof decltype else do try new delete throw case "
    "static_assert noexcept requires operator".split()
)
_CALL = re.compile(r"(~?[A-Za-z_]\w*)\s*\(")
_CLASS = re.compile(r"\b(?:class|struct|union)\s+([A-Za-z_]\w*)[^;(]*$")
_NAMESPACE = re.compile(r"\bnamespace\b")
_ACCESS = re.compile(r"^\s*(?:(?:public|private|protected)\s*:(?!:)\s*)+")


@dataclass(frozen=True)
class Span:
    name: str  # qualified: Class::method
    start: int  # 1-based line of the header's first line
    end: int  # 1-based line of the closing brace

    @property
    def short(self) -> str:
        return self.name.rsplit("::", 1)[-1]


def _code_mask(source: str) -> str:
    """`source` with comments, literals and preprocessor lines blanked (same length, newlines kept)."""
    out = list(source)
    i, n = 0, len(source)
    line_start = True
    while i < n:
        c = source[i]
        if line_start and c in " \t":
            i += 1
            continue
        if line_start and c == "#":
            j = i
            while j < n and not (source[j] == "\n" and source[j - 1] != "\\"):
                j += 1
            for k in range(i, j):
                out[k] = " "
            i = j
            continue
        line_start = c == "\n"
        if source.startswith("//", i):
            j = source.find("\n", i)
            j = n if j < 0 else j
        elif source.startswith("/*", i):
            j = source.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif c in "\"'":
            j = i + 1
            while j < n and source[j] != c and source[j] != "\n":
                j += 2 if source[j] == "\\" else 1
            j = min(j + 1, n)
        else:
            i += 1
            continue
        for k in range(i, j):
            if out[k] != "\n":
                out[k] = " "
        i = j
        line_start = False
    return "".join(out)


def functions(source: str) -> list[Span]:
    """Every function definition with a body, in source order (nested lambdas are not functions)."""
    code = _code_mask(source)
    spans: list[Span] = []
    stack: list[tuple[str, str | None, int]] = []  # (kind, name, start offset)
    paren = 0
    last = 0  # offset after the previous ; { } at paren depth 0
    for i, c in enumerate(code):
        if c == "(":
            paren += 1
        elif c == ")":
            paren = max(0, paren - 1)
        elif c == ";" and paren == 0:
            last = i + 1
        elif c == "{" and paren == 0:
            header = _ACCESS.sub(lambda m: " " * len(m.group(0)), code[last:i])
            kind, name = "block", None
            in_function = any(k == "function" for k, _, _ in stack)
            m = _CALL.search(header)
            if not in_function and m and m.group(1) not in _KEYWORDS and "=" not in header[: m.start()]:
                kind, name = "function", m.group(1)
            elif _CLASS.search(header) and not m:
                kind, name = "class", _CLASS.search(header).group(1)
            elif _NAMESPACE.search(header):
                kind = "namespace"
            start = last + len(header) - len(header.lstrip())
            stack.append((kind, name, start))
            last = i + 1
        elif c == "}" and paren == 0:
            if stack:
                kind, name, start = stack.pop()
                if kind == "function":
                    owners = [n for k, n, _ in stack if k == "class" and n]
                    qual = "::".join([*owners, name])
                    spans.append(Span(qual, source.count("\n", 0, start) + 1, source.count("\n", 0, i) + 1))
            last = i + 1
    return sorted(spans, key=lambda s: s.start)


def function_at(source: str, line: int) -> Span | None:
    """The innermost function whose lines contain `line` (1-based)."""
    hits = [s for s in functions(source) if s.start <= line <= s.end]
    return min(hits, key=lambda s: s.end - s.start) if hits else None


def function_text(source: str, span: Span) -> str:
    return "\n".join(source.split("\n")[span.start - 1 : span.end]) + "\n"


def replace_function(source: str, span: Span, new_text: str) -> str:
    lines = source.split("\n")
    return "\n".join([*lines[: span.start - 1], new_text.rstrip("\n"), *lines[span.end :]])


_FRAME = re.compile(r"#\d+ 0x[0-9a-f]+ in (.+?) (\S+?):(\d+)(?::\d+)?\s*$")
_UBSAN = re.compile(r"^(\S+?):(\d+):\d+: runtime error: (.*)$", re.M)
_CHECK = re.compile(r"^(\S+?):(\d+): in (\w+): (CHECK.*)$", re.M)


@dataclass(frozen=True)
class ReportSite:
    line: int
    symbol: str  # function name as the tool printed it, without parameters
    message: str  # the headline (sanitizer error, failed check)


def report_site(text: str, filename: str) -> ReportSite | None:
    """The first place in `filename` that a sanitizer report or a failed CHECK points at."""
    headline = next(
        (ln.strip() for ln in text.splitlines() if "ERROR: AddressSanitizer" in ln or "runtime error:" in ln),
        "",
    )
    ub = _UBSAN.search(text)
    for ln in text.splitlines():
        m = _FRAME.search(ln)
        if m and m.group(2).endswith(filename):
            symbol = m.group(1).split("(")[0].strip()
            return ReportSite(int(m.group(3)), symbol, _headline(headline))
    if ub and ub.group(1).endswith(filename):
        return ReportSite(int(ub.group(2)), "", _headline(headline))
    chk = _CHECK.search(text)
    if chk and chk.group(1).endswith(filename):
        return ReportSite(int(chk.group(2)), chk.group(3), chk.group(4))
    return None


def _headline(line: str) -> str:
    line = re.sub(r"^==\d+==ERROR: ", "", line)
    line = re.sub(r"^\S+?:\d+:\d+: ", "", line)
    return re.sub(r" \(pc 0x[0-9a-f]+.*\)$| at pc 0x[0-9a-f]+.*$", "", line)
