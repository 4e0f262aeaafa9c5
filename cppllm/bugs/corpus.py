"""Compile-error fixes mined from real corpus code: break one line of a function that compiles, keep the error.

A corpus unit (a `.cpp` file of a source tree, or a `text` row of a pipeline `.jsonl` output) is used when it
compiles on its own (`g++ -fsyntax-only`). A mutation then breaks one line inside one of its function
bodies, the way people break code while editing:

    drop_semicolon       the `;` that ends a statement is deleted
    misspell_identifier  one use of a name declared in the unit gets a typo (a letter dropped or doubled)
    drop_paren           the last `)` of a line with a call is deleted

The item keeps the mutation only when the compiler rejects it; its diagnostic is the debug context. This
scales to the whole corpus: any unit that compiles standalone yields items.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from cppllm.bugs.locate import functions

MUTATIONS = ("drop_semicolon", "misspell_identifier", "drop_paren")
CPP_SUFFIXES = (".cpp", ".cc", ".cxx", ".c++")
MAX_UNIT_BYTES = 40_000
_IDENT = re.compile(r"\b[A-Za-z_]\w{2,}\b")
_CPP_WORDS = frozenset(
    "int char bool void auto const return for while if else size_t std double float long short unsigned "
    "signed static struct class public private protected template typename true false nullptr this new "
    "delete break continue switch case default using namespace include define sizeof operator virtual "
    "override final constexpr inline explicit friend typedef enum union".split()
)


@dataclass(frozen=True)
class Unit:
    name: str  # file name the item uses
    text: str


@dataclass(frozen=True)
class Broken:
    text: str
    line: int  # 1-based
    mutation: str


def load_units(path: str | Path, limit: int | None = None) -> list[Unit]:
    """C++ units from a source tree (`.cpp/.cc/.cxx`) or from a `.jsonl[.gz]` of `{"text", ...}` rows."""
    path = Path(path)
    units: list[Unit] = []
    if path.is_dir():
        for f in sorted(p for p in path.rglob("*") if p.suffix in CPP_SUFFIXES and p.is_file()):
            text = f.read_text(encoding="utf-8", errors="replace")
            if len(text.encode()) <= MAX_UNIT_BYTES:
                units.append(Unit(name=f.name, text=text))
    elif path.is_file():
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{n}: not JSON ({e.msg})") from None
                text = row.get("text") or row.get("content")
                if not isinstance(text, str) or len(text.encode()) > MAX_UNIT_BYTES:
                    continue
                meta_path = (row.get("metadata") or {}).get("path") or row.get("path") or f"unit{n}.cpp"
                name = Path(str(meta_path)).name
                units.append(Unit(name=name if name.endswith(CPP_SUFFIXES) else f"{name}.cpp", text=text))
    else:
        raise FileNotFoundError(f"no corpus at {path} (a source folder or a .jsonl of text rows)")
    return units[:limit] if limit is not None else units


def _body_lines(text: str) -> list[int]:
    """0-based indices of lines strictly inside function bodies."""
    out: list[int] = []
    for span in functions(text):
        out.extend(range(span.start, span.end - 1))  # start is 1-based header line: body starts after it
    return sorted(set(out))


def _typo(name: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(name))
    return name[:i] + name[i + 1 :] if rng.random() < 0.5 else name[:i] + name[i] + name[i:]


def break_unit(text: str, rng: random.Random, mutation: str | None = None) -> Broken | None:
    """One line of one function body broken by `mutation` (default: drawn); None when nothing fits."""
    lines = text.split("\n")
    body = _body_lines(text)
    order = [mutation] if mutation else rng.sample(MUTATIONS, len(MUTATIONS))
    for mut in order:
        cands = []
        for i in body:
            s = lines[i].rstrip()
            code = s.split("//")[0].rstrip()
            if (
                mut == "drop_semicolon"
                and code.endswith(";")
                and not code.lstrip().startswith("for")
                or mut == "drop_paren"
                and code.endswith(");")
                and "(" in code
            ):
                cands.append(i)
            elif mut == "misspell_identifier":
                names = [m for m in _IDENT.findall(code) if m not in _CPP_WORDS and not m.startswith("std")]
                if names and not code.lstrip().startswith(("//", "*")):
                    cands.append(i)
        if not cands:
            continue
        i = rng.choice(cands)
        s = lines[i]
        if mut == "drop_semicolon":
            k = s.rstrip().rfind(";")
            new = s[:k] + s[k + 1 :]
        elif mut == "drop_paren":
            k = s.rfind(")")
            new = s[:k] + s[k + 1 :]
        else:
            code = s.split("//")[0]
            names = [m for m in _IDENT.finditer(code) if m.group(0) not in _CPP_WORDS]
            names = [m for m in names if not m.group(0).startswith("std")]
            m = rng.choice(names)
            typo = _typo(m.group(0), rng)
            if re.search(rf"\b{re.escape(typo)}\b", text):
                continue
            new = s[: m.start()] + typo + s[m.end() :]
        return Broken(text="\n".join([*lines[:i], new, *lines[i + 1 :]]), line=i + 1, mutation=mut)
    return None
