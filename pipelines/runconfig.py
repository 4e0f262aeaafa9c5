"""`DIR/config.json`: what a data run was asked to do, so a rerun resumes the same run or is refused.

A run records its resolved settings (every flag that changes what it writes), the per-source byte caps of
its plan, its sources, the tokenizer it reuses (`--tokenizer DIR`, by hash) and the versions of the tools
that shape the output. A rerun into the same DIR with other settings would mix two runs' shards under one
set of completion markers, so it is refused with the settings that differ (as `cppllm.train --resume`
refuses another model config); other tool versions only warn.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
from importlib import metadata
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from cppllm.atomic import atomic_dir, write_text

# Flags that change how a run executes, not what it writes: free to differ on a rerun.
EXECUTION_ONLY = frozenset(
    {"executor", "workers", "dry_run", "quiet", "partition", "time", "cpus", "mem", "output"}
)
TOOLS = ("datatrove", "tokenizers", "tiktoken", "pyarrow", "datasets", "scancode-toolkit", "datasketch")


class ConfigMismatch(ValueError):
    """A rerun asked for other settings than the run already in its output folder."""


def tool_versions() -> dict[str, str]:
    from cppllm import __version__

    out = {"python": platform.python_version(), "cppllm": __version__}
    for name in TOOLS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def settings(args: argparse.Namespace) -> dict:
    """The flags that shape a run's output, as JSON values."""
    out = {}
    for k, v in sorted(vars(args).items()):
        if k in EXECUTION_ONLY:
            continue
        out[k] = [str(x) for x in v] if isinstance(v, list | tuple) else str(v) if isinstance(v, Path) else v
    return out


def tokenizer_hash(folder: Path) -> str:
    from cppllm.tokenizer.tokenizer import CppTokenizer

    return CppTokenizer.load(folder).hash()


def run_record(args: argparse.Namespace, *, milestone: str, sources: list, caps: dict[str, int]) -> dict:
    record = {
        "milestone": milestone,
        "settings": settings(args),
        "sources": [{"name": s.name, "spec": s.spec, "options": s.options} for s in sources],
        "caps": dict(sorted(caps.items())),
        "versions": tool_versions(),
    }
    if getattr(args, "tokenizer", None):
        record["tokenizer"] = {"from": str(args.tokenizer), "hash": tokenizer_hash(Path(args.tokenizer))}
    return record


def _differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    out = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k, "<unset>"), new.get(k, "<unset>")
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{k}.")
        elif a != b:
            out.append(f"{prefix}{k}: {a!r} -> {b!r}")
    return out


def check_or_write(out: Path, record: dict) -> list[str]:
    """Write `out/config.json`, or check a rerun against it. Returns warnings (other tool versions);
    raises `ConfigMismatch` when the settings, caps, sources or tokenizer differ."""
    path = out / "config.json"
    if path.is_file():
        old = json.loads(path.read_text())
        # JSON round trip: tuples become lists, keys strings, as in the file
        new = json.loads(json.dumps(record, default=str))
        diff = _differences(
            {k: v for k, v in old.items() if k != "versions"},
            {k: v for k, v in new.items() if k != "versions"},
        )
        if diff:
            raise ConfigMismatch(
                f"{path} holds a run with other settings; refusing to mix two runs in one folder "
                f"(rerun with the same flags to resume, or use another --output):\n  " + "\n  ".join(diff)
            )
        return [
            f"tool version differs from the first run: {d}"
            for d in _differences(old["versions"], new["versions"])
        ]
    out.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(record, indent=2, default=str) + "\n")
    return []


def reuse_tokenizer(source: str | Path, dest: str | Path) -> None:
    """Copy the tokenizer folder `source` to `dest` (atomically; an equal one already there is kept)."""
    src, dest = Path(source), Path(dest)
    if not (src / "tokenizer.json").is_file():
        raise FileNotFoundError(f"--tokenizer {src}: no tokenizer.json there")
    if (dest / "tokenizer.json").is_file():
        if tokenizer_hash(dest) != tokenizer_hash(src):
            raise ConfigMismatch(f"{dest} holds another tokenizer than --tokenizer {src}")
        return
    with atomic_dir(dest) as tmp:
        for f in src.iterdir():
            if f.is_file():
                shutil.copy2(f, tmp / f.name)


class TokenizerReuseStep(PipelineStep):
    """One task, in place of tokenizer training: copies `--tokenizer DIR` to `OUT/tokenizer`, so runs that
    share a tokenizer (M1 and M2 on M0's or M1's) write token ids a checkpoint of the other can read."""

    type = "🔢 - TOKENIZER"
    name = "🔤 tokenizer reused"

    def __init__(self, source: str | Path, dest: str | Path):
        super().__init__()
        self.source, self.dest = str(source), str(dest)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        reuse_tokenizer(self.source, self.dest)
        self.stat_update("reused")
        return
        yield
