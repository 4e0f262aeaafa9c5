"""Code units of a C++ file: functions, classes, declarations and the file header, with their doc comments.

The code index chunks files into these units and the contrastive pair miner pairs them up (a doc comment
with the function it documents, a header declaration with its definition). Built on the project's brace
scanner (`cppllm.cppscan`): `{ } ;` outside comments, literals and preprocessor lines, no parser. A
unit's doc comment is the run of `//` / `/* */` comments directly above it (blank lines allowed only
inside the run). Offsets are character offsets into the file; lines are 1-based and inclusive.
Pure functions on strings, no torch, so pipeline steps can use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cppllm.cppscan import _directive_end, is_function_head, scan, strip_comments

_LEADING_COMMENT = re.compile(r"\s*(//[^\n]*|/\*.*?\*/)", re.S)
_CALL_NAME = re.compile(r"((?:\w+\s*::\s*)*~?\w+|operator\s*(?:\(\s*\)|[^\s(]+))\s*\(")
_CLASS_HEAD = re.compile(r"\b(class|struct|union)\s+(?:\w+\s+)*?(\w+)\s*(?:final\s*)?(?::[^;{}]*)?$")
_COMMENT_MARKS = re.compile(r"^\s*(?:/\*+!?|\*+/|\*+(?!/)|//+[/!<]?)", re.M)
_ACCESS = re.compile(r"\s*(?:public|private|protected|signals|slots|Q_SLOTS)\s*:(?!:)")
_NOT_NAMES = frozenset({"if", "for", "while", "switch", "return", "sizeof", "decltype", "alignas", "catch"})


@dataclass(frozen=True, kw_only=True)
class Unit:
    """One function, class, declaration or file header of a file (`text[start:end]`, doc comment above)."""

    kind: str  # "function" | "class" | "declaration" | "file_header"
    name: str  # qualified as written (`Foo::bar`), with the enclosing class for in-class members
    start: int  # first character of the code (after the doc comment)
    end: int  # one past the last character
    doc_start: int  # first character of the doc comment (== start when there is none)
    doc: str  # the doc comment's words, comment markers removed ("" when none)
    signature: str  # functions/declarations: the header, comments removed, whitespace collapsed
    body_start: int = -1  # functions: the `{` of the body

    def code(self, text: str) -> str:
        return text[self.start : self.end]

    def body(self, text: str) -> str:
        return text[self.body_start : self.end] if self.body_start >= 0 else ""

    @property
    def short_name(self) -> str:
        return self.name.rsplit("::", 1)[-1]

    @property
    def key(self) -> str:
        """`Class::name` or `name`: what a declaration and its out-of-line definition share."""
        return "::".join(self.name.replace(" ", "").split("::")[-2:])


def line_of(text: str, pos: int) -> int:
    """1-based line of character offset `pos`."""
    return text.count("\n", 0, pos) + 1


def clean_comment(comment: str) -> str:
    """Comment text without `//`, `/*`, `*`, `*/` markers and doxygen `@brief`/`\\brief`, words joined."""
    text = _COMMENT_MARKS.sub(" ", comment)
    text = text.replace("*/", " ")
    text = re.sub(r"[@\\](?:brief|details|short)\b", " ", text)
    return " ".join(text.split())


def _split_doc(text: str, region_start: int, code_start: int) -> tuple[int, int, str]:
    """(doc start, code start, doc text) for the region `text[region_start:code_start]` before a unit.

    The region runs from the previous `; { }` or directive to the unit's first token; comments at its
    beginning are the unit's doc comment (a trailing `//` comment of the previous statement, on the
    previous statement's line, is not).
    """
    i = region_start
    while (m := _ACCESS.match(text, i)) is not None and m.end() <= code_start:
        i = m.end()  # `public:` opens a class section, it is not part of the unit
    # skip a comment on the same line as the previous statement (`x = 1;  // note`)
    nl = text.find("\n", i, code_start)
    if i > 0 and text[i - 1] in ";{}" and nl >= 0 and text[i:nl].strip().startswith("//"):
        i = nl + 1
    comments: list[str] = []
    doc_start = -1
    pos = i
    while True:
        m = _LEADING_COMMENT.match(text, pos)
        if m is None or m.start(1) >= code_start:
            break
        if doc_start < 0:
            doc_start = m.start(1)
        elif text.count("\n", pos, m.start(1)) > 1:  # a blank line ends the run: start again after it
            comments, doc_start = [], m.start(1)
        comments.append(m.group(1))
        pos = m.end()
    start = pos
    while start < code_start and text[start].isspace():
        start += 1
    if doc_start < 0 or text.count("\n", pos, start) > 1:
        return start, start, ""
    return doc_start, start, clean_comment("\n".join(comments))


def _function_name(head: str) -> str | None:
    h = strip_comments(head)
    h = re.sub(r"^\s*template\s*<.*?>\s*", "", h)
    for m in _CALL_NAME.finditer(h):
        name = re.sub(r"\s+", "", m.group(1))
        if name.split("::")[-1] not in _NOT_NAMES:
            return name
    return None


def _signature(head: str) -> str:
    return strip_comments(head).rstrip("{").strip()


class _Walker:
    """One pass over the scanner's events that collects functions, classes and declarations."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.units: list[Unit] = []

    def run(self) -> list[Unit]:
        text = self.text
        stack: list[tuple[str, int, int, str]] = []  # (kind, region start, "{" pos, name)
        last = 0
        for ev in scan(text):
            if ev.kind == "{":
                region = text[last : ev.pos]
                kind, name = "block", ""
                if not any(k == "function" for k, *_ in stack) and is_function_head(region):
                    kind, name = "function", _function_name(region) or ""
                else:
                    m = _CLASS_HEAD.search(strip_comments(region))
                    if m and not any(k == "function" for k, *_ in stack):
                        kind, name = "class", m.group(2)
                stack.append((kind, last, ev.pos, name))
            elif ev.kind == "}" and stack:
                kind, region_start, open_pos, name = stack.pop()
                if kind in ("function", "class") and name:
                    self._add(kind, name, region_start, open_pos, ev.pos + 1, stack)
            elif ev.kind == ";" and not any(k == "function" for k, *_ in stack):
                self._declaration(last, ev.pos, stack)
            if ev.kind in ("{", "}", ";"):
                last = ev.pos + 1
            elif ev.kind.startswith("#"):
                last = _directive_end(text, ev.pos) + 1
        self.units.sort(key=lambda u: (u.start, u.kind))
        return self.units

    def _qualified(self, name: str, stack) -> str:
        classes = [n for k, _, _, n in stack if k == "class" and n]
        if classes and "::" not in name:
            return f"{classes[-1]}::{name}"
        return name

    def _add(self, kind: str, name: str, region_start: int, open_pos: int, end: int, stack) -> None:
        text = self.text
        first = region_start
        while first < open_pos and text[first].isspace():
            first += 1
        doc_start, start, doc = _split_doc(text, region_start, _code_start(text, first, open_pos))
        if kind == "class" and end < len(text) and text[end : end + 1] == ";":
            end += 1
        self.units.append(
            Unit(
                kind=kind,
                name=self._qualified(name, stack),
                start=start,
                end=end,
                doc_start=doc_start,
                doc=doc,
                signature=_signature(text[start:open_pos]) if kind == "function" else "",
                body_start=open_pos if kind == "function" else -1,
            )
        )

    def _declaration(self, region_start: int, semi: int, stack) -> None:
        text = self.text
        region = text[region_start:semi]
        if "(" not in region or not is_function_head(region):
            return
        name = _function_name(region)
        if not name:
            return
        sig = _signature(_ACCESS.sub(" ", region))
        before = sig[: sig.find(name.split("::")[0])].strip() if name else ""
        in_class = any(k == "class" for k, *_ in stack)
        if not before and not in_class:
            return  # `FOO(x);` at file scope: a macro call, not a declaration
        if re.search(r"\b(?:return|typedef|using)\b", before) or before.endswith(("=", ",")):
            return
        first = region_start
        while first < semi and text[first].isspace():
            first += 1
        doc_start, start, doc = _split_doc(text, region_start, _code_start(text, first, semi))
        self.units.append(
            Unit(
                kind="declaration",
                name=self._qualified(name, stack),
                start=start,
                end=semi + 1,
                doc_start=doc_start,
                doc=doc,
                signature=sig,
            )
        )


