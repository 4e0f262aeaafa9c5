"""A slow, independent, character-by-character C++ preprocessing-token lexer used only by the tests.

It follows translation phases 1-3 the way g++ does: CRLF and lone CR are newlines, a backslash followed
by optional blanks and a newline is a line splice (reverted inside raw strings), comments are whitespace.
`tokens(text)` returns the program's token sequence with the whitespace that matters:

- ("nl",) for each logical line end that follows a token (blank lines vanish),
- (kind, text, spaced) for every other token, where `spaced` says whether whitespace separates it from
  the previous token on the same logical line (it decides `#define F(x)` versus `#define F (x)`,
  and stringification). Raw strings keep their physical text; other literals their logical text.

The normalizer must leave this sequence unchanged.
"""

from __future__ import annotations

import bisect
import re

_BLANK = " \t\f\v"
_PUNCT = sorted(
    """%:%: ... <=> ->* <<= >>= :: .* -> ++ -- << >> <= >= == != && || += -= *= /= %= &= |= ^= ##
    <: :> <% %> %: { } [ ] ( ) ; : ? . + - * / % ^ & | ~ ! = < > , #""".split(),  # noqa: SIM905
    key=len,
    reverse=True,
)
_PREFIXES = {"u8", "u", "U", "L"}


def _phase1(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


_SPLICE = re.compile(r"\\[ \t\f\v]*\n")
_IDENT = re.compile(r"[\w$]+")
_NUMBER = re.compile(r"\.?\d(?:[eEpP][+-]|'\w|[\w.])*")
_QUOTED = {q: re.compile(q + rf"(?:[^{q}\\\n]|\\[^\n])*{q}") for q in "\"'"}


class _Spliced:
    """Phase 2: the logical text (splices removed) and the map back to physical positions."""

    def __init__(self, phys: str):
        self.phys = phys
        parts, self.log_starts, self.phys_starts = [], [], []
        pos = n = 0
        for m in [*_SPLICE.finditer(phys), None]:
            end = m.start() if m else len(phys)
            self.log_starts.append(n)
            self.phys_starts.append(pos)
            parts.append(phys[pos:end])
            n += end - pos
            pos = m.end() if m else pos
        self.text = "".join(parts)

    def to_phys(self, li: int) -> int:
        k = bisect.bisect_right(self.log_starts, li) - 1
        return self.phys_starts[k] + li - self.log_starts[k]

    def to_logical(self, pi: int) -> int:
        k = bisect.bisect_right(self.phys_starts, pi) - 1
        return self.log_starts[k] + pi - self.phys_starts[k]


def _raw_end(phys: str, start: int) -> int | None:
    """Physical end of the raw string whose opening quote is at `start`, or None when there is none."""
    j = start + 1
    while j < len(phys) and j - start <= 17 and phys[j] not in ' ()\\\t\v\f\n"':
        j += 1
    if j >= len(phys) or phys[j] != "(":
        return None
    delim = phys[start + 1 : j]
    close = phys.find(")" + delim + '"', j + 1)
    return len(phys) if close < 0 else close + len(delim) + 2


def tokens(text: str) -> list[tuple]:
    sp = _Spliced(_phase1(text))
    s, n = sp.text, len(sp.text)
    out: list[tuple] = []
    spaced, line_start = False, True
    i = 0

    def emit(kind: str, tok: str) -> None:
        nonlocal spaced, line_start
        out.append((kind, tok, spaced and not line_start))
        spaced = line_start = False

    while i < n:
        c = s[i]
        if c in _BLANK:
            i += 1
            spaced = True
        elif c == "\n":
            i += 1
            if out and out[-1] != ("nl",):
                out.append(("nl",))
            spaced, line_start = False, True
        elif s.startswith("//", i):
            j = s.find("\n", i)
            i = n if j < 0 else j
            spaced = True
        elif s.startswith("/*", i):
            j = s.find("*/", i + 2)
            i = n if j < 0 else j + 2
            spaced = True
        elif c.isdigit() or (c == "." and i + 1 < n and s[i + 1].isdigit()):
            m = _NUMBER.match(s, i)
            emit("num", m.group())
            i = m.end()
        elif c.isalpha() or c in "_$" or ord(c) > 127:
            m = _IDENT.match(s, i)
            word, i = m.group(), m.end()
            nxt = s[i] if i < n else ""
            if nxt == '"' and word.endswith("R") and word[:-1] in _PREFIXES | {""}:
                p = sp.to_phys(i)  # splices are reverted inside raw strings: scan physically
                end = _raw_end(sp.phys, p)
                if end is not None:
                    emit("lit", word + sp.phys[p:end])
                    i = sp.to_logical(end) if end < len(sp.phys) else n
                    continue
                emit("ident", word)
            elif nxt in ('"', "'") and word in _PREFIXES:
                i = _quoted(s, i, nxt, emit, prefix=word)
            else:
                emit("ident", word)
        elif c in "\"'":
            i = _quoted(s, i, c, emit)
        else:
            for p in _PUNCT:
                if s.startswith(p, i):
                    emit("punct", p)
                    i += len(p)
                    break
            else:
                emit("other", c)
                i += 1
    if out and out[-1] == ("nl",):
        out.pop()
    return out


def _quoted(s: str, i: int, q: str, emit, prefix: str = "") -> int:
    m = _QUOTED[q].match(s, i)
    if m:
        emit("lit", prefix + m.group())
        return m.end()
    j = s.find("\n", i)  # unterminated: g++ makes the rest of the line one token
    j = len(s) if j < 0 else j
    # Ill-formed wherever it is lexed in live code, so its trailing blanks carry no meaning.
    emit("other", (prefix + s[i:j]).rstrip(_BLANK))
    return j
