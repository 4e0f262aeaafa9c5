"""The plan of a milestone data run, before anything is downloaded: what `make data-m1 DRY_RUN=1` prints.

For each source of the milestone's mixture: its weight, the tokens the budget asks of it, what it holds
(estimated), how many times it would repeat, what it downloads and extracts, and how many tasks read it.
Then the pipeline's steps and the disk the run needs: raw downloads (tarballs, the hydration cache of
metadata-only datasets), extracted trees (C/C++ files only), the parquet documents and the `.bin/.idx`
tokens. Every size is an estimate from `pipelines.sources` (labelled approx), scaled by a bytes-per-token
ratio that `--calibrate DIR` measures on a finished run's `manifest.json`.

    python -m pipelines.plan m1 [--output data/m1] [--calibrate data/m0] [--json]

(the command is `pipelines/plan/__main__.py`: it builds the run's stages, which read this plan's caps.)
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.sources import (
    BYTES_PER_TOKEN,
    MAX_EPOCHS,
    HubSource,
    LocalSource,
    Milestone,
    Subtree,
    Tarball,
    get_milestone,
    parent_tarball,
)

KEEP_FRACTION = 0.75  # estimate: share of read bytes left after filters and dedup (see DIR/stats.json)
PARQUET_RATIO = 0.35  # estimate: parquet (compressed) bytes per byte of kept text
TOKEN_BYTES = 2  # uint16 tokens in the .bin for vocabularies below 65,536
TASK_BYTES = 512 * 10**6  # read bytes per task: one task stays minutes long, not hours
DEFAULT_STEPS = (
    "read (one reader per source; tarballs downloaded, sha256-checked, safely extracted once)",
    "relabel subtrees (libstdc++ inside GCC -> libstdcxx, libc++ inside LLVM -> libcxx)",
    "normalize (C++ whitespace, literals byte-exact)",
    "filters (generated, encoded data, size bounds, binary, undecodable)",
    "PII + secrets (redact)",
    "license (SPDX tags, headers, license files; policy)",
    "exact dedup (hash of normalized text, all sources)",
    "near dedup (MinHash 5-gram shingles, J >= 0.7, curated sources win)",
    "parquet writer (DIR/docs)",
    "tokenizer training (DIR/tokenizer)",
    "FIM + .bin/.idx writer, repo-grouped train/val split (DIR/bin, DIR/manifest.json)",
)


@dataclass(kw_only=True)
class SourcePlan:
    name: str
    kind: str  # hub | tarball | subtree | local
    weight: float
    tokens_needed: int  # weight x budget (with repeats)
    tokens_available: int | None  # after filters, estimated; None = unknown
    read_bytes: int  # bytes read from the source for this run (estimated: min(cap, what it holds))
    cap_bytes: int  # the most the run's reader takes from it: its share of the budget (`share_bytes`)
    epochs: float | None  # tokens_needed / tokens_available
    version: str = ""
    origin: str = ""  # URL, Hub id or local path
    sha256: str | None = None
    gated: bool = False
    license: str = ""
    tasks: int = 1
    notes: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Plan:
    milestone: str
    preset: str
    params: int
    tokens_per_param: float
    token_budget: int
    bytes_per_token: float
    bytes_per_token_measured: bool
    sources: list[SourcePlan]
    steps: tuple[str, ...]
    disk: dict[str, int]
    output: str
    free_bytes: int | None
    warnings: list[str]

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def measured_bytes_per_token(run_dir: str | os.PathLike) -> float:
    """Bytes per token of a finished pipeline run (`DIR/manifest.json`, train + val)."""
    path = Path(run_dir) / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: --calibrate needs a finished run (e.g. make data-m0)")
    splits = json.loads(path.read_text())["splits"]
    tokens = sum(s["tokens"] for s in splits.values())
    if tokens == 0:
        raise ValueError(f"{path}: no tokens, cannot calibrate")
    return sum(s["bytes"] for s in splits.values()) / tokens


def share_bytes(tokens: int, bytes_per_token: float) -> int:
    """Source bytes to read for `tokens` tokens after filters and dedup: the per-source cap of a run."""
    return math.ceil(tokens * bytes_per_token / KEEP_FRACTION)


def _tasks(read_bytes: int) -> int:
    return max(1, math.ceil(read_bytes / TASK_BYTES))


def source_plan(m: Milestone, name: str, bytes_per_token: float) -> SourcePlan:
    """How much of `name` the milestone takes, and what that costs."""
    weight = m.weights[name]
    needed = int(weight * m.token_budget)
    cap = share_bytes(needed, bytes_per_token)
    src = next(s for s in m.sources() if s.name == name)
    if isinstance(src, HubSource):
        available = (
            int(src.approx_cpp_bytes * KEEP_FRACTION / bytes_per_token) if src.approx_cpp_bytes else None
        )
        # Streamed: each task stops at its share of the cap; a smaller source is read whole (one pass).
        read = min(cap, src.approx_cpp_bytes) if src.approx_cpp_bytes else cap
        sp = SourcePlan(
            name=name,
            kind="hub",
            weight=weight,
            tokens_needed=needed,
            tokens_available=available,
            read_bytes=read,
            cap_bytes=cap,
            epochs=needed / available if available else None,
            origin=src.hub_id,
            gated=src.gated,
            license=src.license,
        )
        if available is None:
            sp.notes.append("size not published: the run streams until its share is met")
        if src.hydrated:
            sp.notes.append("text fetched from GitHub (set GITHUB_TOKEN; cached on disk)")
    elif isinstance(src, Tarball | Subtree):
        tar = src if isinstance(src, Tarball) else parent_tarball(name)
        cpp = src.own_cpp_bytes if isinstance(src, Tarball) else src.approx_cpp_bytes
        available = int(cpp * KEEP_FRACTION / bytes_per_token)
        sp = SourcePlan(
            name=name,
            kind="tarball" if isinstance(src, Tarball) else "subtree",
            weight=weight,
            tokens_needed=needed,
            tokens_available=available,
            read_bytes=min(cpp, cap),  # the cap is a deterministic subset of the tree's files
            cap_bytes=cap,
            epochs=needed / available,
            version=tar.version,
            origin=tar.url if isinstance(src, Tarball) else f"{tar.name} tarball, {src.prefix}",
            sha256=tar.sha256,
            license=src.license,
        )
        if tar.sha256 is None:
            sp.notes.append("no sha256 pinned: download unverified")
    elif isinstance(src, LocalSource):
        present = src.present_bytes()
        available = int(present * KEEP_FRACTION / bytes_per_token) if present else None
        sp = SourcePlan(
            name=name,
            kind="local",
            weight=weight,
            tokens_needed=needed,
            tokens_available=available,
            read_bytes=min(present or 0, cap),
            cap_bytes=cap,
            epochs=needed / available if available else None,
            origin=src.path,
            license=src.license,
        )
        if present is None:
            least = needed / MAX_EPOCHS * bytes_per_token / KEEP_FRACTION  # text for <= MAX_EPOCHS repeats
            sp.notes.append(
                f"MISSING: put jsonl/parquet (a `text` column) under {src.path}: "
                f"at least ~{_size(least)} of text for <= {MAX_EPOCHS:g} epochs"
            )
    else:  # pragma: no cover - the catalog has no other kinds
        raise TypeError(f"unknown source kind {type(src).__name__}")
    sp.tasks = _tasks(sp.read_bytes)
    return sp


def disk_needed(m: Milestone, plans: list[SourcePlan], bytes_per_token: float) -> dict[str, int]:
    """Bytes on disk, by kind: raw downloads, extracted trees, parquet docs, .bin/.idx tokens."""
    raw = extracted = 0
    seen: set[str] = set()
    for p, src in zip(plans, m.sources(), strict=True):
        tar = src if isinstance(src, Tarball) else parent_tarball(p.name)
        if tar is not None:
            if tar.url not in seen:  # one archive serves the tree and its subtrees
                seen.add(tar.url)
                raw += tar.approx_archive_bytes
                extracted += tar.approx_cpp_bytes  # extraction writes the C/C++ files only
        elif isinstance(src, HubSource) and src.hydrated:
            raw += p.read_bytes  # the hydration cache keeps every fetched file
    kept = sum(p.read_bytes for p in plans) * KEEP_FRACTION
    docs = int(kept * PARQUET_RATIO)
    tokens = int(kept / bytes_per_token)
    bins = tokens * TOKEN_BYTES + 16 * int(kept / 8000)  # + index entries (~8 KB per document)
    disk = {"raw": raw, "extracted": extracted, "docs": docs, "bin": bins}
    disk["total"] = sum(disk.values())
    return disk


def reader_caps(plan: Plan) -> dict[str, int]:
    """The byte budget of each reader of the run (`byte_budget`): a source's cap, with a subtree's added to
    its parent tarball's (one read of the archive feeds both). The tarball's cap selects a deterministic
    subset of its files, so it only bites when the budget wants less than the whole tree."""
    caps: dict[str, int] = {}
    for p in plan.sources:
        parent = parent_tarball(p.name)
        key = parent.name if parent is not None else p.name
        caps[key] = caps.get(key, 0) + p.cap_bytes
    return caps


def build_plan(
    milestone: str | Milestone,
    *,
    output: str | os.PathLike | None = None,
    bytes_per_token: float | None = None,
    steps: tuple[str, ...] | None = None,
) -> Plan:
    m = get_milestone(milestone) if isinstance(milestone, str) else milestone
    measured = bytes_per_token is not None
    bpt = bytes_per_token or BYTES_PER_TOKEN
    plans = [source_plan(m, n, bpt) for n, _ in m.mixture]
    disk = disk_needed(m, plans, bpt)
    out = str(output or f"data/{m.name}")
    probe = Path(out)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free if probe.exists() else None
    warnings = []
    for p in plans:
        if p.epochs is not None and p.epochs > MAX_EPOCHS:
            warnings.append(
                f"{p.name}: {p.epochs:.1f} epochs > {MAX_EPOCHS:g} (weight {p.weight:g} is too high for its size)"
            )
        warnings += [f"{p.name}: {n}" for n in p.notes if n.startswith("MISSING")]
    if free is not None and free < disk["total"]:
        warnings.append(f"{_size(free)} free under {probe} < {_size(disk['total'])} needed")
    return Plan(
        milestone=m.name,
        preset=m.preset,
        params=m.params,
        tokens_per_param=m.tokens_per_param,
        token_budget=m.token_budget,
        bytes_per_token=bpt,
        bytes_per_token_measured=measured,
        sources=plans,
        steps=steps if steps is not None else DEFAULT_STEPS,
        disk=disk,
        output=out,
        free_bytes=free,
        warnings=warnings,
    )


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError


def _count(n: float | None) -> str:
    if n is None:
        return "?"
    for unit, div in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.2f}{unit}"
    return f"{n:.0f}"


def format_plan(plan: Plan) -> str:
    """The plan as the text `--dry-run` prints."""
    from cppllm.pipeline.license.tagger import license_workers

    bpt = f"{plan.bytes_per_token:.2f} bytes/token ({'measured' if plan.bytes_per_token_measured else 'estimate'})"
    lines = [
        f"Plan for {plan.milestone} -> {plan.output} (dry run: nothing is downloaded or written)",
        f"  model     {plan.preset}: {_count(plan.params)} parameters",
        f"  budget    {_count(plan.token_budget)} tokens = {plan.tokens_per_param:g} tokens/parameter "
        f"(Chinchilla) x {_count(plan.params)}",
        f"  sizes     approx (hand estimates), {bpt}, {KEEP_FRACTION:.0%} kept after filters + dedup",
        "",
        f"{'source':<31} {'kind':<8} {'weight':>7} {'tokens':>8} {'avail':>8} {'epochs':>6} "
        f"{'cap':>9} {'read':>9} {'tasks':>5}  origin",
    ]
    for p in plan.sources:
        epochs = f"{p.epochs:.2f}" if p.epochs is not None else "?"
        origin = p.origin + (f" @ {p.version}" if p.version and p.kind == "tarball" else "")
        lines.append(
            f"{p.name:<31} {p.kind:<8} {p.weight:>7.2%} {_count(p.tokens_needed):>8} "
            f"{_count(p.tokens_available):>8} {epochs:>6} {_size(p.cap_bytes):>9} {_size(p.read_bytes):>9} "
            f"{p.tasks:>5}  {origin}"
        )
        extra = [f"license {p.license}"]
        if p.kind == "tarball":
            extra.append(f"sha256 {p.sha256[:12]}..." if p.sha256 else "sha256 not pinned")
        if p.gated:
            extra.append("gated: accept the terms on the Hub and set HF_TOKEN")
        lines.append(f"{'':<31} {'; '.join(extra + p.notes)}")
    lines += ["", "steps:"] + [f"  {i}. {s}" for i, s in enumerate(plan.steps, 1)]
    total_tasks = sum(p.tasks for p in plan.sources)
    workers = license_workers(os.cpu_count() or 1)
    lines += [
        "",
        f"tasks: {total_tasks} read tasks suggested by size (the tasks column, <= {_size(TASK_BYTES)} each; "
        f"`--tasks N` sets the tasks per stage); workers that fit this machine: {workers} "
        "(license scanning needs ~1.75 GB per worker)",
        "",
        "disk needed (approx):",
        f"  raw downloads + hydration cache {_size(plan.disk['raw']):>10}",
        f"  extracted trees (C/C++ only)    {_size(plan.disk['extracted']):>10}",
        f"  documents (parquet)             {_size(plan.disk['docs']):>10}",
        f"  tokens (.bin/.idx)              {_size(plan.disk['bin']):>10}",
        f"  total                           {_size(plan.disk['total']):>10}"
        + (f"   (free at {plan.output}: {_size(plan.free_bytes)})" if plan.free_bytes is not None else ""),
    ]
    if plan.warnings:
        lines += ["", "warnings:"] + [f"  ! {w}" for w in plan.warnings]
    return "\n".join(lines)


def chain_steps(chain: list) -> tuple[str, ...]:
    """One line per stage of an executor chain (`pipelines.cli.build_executors`): `stage (N tasks): step ->
    step`, the per-source read stages folded into one line (their steps after the reader are the same)."""
    lines, process, at = [], [], 0
    for ex in chain:
        stage = Path(ex.logging_dir.path).name
        names = [str(getattr(s, "name", s)) for s in ex.pipeline]
        tasks = f"{ex.world_size} task{'s' if ex.world_size != 1 else ''}"
        if stage.startswith("process_"):
            at = len(lines) if not process else at  # where the read stages run (after input stages)
            process.append((stage, tasks, names))
        else:
            lines.append(f"{stage} ({tasks}): {' -> '.join(names)}")
    if process:
        readers = sorted({names[0] for _, _, names in process})
        tail = process[0][2][1:]
        lines.insert(
            at,
            f"process_NN x {len(process)} sources ({process[0][1]} each): "
            f"{' | '.join(readers)} -> {' -> '.join(tail)}",
        )
    return tuple(lines)


def chain_caps(chain: list) -> dict[str, int | None]:
    """The byte cap each read stage's reader was built with (`byte_budget`, or a tree's `max_bytes`)."""
    out = {}
    for ex in chain:
        stage = Path(ex.logging_dir.path).name
        if stage.startswith("process_"):
            reader = ex.pipeline[0]
            cap = getattr(reader, "byte_budget", None)
            out[stage] = cap if cap is not None else getattr(reader, "max_bytes", None)
    return out


def format_chain_caps(chain: list) -> str:
    lines = ["reader caps (what the run's readers are built with; row sources: each task reads cap / tasks):"]
    for stage, cap in chain_caps(chain).items():
        lines.append(f"  {stage:<44} {'whole source' if cap is None else f'{cap:,} bytes':>22}")
    return "\n".join(lines)


def run_plan(
    m: Milestone, *, output: str | os.PathLike | None, token_budget: int | None, calibrate: str | None
) -> Plan:
    """The plan of a run of `m` (`--token-budget`, `--calibrate`), without building its stages."""
    from dataclasses import replace

    bpt = measured_bytes_per_token(calibrate) if calibrate else None
    m = replace(m, budget_tokens=token_budget) if token_budget is not None else m
    return build_plan(m, output=output, bytes_per_token=bpt, steps=())
