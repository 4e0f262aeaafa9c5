"""The seven agent tools, their JSON schemas, budgets, and `run_tool` (which never raises).

| tool       | arguments                                             | does                                      |
|------------|-------------------------------------------------------|-------------------------------------------|
| list_files | path=".", pattern="*"                                 | files under a folder (glob on the path)   |
| read_file  | path, start_line=1, end_line                          | numbered lines of a file                  |
| search     | pattern (regex, PCRE), path=".", ignore_case=false    | `file:line:text` matches (grep -P)        |
| retrieve   | query, k=5                                            | semantic code search (`cppllm.index`)     |
| compile    | file (optional)                                       | `-fsyntax-only` on a file, or the build   |
| run_tests  | sanitize=true                                         | build + tests (ctest / make test / check) |
| edit       | diff, or path + start_line + end_line + content       | patch the workspace copy                  |

Every tool works on the workspace copy (`cppllm.agent.workspace`); paths that leave it are refused.
`search`, `compile` and `run_tests` run in the sandbox (`cppllm.eval.sandbox`) under `Budget`'s time,
memory and output limits; `list_files`/`read_file` are capped in entries, lines and characters. A result
is a dict with `ok`, `text` (what the model reads) and structured fields; a bad call is `ok: false` with an
`error`, never an exception.
"""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cppllm.agent.protocol import Call
from cppllm.agent.workspace import ToolError, Workspace


@dataclass(frozen=True, kw_only=True)
class Budget:
    result_chars: int = 6000  # of one result, as the model reads it (cut with a note beyond)
    list_entries: int = 200
    read_lines: int = 200  # lines per read_file call
    line_chars: int = 400  # longer lines are cut
    search_matches: int = 50
    search_s: float = 10.0
    compile_s: float = 60.0
    test_s: float = 120.0  # build and run the tests, each
    mem_bytes: int = 2 << 30  # address space of compiler jobs; RSS of sanitizer test runs
    output_bytes: int = 256 << 10  # stdout/stderr kept from a sandboxed job
    edit_chars: int = 200_000  # size of one edit


INDEX_HINT = "unavailable: no code index (build one with python -m cppllm.index build --source DIR --out DIR)"


def _get(args: dict[str, Any], name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if name not in args:
        if default is ...:
            raise ToolError(f'missing argument "{name}"')
        return default
    value = args[name]
    if kind is int and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)  # small models write "12"
    if isinstance(value, bool) and kind is int or not isinstance(value, kind):
        want = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ToolError(f'argument "{name}" must be {want}, got {type(value).__name__}')
    return value


def list_files(ws: Workspace, args: dict[str, Any], budget: Budget) -> dict[str, Any]:
    path = _get(args, "path", str, ".")
    pattern = _get(args, "pattern", str, "*")
    found = [
        f for f in ws.files(path) if fnmatch.fnmatch(f, pattern) or fnmatch.fnmatch(Path(f).name, pattern)
    ]
    shown = found[: budget.list_entries]
    text = "\n".join(shown) or "(no files)"
    if len(found) > len(shown):
        text += f"\n[{len(found) - len(shown)} more files not shown; give a path or pattern]"
    return {"ok": True, "files": shown, "total": len(found), "text": text}


def read_file(ws: Workspace, args: dict[str, Any], budget: Budget) -> dict[str, Any]:
    path = _get(args, "path", str)
    p = ws.resolve(path)
    if not p.is_file():
        raise ToolError(f"{path}: not a file")
    if p.stat().st_size > 8 << 20:
        raise ToolError(f"{path}: {p.stat().st_size >> 20} MiB, too large to read")
    raw = p.read_bytes()
    if b"\0" in raw[:8192]:
        raise ToolError(f"{path}: a binary file")
    lines = raw.decode("utf-8", errors="replace").splitlines()
    start = max(1, _get(args, "start_line", int, 1))
    end = _get(args, "end_line", int, start + budget.read_lines - 1)
    end = min(end, len(lines), start + budget.read_lines - 1)
    width = len(str(max(end, 1)))
    out = []
    for n in range(start, end + 1):
        ln = lines[n - 1]
        if len(ln) > budget.line_chars:
            ln = ln[: budget.line_chars] + " [line cut]"
        out.append(f"{n:>{width}}| {ln}")
    text = "\n".join(out) if out else f"(no lines {start}-{end}: the file has {len(lines)} lines)"
    if end < len(lines):
        text += f"\n[lines {start}-{end} of {len(lines)}; read on with start_line={end + 1}]"
    return {
        "ok": True,
        "path": ws.rel(p),
        "start_line": start,
        "end_line": end,
        "lines": len(lines),
        "text": text,
    }


