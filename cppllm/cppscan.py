"""A small C++ structure scanner: braces, function definitions and `#if` nesting, outside comments/strings.

The evaluations cut prompts at function headers, cut sampled completions where their braces balance, and
close the scopes a prompt left open (namespaces, classes, header guards) to make a translation unit. They
need the code's structure, not a parser: `{ } ; ( )` outside comments, string/char/raw-string literals and
preprocessor lines, plus the `#if`/`#endif` nesting. Digit separators (`1'000`) are not char literals.
Pure functions on strings, no dependencies, so the torch-free pipeline (decontamination) can use it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_INTEREST = re.compile(r"//|/\*|\"|'|[{}();]|^[ \t]*#", re.M)
_STRING_BODY = re.compile(r'(?:[^"\\\n]|\\.)*"', re.S)
_CHAR_BODY = re.compile(r"(?:[^'\\\n]|\\.)*'", re.S)
_WORD_BEFORE = re.compile(r"[A-Za-z0-9_]+$")
_DIRECTIVE_NAME = re.compile(r"[ \t]*(\w*)")
_RAW_PREFIXES = ("R", "u8R", "uR", "UR", "LR")

_CONTROL = frozenset(
    [
        "if",
        "for",
        "while",
        "switch",
        "catch",
        "return",
        "sizeof",
        "alignof",
        "decltype",
        "static_assert",
        "__attribute__",
        "requires",
        "do",
        "else",
        "case",
        "new",
        "delete",
        "throw",
        "typeid",
        "noexcept",
        "alignas",
        "_Pragma",
        "__declspec",
    ]
)
_TRAILING_QUALIFIERS = re.compile(
    r"(?:\s*(?:const|volatile|noexcept(?:\s*\([^()]*\))?|override|final|mutable|&&|&|throw\s*\(\s*\)"
    r"|->\s*[\w:<>,\s*&]+))*\s*$"
)
_NAME_BEFORE_PAREN = re.compile(r"(~?\w+|operator\s*(?:\(\s*\)|[^\s(]+))\s*$")
_SCOPE_NEEDS_SEMI = re.compile(r"\b(?:class|struct|union|enum)\b[^;{}()]*$|=\s*$")


@dataclass(frozen=True)
class Event:
    pos: int
    kind: str  # "{", "}", ";", "(", ")", "#if", "#else", "#endif", "#other"


@dataclass(frozen=True, kw_only=True)
class Scope:
    """An unclosed `{` and whether its closer needs a `;` (class/struct/union/enum bodies, initializers)."""

    pos: int
    semicolon: bool


@dataclass(frozen=True, kw_only=True)
class Function:
    """A function definition: `text[head:open]` is its header, `text[open:close + 1]` its `{...}` body."""

    head: int
    open: int
    close: int

    def header(self, text: str) -> str:
        return text[self.head : self.open + 1]

    def body(self, text: str) -> str:
        return text[self.open : self.close + 1]


def _directive_end(text: str, start: int) -> int:
    """End of the preprocessor line starting at `start` (backslash continuations included)."""
    i = start
    while True:
        j = text.find("\n", i)
        if j < 0:
            return len(text)
        k = j - 1
        if k >= 0 and text[k] == "\r":
            k -= 1
        if k >= 0 and text[k] == "\\":
            i = j + 1
            continue
        return j


def scan(text: str) -> list[Event]:
    """The structural events of `text`, in order (comments, literals and directive bodies skipped)."""
    events: list[Event] = []
    i, n = 0, len(text)
    while i < n:
        m = _INTEREST.search(text, i)
        if m is None:
            break
        s, tok = m.start(), m.group()
        if tok == "//":
            j = text.find("\n", s)
            i = n if j < 0 else j
        elif tok == "/*":
            j = text.find("*/", s + 2)
            i = n if j < 0 else j + 2
        elif tok == '"':
            w = _WORD_BEFORE.search(text, 0, s)
            if w is not None and w.group() in _RAW_PREFIXES:
                paren = text.find("(", s + 1, s + 20)
                if paren < 0:
                    i = s + 1
                    continue
                end = text.find(")" + text[s + 1 : paren] + '"', paren)
                i = n if end < 0 else end + paren - s + 1
            else:
                b = _STRING_BODY.match(text, s + 1)
                i = b.end() if b else _line_end(text, s)
        elif tok == "'":
            w = _WORD_BEFORE.search(text, max(0, s - 64), s)
            if w is not None and w.group()[0].isdigit():
                i = s + 1  # digit separator: 1'000'000
                continue
            b = _CHAR_BODY.match(text, s + 1)
            i = b.end() if b else _line_end(text, s)
        elif tok.endswith("#"):
            name = _DIRECTIVE_NAME.match(text, m.end()).group(1)
            if name in ("if", "ifdef", "ifndef"):
                kind = "#if"
            elif name in ("else", "elif", "elifdef", "elifndef"):
                kind = "#else"
            elif name == "endif":
                kind = "#endif"
            else:
                kind = "#other"
            events.append(Event(m.end() - 1, kind))
            i = _directive_end(text, s)
        else:
            events.append(Event(s, tok))
            i = s + 1
    return events


def _line_end(text: str, start: int) -> int:
    j = text.find("\n", start)
    return len(text) if j < 0 else j


def open_scopes(text: str) -> tuple[list[Scope], int]:
    """The `{` scopes still open at the end of `text` (outermost first) and the open `#if` count."""
    stack: list[Scope] = []
    ifs = 0
    last = 0  # end of the previous statement boundary, for the scope's head
    for ev in scan(text):
        if ev.kind == "{":
            head = text[last : ev.pos]
            stack.append(Scope(pos=ev.pos, semicolon=bool(_SCOPE_NEEDS_SEMI.search(head))))
        elif ev.kind == "}":
            if stack:
                stack.pop()
        elif ev.kind == "#if":
            ifs += 1
        elif ev.kind == "#endif":
            ifs = max(0, ifs - 1)
        if ev.kind in "{};":
            last = ev.pos + 1
    return stack, ifs


def closers(text: str) -> str:
    """What closes every scope and `#if` that `text` left open (innermost first), as source text."""
    stack, ifs = open_scopes(text)
    out = "".join("\n};" if s.semicolon else "\n}" for s in reversed(stack))
    out += "\n#endif" * ifs
    return out + "\n" if out else ""


def strip_comments(head: str) -> str:
    """`head` without comments and preprocessor lines, whitespace runs collapsed (approximate)."""
    head = re.sub(r"/\*.*?\*/", " ", head, flags=re.S)
    head = re.sub(r"//[^\n]*", " ", head)
    head = "\n".join(ln for ln in head.split("\n") if not ln.lstrip().startswith("#"))
    return " ".join(head.split())


def is_function_head(head: str) -> bool:
    """Whether the text before a `{` (since the previous `;`, `{` or `}`) is a function header."""
    h = strip_comments(head)
    if not h or "=" in re.sub(r"operator\s*[^\s(]*", "", h.split("(", 1)[0]):  # initializers, lambdas
        return False
    m = _TRAILING_QUALIFIERS.search(h)
    core = h[: m.start()] if m else h
    if not core.endswith(")"):
        return False
    depth = 0
    for k in range(len(core) - 1, -1, -1):
        c = core[k]
        if c == ")":
            depth += 1
        elif c == "(":
            depth -= 1
            if depth == 0:
                break
    else:
        return False
    before = core[:k]
    # Constructor initializer lists end in `member(args)`: the header's name is the first call's name.
    if ":" in before and re.search(r"\)\s*:(?!:)", before):
        before = before[: before.find("(")]
    nm = _NAME_BEFORE_PAREN.search(before)
    if nm is None or before.rstrip().endswith("]"):
        return False  # lambdas: `[...](...) {`
    first = re.match(r"\w+", before.lstrip())
    if first is not None and first.group() in _CONTROL:
        return False
    name = nm.group(1)
    return name.lstrip("~") not in _CONTROL and not name[0].isdigit()


def find_functions(text: str) -> list[Function]:
    """Every function definition with a complete body, in order of appearance (nested ones included)."""
    events = scan(text)
    out: list[Function] = []
    open_stack: list[tuple[int, int, bool]] = []  # (head start, "{" pos, is function)
    last = 0
    for ev in events:
        if ev.kind == "{":
            head_start = last
            is_fn = is_function_head(text[head_start : ev.pos])
            open_stack.append((head_start, ev.pos, is_fn))
        elif ev.kind == "}" and open_stack:
            head_start, open_pos, is_fn = open_stack.pop()
            if is_fn:
                # the header starts at its first non-blank character
                while head_start < open_pos and text[head_start].isspace():
                    head_start += 1
                out.append(Function(head=head_start, open=open_pos, close=ev.pos))
        if ev.kind in ("{", "}", ";"):
            last = ev.pos + 1
        elif ev.kind.startswith("#"):
            last = _directive_end(text, ev.pos) + 1
    out.sort(key=lambda f: f.open)
    return out


def cut_balanced(prompt: str, completion: str, *, in_body: bool) -> tuple[str, bool]:
    """`completion` cut right after the `}` that completes the unit; (cut text, whether it was cut).

    `in_body=True` (the prompt ends inside a function body): cut where that body closes. Otherwise cut
    after the first `}` that closes a scope the completion opened or one the prompt left open (plus a `;`
    directly after it, as after a class). Braces are counted outside comments and literals.
    """
    stack, _ = open_scopes(prompt)
    depth0 = len(stack)
    target = depth0 - 1 if in_body else depth0
    depth = depth0
    joined = prompt + completion
    for ev in scan(joined):
        if ev.pos < len(prompt):
            continue
        if ev.kind == "{":
            depth += 1
        elif ev.kind == "}":
            depth -= 1
            if depth <= target:
                end = ev.pos + 1 - len(prompt)
                rest = completion[end:]
                semi = re.match(r"[ \t]*;", rest)
                if semi:
                    end += semi.end()
                return completion[:end], True
    return completion, False
