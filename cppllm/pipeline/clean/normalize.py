"""C++ source normalizer: strip indentation and trailing whitespace without changing what the code means.

`normalize(text)` removes a leading BOM, turns CRLF (and a lone CR) into LF, strips each line's leading indentation (unless
`keep_indent=True`) and trailing whitespace, collapses runs of blank lines to `max_blank_lines` and ends a
non-empty file with exactly one newline. Whitespace that is part of the program is never touched:

- Lines that begin inside a literal keep their leading whitespace: the inside of a raw string
  `R"delim(...)delim"` (any prefix: `u8R`, `LR`, ...), and the continuation of a string or char literal
  spliced with `\\`-newline. Lines that end inside a raw string keep their trailing whitespace.
- A line after a `\\` continuation (macros) is joined to the previous one by the preprocessor, so its
  indentation is reduced to one space where removing it could glue two tokens together.
- Whitespace between a `\\` and the newline is removed: g++ (and C++23, P2223) already treats
  `\\ <spaces> <newline>` as a line splice, so the meaning is the same.
- Blank lines inside raw strings, and a blank line that ends a continued macro, are not collapsed.

Comments may lose their indentation: they are whitespace to the compiler.

Speed: a file without raw strings and without `\\` continuations (most files) can only have newlines
outside literals, so every line is stripped in bulk (`str.strip` in a list comprehension). Other files
get a regex scan that finds, in C, the literals and comments in the order the C++ lexer sees them, and
only the few lines touched by multi-line literals or continuations are handled one by one.

The DataTrove step `CppNormalizer` wraps `normalize` and counts changed documents and removed bytes.
"""

from __future__ import annotations

import re

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

__all__ = ["DEFAULT_MAX_BLANK_LINES", "CppNormalizer", "normalize"]

DEFAULT_MAX_BLANK_LINES = 2
_WS = " \t\f\v"
_BOM = "\ufeff"

_SPLICE = re.compile(r"\\[ \t\f\v]*\n")

# Literals and comments in lexer order. The alternatives have no groups and each starts with a plain
# character, so the regex engine can jump between candidate positions in C; the kind of a match is its
# first character. A quote that does not close on its (logical) line is what g++ lexes as a stray token
# running to the end of the line: the last quote alternative. `'` digit separators (`1'000`) are told
# apart from char literals in Python (rare), since a lookbehind alternative would slow every position.
_SP = r"\\[ \t\f\v]*\n"  # a line splice: backslash, optional spaces (g++ trims them), newline
_TOKEN = re.compile(
    rf"""R(?:{_SP})*"
  | "[^"\\\n]*(?:\\(?:[ \t\f\v]*\n|(?:{_SP})*[^\n])[^"\\\n]*)*"
  | '[^'\\\n]*(?:\\(?:[ \t\f\v]*\n|(?:{_SP})*[^\n])[^'\\\n]*)*'
  | ["'][^\n\\]*(?:\\(?:[ \t\f\v]*\n)?[^\n\\]*)*
  | //[^\n\\]*(?:\\(?:[ \t\f\v]*\n)?[^\n\\]*)*
  | /\*""",
    re.VERBOSE,
)
_RAW_OPEN = re.compile('R"')
_RAW_DELIM = re.compile(r'([^ ()\\\t\v\f\n"]{0,16})\(')


def _is_ident_char(c: str) -> bool:
    return c.isalnum() or c == "_" or c == "$"


def _logical_before(text: str, i: int, k: int) -> str:
    """Up to `k` characters before position `i` as the lexer sees them (line splices skipped)."""
    out: list[str] = []
    while len(out) < k and i > 0:
        if text[i - 1] == "\n":
            j = i - 1
            while j > 0 and text[j - 1] in _WS:
                j -= 1
            if j > 0 and text[j - 1] == "\\":
                i = j - 1
                continue
        out.append(text[i - 1])
        i -= 1
    return "".join(reversed(out))


_TOKEN_TAIL = re.compile(r"[\w$.']*\Z")
# A `'` continues a pp-number only before a digit or nondigit (`1'0`), or last, before the `R` asked about
# (`1'0'R"` is one pp-number); `1'0''R"(` is `1'0`, `''`, then a raw string.
_PP_NUMBER_TAIL = re.compile(r"(?:^|(?<=[^\w$.']))\.?\d(?:[\w$.]|'[\w$])*'?\Z")