def search(ws: Workspace, args: dict[str, Any], budget: Budget) -> dict[str, Any]:
    from cppllm.eval.sandbox import SandboxLimits, run_sandboxed

    pattern = _get(args, "pattern", str)
    if not pattern:
        raise ToolError("empty pattern")
    start = ws.resolve(_get(args, "path", str, "."))
    argv = [
        "grep",
        "-rnIP",
        "--color=never",
        "--exclude-dir=build",
        "--exclude-dir=build-asan",
        "--exclude-dir=.git",
    ]
    if _get(args, "ignore_case", bool, False):
        argv.append("-i")
    argv += ["-e", pattern, "--", os.path.relpath(start, ws.sandbox_dir)]
    limits = SandboxLimits(
        wall_s=budget.search_s, cpu_s=int(budget.search_s), output_bytes=budget.output_bytes
    )
    res = run_sandboxed(argv, workdir=ws.sandbox_dir, limits=limits, trusted_program=True)
    if res.timed_out:
        raise ToolError(f"search took over {budget.search_s:g}s; use a simpler pattern or a narrower path")
    if res.returncode == 2 or (res.returncode not in (0, 1)):
        raise ToolError(f"bad pattern: {res.stderr.strip()[:300]}")
    matches = []
    for ln in res.stdout.splitlines():
        ln = ln.removeprefix("repo/")
        if ln.startswith("[output truncated]"):
            continue
        matches.append(ln if len(ln) <= budget.line_chars else ln[: budget.line_chars] + " [line cut]")
    shown = matches[: budget.search_matches]
    text = "\n".join(shown) or "(no matches)"
    more = len(matches) - len(shown)
    if more > 0 or "[output truncated]" in res.stdout:
        text += "\n[more matches not shown; narrow the pattern or the path]"
    return {"ok": True, "matches": shown, "total": len(matches), "text": text}


def retrieve(ws: Workspace, args: dict[str, Any], budget: Budget) -> dict[str, Any]:
    query = _get(args, "query", str)
    k = max(1, min(_get(args, "k", int, 5), 20))
    if ws.index_dir is None:
        return {"ok": False, "unavailable": True, "error": INDEX_HINT, "text": INDEX_HINT}
    from cppllm.index import open_index

    index = open_index(ws.index_dir)
    mode = "hybrid" if index.has_dense else "bm25"
    hits = index.search(query, k=k, mode=mode)
    parts = []
    for h in hits:
        body = "\n".join(h.text.splitlines()[:12])
        parts.append(f"{h.path}:{h.start_line}-{h.end_line} {h.kind} {h.name} (score {h.score:.3f})\n{body}")
    text = f"[{mode} search]\n" + ("\n\n".join(parts) or "(no hits)")
    hits_out = [{k_: v for k_, v in h.to_dict().items() if k_ != "text"} for h in hits]
    return {"ok": True, "mode": mode, "hits": hits_out, "text": text}