def _code_start(text: str, first: int, limit: int) -> int:
    """The first character of code at or after `first` (comments skipped), before `limit`."""
    pos = first
    while True:
        m = _LEADING_COMMENT.match(text, pos) or _ACCESS.match(text, pos)
        if m is None or m.end() > limit:
            break
        pos = m.end()
    while pos < limit and text[pos].isspace():
        pos += 1
    return pos


def file_header(text: str, units: list[Unit], max_lines: int = 60) -> Unit | None:
    """The file's opening: license/overview comment, includes and forward declarations before its first
    unit (at most `max_lines` lines); None when the file starts with a unit."""
    first = min((u.doc_start for u in units), default=len(text))
    head = text[:first]
    lines = head.split("\n")[:max_lines]
    head = "\n".join(lines).rstrip()
    if not head.strip():
        return None
    m = _LEADING_COMMENT.match(head)
    doc = clean_comment(m.group(1)) if m else ""
    return Unit(kind="file_header", name="", start=0, end=len(head), doc_start=0, doc=doc, signature="")


def extract_units(text: str, *, header: bool = True) -> list[Unit]:
    """Functions, classes and function declarations of a C++ text (plus its file header), in order."""
    units = _Walker(text).run()
    if header:
        fh = file_header(text, units)
        if fh is not None:
            units.insert(0, fh)
    return units


def calls(body: str) -> list[str]:
    """Names called in a code fragment (`name(`, `obj.name(`, `ns::name(`), comments and strings
    ignored, in order of first call."""
    code = strip_comments(re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', body))
    seen: dict[str, None] = {}
    for m in re.finditer(r"(?<![\w~])(\w+)\s*\(", code):
        name = m.group(1)
        if name not in _NOT_NAMES and not name[0].isdigit():
            seen.setdefault(name, None)
    return list(seen)


__all__ = ["Unit", "calls", "clean_comment", "extract_units", "file_header", "line_of"]
