"""The embedded default corpus: real C++ that every install already has, found at run time.

Two roots: the C++ standard library headers of the installed g++ (found from the compiler's own include
search list, never a hard-coded path or version) and the C++ headers shipped inside the installed torch
package (`torch/include`, located without importing torch so the pipeline stays torch-free).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CPP_EXTENSIONS = frozenset(".c .cc .cpp .cxx .c++ .h .hh .hpp .hxx .h++ .inl .ipp .tcc .cu .cuh".split())


@dataclass(frozen=True, kw_only=True)
class CorpusRoot:
    """One directory tree of the embedded corpus."""

    name: str  # source name recorded in document metadata
    path: Path
    version: str  # compiler or package version, for provenance


def _cxx() -> str | None:
    return os.environ.get("CXX") or shutil.which("g++")


@functools.cache
def gxx_include_roots(cxx: str | None = None) -> tuple[Path, ...]:
    """The libstdc++ directories from `g++ -E -v`'s `#include <...>` search list (empty without g++)."""
    cxx = cxx or _cxx()
    if not cxx:
        return ()
    proc = subprocess.run(
        [cxx, "-x", "c++", "-E", "-v", "-"], input="", capture_output=True, text=True, timeout=60
    )
    roots: list[Path] = []
    in_list = False
    for line in proc.stderr.splitlines():
        if line.startswith("#include <...> search starts here"):
            in_list = True
        elif line.startswith("End of search list"):
            break
        elif in_list:
            p = Path(line.strip()).resolve()
            # libstdc++'s own trees are `.../c++/<version>` (and its target-specific twin); plain C
            # system headers and compiler builtins are not C++ library code.
            if re.search(r"/c\+\+/[\w.]+$", str(p)) and p.is_dir():
                roots.append(p)
    return tuple(dict.fromkeys(roots))


def gxx_version(cxx: str | None = None) -> str:
    cxx = cxx or _cxx()
    if not cxx:
        return "unknown"
    out = subprocess.run([cxx, "-dumpfullversion"], capture_output=True, text=True, timeout=60).stdout
    return out.strip() or "unknown"


def torch_include_root() -> tuple[Path, str] | None:
    """`torch/include` and torch's version, found from the package spec (torch is not imported)."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    pkg = Path(next(iter(spec.submodule_search_locations)))
    include = pkg / "include"
    if not include.is_dir():
        return None
    version = "unknown"
    version_file = pkg / "version.py"
    if version_file.is_file():
        m = re.search(r"__version__\s*=\s*['\"]([^'\"]+)", version_file.read_text())
        if m:
            version = m.group(1)
    return include, version


def embedded_roots() -> list[CorpusRoot]:
    """Every root of the embedded corpus present on this machine, in a stable order."""
    roots = [CorpusRoot(name="libstdcxx", path=p, version=gxx_version()) for p in gxx_include_roots()]
    torch_root = torch_include_root()
    if torch_root is not None:
        roots.append(CorpusRoot(name="torch-include", path=torch_root[0], version=torch_root[1]))
    if not roots:
        raise RuntimeError(
            "no embedded C++ corpus found: install g++ (apt-get install g++) or torch, "
            "or name a source with --source"
        )
    return roots