def edit(ws: Workspace, args: dict[str, Any], budget: Budget) -> dict[str, Any]:
    from cppllm.agent.patch import apply_diff

    if "diff" in args:
        diff = _get(args, "diff", str)
        if len(diff) > budget.edit_chars:
            raise ToolError(f"diff of {len(diff)} characters, over the {budget.edit_chars} budget")
        changed = apply_diff(ws, diff)
        return {"ok": True, "changed": changed, "text": f"applied the diff to {', '.join(changed)}"}
    path = _get(args, "path", str)
    content = _get(args, "content", str)
    if len(content) > budget.edit_chars:
        raise ToolError(f"content of {len(content)} characters, over the {budget.edit_chars} budget")
    p = ws.resolve(path)
    if not p.is_file():
        raise ToolError(f"{path}: not a file")
    lines = p.read_text().split("\n")
    trailing = lines[-1] == ""
    body = lines[:-1] if trailing else lines
    start = _get(args, "start_line", int)
    end = _get(args, "end_line", int, start)
    if not (1 <= start <= len(body) + 1 and start - 1 <= end <= len(body)):
        raise ToolError(f"lines {start}-{end} are not a range of {path} (it has {len(body)} lines)")
    new = content.split("\n")
    if new and new[-1] == "":
        new = new[:-1]
    body[start - 1 : end] = new
    p.write_text("\n".join(body) + ("\n" if trailing else ""))
    ws.edited.add(ws.rel(p))
    shown = "\n".join(f"{start + i}| {ln}" for i, ln in enumerate(new[:20]))
    return {
        "ok": True,
        "changed": [ws.rel(p)],
        "text": (
            f"inserted {len(new)} line(s) before line {start} of {ws.rel(p)}:\n{shown}"
            if end < start
            else f"replaced lines {start}-{end} of {ws.rel(p)} with {len(new)} line(s):\n{shown}"
        ),
    }


def _compile(ws: Workspace, args: dict[str, Any], budget: Budget) -> dict[str, Any]:
    from cppllm.agent.build import compile_tool

    return compile_tool(ws, args.get("file"), budget)


def _run_tests(ws: Workspace, args: dict[str, Any], budget: Budget) -> dict[str, Any]:
    from cppllm.agent.build import run_tests

    return run_tests(ws, budget, sanitize=_get(args, "sanitize", bool, True))


ToolFn = Callable[[Workspace, dict[str, Any], Budget], dict[str, Any]]
TOOLS: dict[str, ToolFn] = {
    "list_files": list_files,
    "read_file": read_file,
    "search": search,
    "retrieve": retrieve,
    "compile": _compile,
    "run_tests": _run_tests,
    "edit": edit,
}


def _schema(name: str, description: str, props: dict[str, tuple[str, str]], required: list[str]) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {k: {"type": t, "description": d} for k, (t, d) in props.items()},
                "required": required,
            },
        },
    }


TOOL_SCHEMAS = [
    _schema(
        "list_files",
        "List repository files.",
        {"path": ("string", "folder"), "pattern": ("string", "glob")},
        [],
    ),
    _schema(
        "read_file",
        "Read numbered lines of a file.",
        {"path": ("string", "file"), "start_line": ("integer", "first"), "end_line": ("integer", "last")},
        ["path"],
    ),
    _schema(
        "search",
        "Regex search: file:line:text.",
        {"pattern": ("string", "regex"), "path": ("string", "folder")},
        ["pattern"],
    ),
    _schema(
        "retrieve",
        "Semantic code search.",
        {"query": ("string", "what to find"), "k": ("integer", "hits")},
        ["query"],
    ),
    _schema(
        "compile", "Check a file with -fsyntax-only, or build the project.", {"file": ("string", "file")}, []
    ),
    _schema(
        "run_tests", "Build and run the tests (ASan/UBSan).", {"sanitize": ("boolean", "sanitizers")}, []
    ),
    _schema(
        "edit",
        "Replace lines start_line..end_line of path with content, or apply a unified diff.",
        {
            "path": ("string", "file"),
            "start_line": ("integer", "first"),
            "end_line": ("integer", "last"),
            "content": ("string", "new lines"),
            "diff": ("string", "unified diff"),
        },
        [],
    ),
]


def run_tool(ws: Workspace, call: Call, budget: Budget = Budget()) -> dict[str, Any]:
    """Run one call; every failure is a result (`ok: false`, `error`, `text`), never an exception."""
    start = time.monotonic()
    fn = TOOLS.get(call.name)
    try:
        if fn is None:
            raise ToolError(f"unknown tool {call.name!r}; tools: {', '.join(TOOLS)}")
        result = fn(ws, call.arguments, budget)
    except ToolError as e:
        result = {"ok": False, "error": str(e), "text": f"error: {e}"}
    except (OSError, UnicodeError, ValueError) as e:  # e.g. a file that vanished, a corrupt index
        result = {"ok": False, "error": f"{type(e).__name__}: {e}", "text": f"error: {type(e).__name__}: {e}"}
    result["seconds"] = round(time.monotonic() - start, 3)
    return result