def _raw_prefix_ok(text: str, i: int) -> bool:
    """Whether the `R` at `i` starts a raw string: nothing, `u8`, `u`, `U` or `L` before it in its token."""
    before = _logical_before(text, i, 64)
    run = _TOKEN_TAIL.search(before).group()
    if _PP_NUMBER_TAIL.search(run):  # `1'0'u8R"...` is one pp-number, then a string
        return False
    ident = re.search(r"[\w$]*\Z", run).group()
    return ident in ("", "u8", "u", "U", "L")


def _is_digit_separator(text: str, i: int) -> bool:
    """Whether the `'` at `i` is inside a pp-number (`1'000`, `0xFF'FF`) rather than opening a literal."""
    if i + 1 >= len(text) or not (text[i + 1].isalnum() or text[i + 1] == "_"):
        return False
    j = i
    while j > 0 and i - j < 128 and (_is_ident_char(text[j - 1]) or text[j - 1] == "."):
        j -= 1
    if j < i and text[j] == ".":
        j += 1
    return j < i and text[j].isdigit()


class _LineCounter:
    """Line index of increasing text positions, counting each newline once."""

    def __init__(self, text: str):
        self.text, self.pos, self.line = text, 0, 0

    def __call__(self, pos: int) -> int:
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


def _splice_lines(text: str) -> list[int]:
    """Indices of the lines that end in a `\\` line splice."""
    line_of = _LineCounter(text)
    return [line_of(m.start()) for m in _SPLICE.finditer(text)]


def _literal_lines(text: str) -> tuple[set[int], set[int], bool]:
    """Line indices that (start inside a literal, end inside a raw string), and whether the text ends
    inside an unterminated raw string, from a lexer-order scan."""
    keep_start: set[int] = set()
    keep_end: set[int] = set()
    line_of = _LineCounter(text)
    pos, n = 0, len(text)
    search, find = _TOKEN.search, text.find
    while True:
        m = search(text, pos)
        if m is None:
            break
        start, end = m.span()
        c = text[start]
        if c == "R":
            d = _RAW_DELIM.match(text, end) if _raw_prefix_ok(text, start) else None
            if d is None:  # an identifier ending in R, then an ordinary string
                pos = start + 1
                continue
            close = find(")" + d.group(1) + '"', d.end())
            end = n if close < 0 else close + len(d.group(1)) + 2
            if close < 0:  # unterminated: everything to the end of the file is left as it is
                first = line_of(start)
                last = line_of(n)
                keep_end.update(range(first, last + 1))
                keep_start.update(range(first + 1, last + 1))
                return keep_start, keep_end, True
            if find("\n", start, end) >= 0:
                first, last = line_of(start), line_of(end)
                keep_end.update(range(first, last))
                keep_start.update(range(first + 1, last + 1))
        elif c == "/":
            if text[start + 1] == "*":
                close = find("*/", end)
                end = n if close < 0 else close + 2
        elif c == "'" and _is_digit_separator(text, start):
            pos = start + 1
            continue
        elif find("\n", start, end) >= 0:  # a string or char literal continued by line splices
            keep_start.update(range(line_of(start) + 1, line_of(end) + 1))
        pos = end
    return keep_start, keep_end, False


def _end(text: str, original: str) -> str:
    # A final newline is added, except after a backslash that no newline followed: there it would make
    # a line splice of what was a stray backslash token.
    if not text or (text[-1] == "\\" and not original.rstrip(_WS).endswith("\n")):
        return text
    return text + "\n"


def _finish(out: list[str], max_blank_lines: int, original: str) -> str:
    # Leading and trailing blank lines go (trimmed on the list: no copies of the text).
    lo, hi = 0, len(out)
    while lo < hi and not out[lo]:
        lo += 1
    while hi > lo and not out[hi - 1]:
        hi -= 1
    if lo == hi:
        return ""
    if lo or hi < len(out):
        out = out[lo:hi]
    if not (out[-1].endswith("\\") and not original.rstrip(_WS).endswith("\n")):
        out.append("")  # the final newline (see `_end`)
    text = "\n".join(out)
    if max_blank_lines >= 0 and "\n" * (max_blank_lines + 2) in text:
        # `\n\n\n\n+`, not `\n{4,}`: a literal prefix lets the engine jump to the runs
        text = re.sub("\n" * (max_blank_lines + 2) + "+", "\n" * (max_blank_lines + 1), text)
    return text


