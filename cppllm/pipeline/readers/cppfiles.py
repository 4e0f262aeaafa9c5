"""Which files are C/C++ source, and how raw bytes become document text.

Selection is by extension (`CPP_EXTENSIONS`) plus extensionless headers found by content: the standard
library ships `vector`, `map`, `bits/...` without a suffix, and most of them open with an Emacs mode line
(`// <vector> -*- C++ -*-`) or with preprocessor guards.

Decoding is strict UTF-8: a file with NUL bytes is binary, a file that does not decode is dropped. Both
are counted drop reasons, never crashes, and the text that is kept is byte-for-byte the file (BOM and
CRLF are the normalizer's business).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cppllm.pipeline.readers.corpus import CPP_EXTENSIONS

__all__ = [
    "CPP_EXTENSIONS",
    "DEFAULT_MAX_FILE_BYTES",
    "Decoded",
    "cpp_extension",
    "decode_source",
    "is_cpp_path",
    "looks_like_cpp",
]

DEFAULT_MAX_FILE_BYTES = 10_000_000  # 10 MB: anything larger is data, not hand-written code
SNIFF_BYTES = 4096

# Extensionless files that are never C++ even when they contain `#include`-like lines.
_NOT_SOURCE_NAMES = frozenset(
    [
        "makefile",
        "gnumakefile",
        "readme",
        "license",
        "licence",
        "copying",
        "authors",
        "changelog",
        "news",
        "notice",
        "install",
        "todo",
        "version",
        "dockerfile",
        "jenkinsfile",
        "vagrantfile",
        "gemfile",
        "rakefile",
        "procfile",
    ]
)
_MODE_LINE = re.compile(rb"-\*-\s*(?:mode:\s*)?c\+\+\s*-\*-", re.IGNORECASE)
_CPP_LINE = re.compile(
    rb"^[ \t]*(?:#[ \t]*(?:include[ \t]*[<\"]|pragma[ \t]+once|ifndef[ \t]+\w+|define[ \t]+\w+)"
    rb"|namespace[ \t]+\w+[ \t]*\{|template[ \t]*<|extern[ \t]+\"C\\+\\+\")",
    re.MULTILINE,
)


def _name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def cpp_extension(path: str) -> str:
    """The lower-cased suffix of `path` ("" when none): `.h++` and friends included."""
    name = _name(path)
    i = name.rfind(".")
    return name[i:].lower() if 0 < i < len(name) - 1 else ""


def is_cpp_path(path: str) -> bool:
    """True when the file name alone says C/C++ (`foo.cpp`, `bar.H`, `baz.cu`)."""
    return cpp_extension(path) in CPP_EXTENSIONS


def is_extensionless(path: str) -> bool:
    name = _name(path)
    return bool(name) and "." not in name.lstrip(".") and name.lower() not in _NOT_SOURCE_NAMES


def looks_like_cpp(head: bytes) -> bool:
    """Content sniffing for extensionless files: a C++ mode line, or C/C++ preprocessor structure.

    `head` is the first few KB of the file. Scripts (`#!`), binaries (NUL bytes) and text without any
    C/C++ marker are rejected.
    """
    head = head[:SNIFF_BYTES]
    if not head or b"\x00" in head or head.startswith(b"#!"):
        return False
    if _MODE_LINE.search(head[:512]):
        return True
    return len(_CPP_LINE.findall(head)) >= 2


@dataclass(frozen=True, slots=True)
class Decoded:
    """Result of `decode_source`: `text` when kept, else `reason` (a stable snake_case drop reason)."""

    text: str | None
    reason: str | None


def decode_source(data: bytes, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Decoded:
    """Raw file bytes -> text, or a drop reason: `empty`, `too_large`, `binary`, `invalid_utf8`."""
    if not data.strip():
        return Decoded(None, "empty")
    if max_bytes and len(data) > max_bytes:
        return Decoded(None, "too_large")
    if b"\x00" in data:
        return Decoded(None, "binary")
    try:
        return Decoded(data.decode("utf-8"), None)
    except UnicodeDecodeError:
        return Decoded(None, "invalid_utf8")


def check_text(text: str | None, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> str | None:
    """The drop reason for text that arrived already decoded (datasets rows), or None to keep it."""
    if not text or not text.strip():
        return "empty"
    # chars <= bytes: the cheap length check first, the exact byte count only near the limit
    if max_bytes and len(text) > max_bytes and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        return "too_large"
    if "\x00" in text:
        return "binary"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: not representable in a UTF-8 corpus
        return "invalid_utf8"
    return None
