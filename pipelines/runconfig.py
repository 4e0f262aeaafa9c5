"""The data run's settings (`DataRunConfig`) and `DIR/config.json`, so a rerun resumes the same run or is refused.

`DataRunConfig` is built once from the command line (`pipelines.cli`) and passed to every stage; its
defaults are the component configs' own (`FIMConfig`, `FilterConfig`, `NearDedupConfig`, the split's val
fraction, the tokenizer's vocabulary size), so a default is written in one place. A run records its resolved settings (every flag that changes what it writes), the per-source byte caps of
its plan, its sources, the tokenizer it reuses (`--tokenizer DIR`, by hash) and the versions of the tools
that shape the output. A rerun into the same DIR with other settings would mix two runs' shards under one
set of completion markers, so it is refused with the settings that differ (as `cppllm.train --resume`
refuses another model config); other tool versions only warn.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from cppllm.atomic import atomic_dir, write_text
from cppllm.layout import DataRunDir
from cppllm.pipeline.clean.filters import FilterConfig
from cppllm.pipeline.dedup.near import NearDedupConfig
from cppllm.pipeline.executors import SlurmSettings
from cppllm.pipeline.pretokenize.fim import FIMConfig
from cppllm.pipeline.split import DEFAULT_VAL_FRACTION
from cppllm.tokenizer.train import DEFAULT_MAX_CHARS, DEFAULT_VOCAB_SIZE

# Flags that change how a run executes, not what it writes: free to differ on a rerun.
EXECUTION_ONLY = frozenset(
    {"executor", "workers", "dry_run", "quiet", "partition", "time", "cpus", "mem", "output"}
)
TOOLS = ("datatrove", "tokenizers", "tiktoken", "pyarrow", "datasets", "scancode-toolkit", "datasketch")


@dataclass(frozen=True, kw_only=True)
class DataRunConfig:
    """Everything a data run was asked to do: the command line's flags, resolved. Field names are the flags'
    (`--fim-rate` -> `fim_rate`); `EXECUTION_ONLY` fields say how it runs, the rest what it writes."""

    milestone: str
    output: Path
    source: tuple[str, ...] | None = None  # None: the milestone's own sources
    # execution
    executor: str = "local"
    tasks: int = 4
    workers: int = 1
    partition: str = SlurmSettings.partition
    time: str = SlurmSettings.time
    cpus: int = SlurmSettings.cpus
    mem: int = SlurmSettings.mem_gb
    # subset and budget
    max_docs: int | None = None
    max_bytes: int | None = None
    token_budget: int | None = None
    calibrate: Path | None = None
    # normalize
    keep_indent: bool = False
    max_blank_lines: int = 2
    # quality filters (0 turns a check off)
    max_line_length: int = FilterConfig.max_line_length
    max_avg_line_length: float = FilterConfig.max_avg_line_length
    min_alphanum_fraction: float = FilterConfig.min_alphanum_fraction
    max_doc_chars: int = FilterConfig.max_chars
    autogen_scan_lines: int = FilterConfig.autogen_scan_lines
    # privacy
    privacy_action: str = "redact"
    max_secrets: int = 20
    keep_private_key_docs: bool = False
    ner_model: str | None = None
    # license
    license_policy: str = "record"
    no_license: bool = False
    # decontamination / near-dedup
    decontam: tuple[str, ...] = ()
    near_dedup: str = "off"
    near_dedup_threshold: float = NearDedupConfig.threshold
    # tokenizer / .bin
    vocab_size: int = DEFAULT_VOCAB_SIZE
    superwords: int = 0
    tokenizer: Path | None = None
    tokenizer_max_chars: int = DEFAULT_MAX_CHARS
    fim_rate: float = FIMConfig.fim_rate
    spm_rate: float = FIMConfig.spm_rate
    val_fraction: float = DEFAULT_VAL_FRACTION
    seed: int = 0
    stop_after: str = "bin"

    def __post_init__(self) -> None:
        object.__setattr__(self, "output", Path(self.output))
        if self.tasks < 1 or self.workers < 1:
            raise ValueError("--tasks and --workers must be >= 1")

    @classmethod
    def from_args(cls, args: argparse.Namespace, *, milestone: str) -> DataRunConfig:
        """The config of a parsed command line (flags the config does not know, e.g. `--dry-run`, are left)."""
        values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}
        for key in ("source", "decontam"):
            if values.get(key) is not None:
                values[key] = tuple(str(v) for v in values[key])
        return cls(milestone=milestone, **values)

    @property
    def dirs(self) -> DataRunDir:
        return DataRunDir(self.output.resolve())

    @property
    def slurm(self) -> SlurmSettings:
        return SlurmSettings(partition=self.partition, time=self.time, cpus=self.cpus, mem_gb=self.mem)

    @property
    def filters(self) -> FilterConfig:
        """The quality thresholds the `--max-line-length`-style flags describe (<= 0 turns a check off)."""

        def on(v):
            return v if v is not None and v > 0 else None

        return FilterConfig(
            max_line_length=on(self.max_line_length),
            max_avg_line_length=on(self.max_avg_line_length),
            min_alphanum_fraction=on(self.min_alphanum_fraction),
            max_chars=on(self.max_doc_chars),
            autogen_scan_lines=max(0, self.autogen_scan_lines),
        )

    @property
    def fim(self) -> FIMConfig:
        return FIMConfig(fim_rate=self.fim_rate, spm_rate=self.spm_rate, seed=self.seed)

    def settings(self) -> dict:
        """The fields that shape the run's output, as JSON values (`DIR/config.json`'s `settings`)."""
        out = {}
        for f in sorted(dataclasses.fields(self), key=lambda f: f.name):
            if f.name in EXECUTION_ONLY or f.name == "milestone":
                continue
            v = getattr(self, f.name)
            out[f.name] = (
                [str(x) for x in v]
                if isinstance(v, list | tuple)
                else str(v)
                if isinstance(v, os.PathLike)
                else v
            )
        return out


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


def tokenizer_hash(folder: Path) -> str:
    from cppllm.tokenizer.tokenizer import CppTokenizer

    return CppTokenizer.load(folder).hash()


def run_record(config: DataRunConfig, *, sources: list, caps: dict[str, int]) -> dict:
    """What `DIR/config.json` holds: the settings, the sources and their caps, the tools' versions."""
    record = {
        "milestone": config.milestone,
        "settings": config.settings(),
        "sources": [{"name": s.name, "spec": s.spec, "options": s.options} for s in sources],
        "caps": dict(sorted(caps.items())),
        "versions": tool_versions(),
    }
    if config.tokenizer:
        record["tokenizer"] = {"from": str(config.tokenizer), "hash": tokenizer_hash(Path(config.tokenizer))}
    return record


def _differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    out = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k, "<unset>"), new.get(k, "<unset>")
        if a in ("<unset>", None) and b in ("<unset>", None):  # a flag one milestone lacks, unset in both
            continue
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