def normalize(text: str, *, keep_indent: bool = False, max_blank_lines: int = DEFAULT_MAX_BLANK_LINES) -> str:
    """Normalize C++ source whitespace without changing its meaning (see the module docstring).

    Args:
        text: the source file's text.
        keep_indent: keep each line's leading indentation (only trailing whitespace is stripped).
        max_blank_lines: the longest run of blank lines kept; a negative value keeps them all.
    """
    if text.startswith(_BOM):
        text = text[1:]
    if "\r" in text:  # g++ reads CRLF and a lone CR as a newline (in raw strings too)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    strip = str.rstrip if keep_indent else str.strip
    out = [strip(line, _WS) for line in lines]

    splices = _splice_lines(text) if "\\" in text else []
    has_raw = _RAW_OPEN.search(text) is not None  # a regex finds a 2-character literal faster than `in`
    if not splices and not has_raw:
        return _finish(out, max_blank_lines, text)  # no newline can be inside a literal
    # A string or char literal can only cross a newline through a splice, so without raw strings and
    # without quotes on spliced lines, no newline is inside a literal and no lexing is needed.
    if has_raw or any(
        '"' in lines[i] or "'" in lines[i] or lines[i].rstrip(_WS)[:-1].endswith("R") for i in splices
    ):
        keep_start, keep_end, open_raw = _literal_lines(text)
    else:
        keep_start, keep_end, open_raw = set(), set(), False
    after_splice = {i + 1 for i in splices}
    for i in keep_start | keep_end | after_splice:
        line = lines[i]
        if i not in keep_end:
            line = line.rstrip(_WS)
        if i not in keep_start and not keep_indent:
            body = line.lstrip(_WS)
            if i in after_splice and body != line:
                # Spliced onto the previous line: keep one space unless that line's text before the
                # backslash already ends in whitespace (an empty one might continue an earlier line).
                prev = out[i - 1][:-1]
                if not prev or not prev[-1].isspace():
                    body = " " + body if body else body
            line = body
        out[i] = line

    # Blank lines that are part of a literal or of a continued line are content, not separators.
    fixed = {i for i in keep_start | keep_end | after_splice if not out[i]}
    fixed.discard(len(out) - 1)  # the empty "line" after a final newline is not a line
    if open_raw:
        fixed.add(len(out) - 1)
    elif not fixed:
        return _finish(out, max_blank_lines, text)
    kept: list[tuple[str, bool]] = []  # (line, is a blank that must stay)
    blank_run = 0
    for i, line in enumerate(out):
        if line or i in fixed:
            blank_run = 0
            kept.append((line, i in fixed))
        else:
            blank_run += 1
            if max_blank_lines < 0 or blank_run <= max_blank_lines:
                kept.append((line, False))
    lo, hi = 0, len(kept)
    while lo < hi and not kept[lo][0] and not kept[lo][1]:
        lo += 1
    while hi > lo and not kept[hi - 1][0] and not kept[hi - 1][1]:
        hi -= 1
    result = "\n".join(line for line, _ in kept[lo:hi])
    if open_raw:  # the raw string runs to the end of the file: no newline may be added to it
        return result
    return _end(result, text) if result else ("\n" if hi > lo else "")


class CppNormalizer(PipelineStep):
    """DataTrove step: `normalize` every document's text (counts changed docs and bytes removed)."""

    type = "✂️ - FORMAT"
    name = "🧹 C++ normalizer"

    def __init__(self, *, keep_indent: bool = False, max_blank_lines: int = DEFAULT_MAX_BLANK_LINES):
        super().__init__()
        self.keep_indent = keep_indent
        self.max_blank_lines = max_blank_lines

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            with self.track_time():
                before = len(doc.text)
                doc.text = normalize(
                    doc.text, keep_indent=self.keep_indent, max_blank_lines=self.max_blank_lines
                )
                self.stat_update("total")
                if len(doc.text) != before:
                    self.stat_update("changed")
                self.stat_update("chars_removed", value=before - len(doc.text))
            yield doc
