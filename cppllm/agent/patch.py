"""Apply a unified diff to the workspace: every path checked, every hunk matched, all or nothing.

Hunks are located by their old lines (context and removals), at the line the header names or the nearest
place they match, so a diff from a model whose line numbers drifted still applies when its context is
right. Nothing is written unless every hunk of every file applies.
"""

from __future__ import annotations

import re

from cppllm.agent.workspace import ToolError, Workspace

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _strip(path: str) -> str | None:
    path = path.split("\t")[0].strip()
    if path == "/dev/null":
        return None
    return path[2:] if path[:2] in ("a/", "b/") else path


def parse(diff: str) -> list[tuple[str | None, str | None, list[tuple[int, list[str], list[str]]]]]:
    """[(old path, new path, [(old start, old lines, new lines), ...]), ...] of a unified diff."""
    files: list = []
    lines = diff.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            files.append((_strip(lines[i][4:]), _strip(lines[i + 1][4:]), []))
            i += 2
            continue
        m = _HUNK.match(lines[i])
        if m:
            if not files:
                raise ToolError("hunk before any ---/+++ file header")
            old, new = [], []
            i += 1
            while i < len(lines) and not lines[i].startswith(("@@", "--- ")):
                ln = lines[i]
                tag, text = (ln[:1], ln[1:]) if ln else (" ", "")
                if tag in " -":
                    old.append(text)
                if tag in " +":
                    new.append(text)
                if tag not in " -+\\":
                    raise ToolError(f"diff line {i + 1} starts with {tag!r} (want ' ', '-', '+')")
                i += 1
            files[-1][2].append((int(m.group(1)), old, new))
            continue
        i += 1
    if not files or not any(h for *_, h in files):
        raise ToolError("no hunks found: write a unified diff (--- a/path, +++ b/path, @@ ... @@ lines)")
    return files


def _find(lines: list[str], old: list[str], hint: int) -> int | None:
    """Where `old` occurs in `lines`, nearest to index `hint`."""
    if not old:
        return max(0, min(hint, len(lines)))
    n = len(old)
    starts = [i for i in range(len(lines) - n + 1) if lines[i : i + n] == old]
    return min(starts, key=lambda i: abs(i - hint)) if starts else None


def apply_diff(ws: Workspace, diff: str) -> list[str]:
    """Apply `diff` to the workspace; returns the changed paths. `ToolError` (nothing written) if any fails."""
    writes: dict[str, str | None] = {}
    for old_path, new_path, hunks in parse(diff):
        path = new_path or old_path
        if path is None:
            raise ToolError("a file section names /dev/null on both sides")
        target = ws.resolve(path, must_exist=False)
        rel = ws.rel(target)
        if old_path is None:
            if target.exists():
                raise ToolError(f"{path}: the diff creates it, but it exists")
            text = ""
        else:
            src = ws.resolve(old_path)
            if not src.is_file():
                raise ToolError(f"{old_path}: not a file")
            text = writes.get(rel) if rel in writes else src.read_text()
        lines = (text or "").split("\n")
        trailing = lines[-1] == ""
        body = lines[:-1] if trailing else lines
        offset = 0
        for k, (start, old, new) in enumerate(hunks, 1):
            at = _find(body, old, start - 1 + offset)
            if at is None:
                want = "\n".join(old[:6])
                raise ToolError(
                    f"{path}: hunk {k} (at line {start}) does not match the file; expected:\n{want}"
                )
            body[at : at + len(old)] = new
            offset += len(new) - len(old)
        writes[rel] = None if new_path is None else "\n".join(body) + ("\n" if trailing or not body else "")
    for rel, text in writes.items():
        p = ws.root / rel
        if text is None:
            p.unlink()
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        ws.edited.add(rel)
    return sorted(writes)
