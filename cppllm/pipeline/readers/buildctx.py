"""How a source tree builds: its include directories, `-D` defines and `-std`, found cheaply from its files.

The compile-rate evaluation checks a prompt cut from a file the way that file's tree builds (a torch
header needs `-I torch/include`, a project's `src/foo.cpp` needs its `include/`), so the readers record
each tree's build context in document metadata (`build_context`, a JSON string) and the eval rebuilds the
compiler flags from it later (`cppllm.eval.context`). Sources, first found wins for `-std`, all add dirs:

1. `compile_commands.json` (the root or a `build*/` folder): `-I`/`-isystem`/`-iquote`/`-D`/`-std` of its
   first entries;
2. `CMakeLists.txt` files: `include_directories(...)`, `target_include_directories(...)`,
   `add_definitions(-D...)`/`add_compile_definitions(...)`, `CMAKE_CXX_STANDARD`;
3. `Makefile`s: `-I`/`-D`/`-std=` words on `CPPFLAGS`/`CXXFLAGS`/`CFLAGS`/`INCLUDES` lines;
4. always: the root and its `include/` folders (depth <= 2), the conventional places projects include from.

Include directories are stored relative to the tree root (only those inside it and existing), so the
record stays valid when the tree is where the pipeline read it; the eval reports a missing tree as a skip
reason. Pure functions on a folder; no subprocess, no build system run.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

BUILD_FILES = frozenset(["CMakeLists.txt", "Makefile", "makefile", "GNUmakefile", "compile_commands.json"])
_MAX_BUILD_FILES = 200  # a tree's build files read at most (CMake projects have one per folder)
_MAX_BUILD_FILE_BYTES = 1 << 20
_MAX_COMMANDS = 200  # compile_commands.json entries looked at
_SKIP_DIRS = frozenset([".git", ".hg", ".svn", "third_party", "3rdparty", "external", "node_modules"])

_CMAKE_INCLUDE = re.compile(r"\b(?:target_)?include_directories\s*\(([^)]*)\)", re.IGNORECASE | re.DOTALL)
_CMAKE_DEFS = re.compile(r"\badd_(?:compile_)?definitions\s*\(([^)]*)\)", re.IGNORECASE | re.DOTALL)
_CMAKE_STD = re.compile(r"\bCMAKE_CXX_STANDARD\s+(\d+)", re.IGNORECASE)
_CMAKE_KEYWORDS = frozenset(["SYSTEM", "BEFORE", "AFTER", "PUBLIC", "PRIVATE", "INTERFACE"])
_CMAKE_ROOT_VARS = re.compile(
    r"\$\{(?:CMAKE_CURRENT_SOURCE_DIR|CMAKE_CURRENT_LIST_DIR|PROJECT_SOURCE_DIR|CMAKE_SOURCE_DIR"
    r"|\w+_SOURCE_DIR)\}/?"
)
_MAKE_FLAGS_LINE = re.compile(
    r"^\s*(?:override\s+)?(?:CPPFLAGS|CXXFLAGS|CFLAGS|INCLUDES|INC|INCLUDE|CPPFLAGS_\w+)\s*[+:?]?=(.*)$",
    re.MULTILINE,
)
_STD = re.compile(r"^(?:c|gnu)\+\+\w+$")


@dataclass(frozen=True, kw_only=True)
class BuildContext:
    """A tree's compiler context: `root` (absolute), include dirs relative to it, defines, standard."""

    root: str
    include_dirs: tuple[str, ...] = ()
    defines: tuple[str, ...] = ()  # `NAME` or `NAME=VALUE`
    std: str | None = None  # `c++17`, `gnu++20`, ...
    origin: tuple[str, ...] = field(default_factory=tuple)  # where it came from: compile_commands, ...

    def to_json(self) -> str:
        return json.dumps(
            {
                "root": self.root,
                "include_dirs": list(self.include_dirs),
                "defines": list(self.defines),
                "std": self.std,
                "origin": list(self.origin),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> BuildContext:
        d = json.loads(text)
        return cls(
            root=d["root"],
            include_dirs=tuple(d.get("include_dirs") or ()),
            defines=tuple(d.get("defines") or ()),
            std=d.get("std"),
            origin=tuple(d.get("origin") or ()),
        )


def _inside(root: Path, base: Path, name: str) -> str | None:
    """`name` (relative to `base`, or absolute) as a POSIX path relative to `root`, if an existing dir in it."""
    name = _CMAKE_ROOT_VARS.sub("", name.strip().strip('"'))
    if not name or "$" in name or "<" in name:  # other CMake variables and generator expressions
        return None
    p = Path(name) if os.path.isabs(name) else base / name
    try:
        rel = Path(os.path.normpath(p)).relative_to(root)
    except ValueError:
        return None
    return rel.as_posix() if (root / rel).is_dir() else None


def _flag_words(words: list[str], root: Path, base: Path, ctx: dict) -> None:
    it = iter(range(len(words)))
    for i in it:
        w = words[i]
        for flag in ("-I", "-isystem", "-iquote"):
            if w == flag and i + 1 < len(words):
                d = _inside(root, base, words[i + 1])
                next(it, None)
                break
            if w.startswith(flag) and len(w) > len(flag):
                d = _inside(root, base, w[len(flag) :])
                break
        else:
            if w.startswith("-D") and len(w) > 2:
                ctx["defines"].setdefault(w[2:], None)
            elif w.startswith("-std=") and _STD.match(w[5:]):
                ctx["std"] = ctx["std"] or w[5:]
            continue
        if d is not None:
            ctx["include_dirs"].setdefault(d, None)


def _compile_commands(path: Path, root: Path, ctx: dict) -> None:
    try:
        entries = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return
    if not isinstance(entries, list):
        return
    for e in entries[:_MAX_COMMANDS]:
        if not isinstance(e, dict):
            continue
        base = Path(str(e.get("directory") or path.parent))
        if isinstance(e.get("arguments"), list):
            words = [str(w) for w in e["arguments"]]
        else:
            try:
                words = shlex.split(str(e.get("command") or ""))
            except ValueError:
                continue
        _flag_words(words, root, base, ctx)


def _cmake(path: Path, root: Path, ctx: dict) -> None:
    text = re.sub(r"#[^\n]*", "", path.read_text(encoding="utf-8", errors="replace"))
    for m in _CMAKE_INCLUDE.finditer(text):
        words = m.group(1).split()
        if m.group(0).lower().startswith("target_"):
            words = words[1:]  # the target name
        for w in words:
            if w.upper() not in _CMAKE_KEYWORDS:
                d = _inside(root, path.parent, w)
                if d is not None:
                    ctx["include_dirs"].setdefault(d, None)
    for m in _CMAKE_DEFS.finditer(text):
        for w in m.group(1).split():
            w = w.strip('"')
            name = w[2:] if w.startswith("-D") else w
            if re.match(r"^[A-Za-z_]\w*(=\S*)?$", name):
                ctx["defines"].setdefault(name, None)
    m = _CMAKE_STD.search(text)
    if m and ctx["std"] is None:
        ctx["std"] = f"c++{m.group(1)}"


def _makefile(path: Path, root: Path, ctx: dict) -> None:
    text = path.read_text(encoding="utf-8", errors="replace").replace("\\\n", " ")
    for m in _MAKE_FLAGS_LINE.finditer(text):
        try:
            words = shlex.split(m.group(1), comments=True)
        except ValueError:
            words = m.group(1).split()
        words = [w.replace("$(CURDIR)/", "").replace("$(srcdir)/", "") for w in words]
        _flag_words(words, root, path.parent, ctx)


def build_files(root: Path) -> list[Path]:
    """The tree's build files (`BUILD_FILES`), shallowest first, at most `_MAX_BUILD_FILES`."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        found += [Path(dirpath) / f for f in sorted(filenames) if f in BUILD_FILES]
    found.sort(key=lambda p: (len(p.relative_to(root).parts), p.as_posix()))
    return found[:_MAX_BUILD_FILES]


def detect(root: str | os.PathLike) -> BuildContext:
    """The build context of the tree at `root` (see the module docstring for the sources)."""
    root = Path(os.path.normpath(Path(root).resolve()))
    ctx: dict = {"include_dirs": {}, "defines": {}, "std": None}
    origin: list[str] = []
    files = build_files(root)
    readers = (
        ("compile_commands.json", _compile_commands),
        ("CMakeLists.txt", _cmake),
        ("Makefile", _makefile),
    )
    for name, read in readers:
        mine = [
            f for f in files if f.name == name or (name == "Makefile" and f.name.lower().endswith("makefile"))
        ]
        for f in mine:
            try:
                if f.stat().st_size <= _MAX_BUILD_FILE_BYTES:
                    read(f, root, ctx)
            except OSError:
                continue
        if mine:
            origin.append(name)
    for d in ["include", *sorted(p.relative_to(root).as_posix() for p in root.glob("*/include"))]:
        if (root / d).is_dir():
            ctx["include_dirs"].setdefault(d, None)
    ctx["include_dirs"].setdefault(".", None)
    origin.append("conventional")
    return BuildContext(
        root=str(root),
        include_dirs=tuple(ctx["include_dirs"]),
        defines=tuple(ctx["defines"]),
        std=ctx["std"],
        origin=tuple(origin),
    )
