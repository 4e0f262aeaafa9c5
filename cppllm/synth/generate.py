"""Generate synthetic C++ documents with a teacher model: textbooks, exercises, Q&A.

    python -m cppllm.synth textbooks|exercises|qa --endpoint URL --model NAME --n N --out DIR

1. prompts `0..N-1` from the taxonomy (`cppllm.synth.taxonomy`);
2. one chat request each through datatrove's inference runner (`cppllm.synth.client`), as a local
   executor stage: `DIR/raw/` (answers), `DIR/logs/`, a request cache and checkpoints for resume. Prompts
   already generated in DIR are never requested again; a larger N only requests the new ones;
3. checks per kind: textbooks have every ```cpp block compile-checked (`g++ -fsyntax-only`, sandboxed) and
   are dropped under `--min-pass-rate`; exercises are parsed into problem/solution/tests and verified by
   execution (`cppllm.synth.verify`: builds, passes, ASan/UBSan-clean); Q&A pairs are parsed;
4. `DIR/docs/<kind>.jsonl`: pipeline documents (`text`, `id`, `source=synthetic-<kind>`, `generator`,
   topic/level/format) for the data pipeline (normalize, filters, PII, dedup, decontamination run there:
   `pipelines.m2`); `DIR/dropped.jsonl` (every drop with its `reason`); `DIR/stats.json` (counts by reason,
   tokens, throughput, diversity); exercises also `DIR/sft.jsonl` (`cppllm.synth.sft`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep

from cppllm.atomic import write_text
from cppllm.synth.client import ClientConfig
from cppllm.synth.taxonomy import Taxonomy
from cppllm.synth.verify import VerifyConfig

SOURCES = {"textbooks": "synthetic-textbooks", "exercises": "synthetic-exercises", "qa": "synthetic-qa"}


class GenerationError(RuntimeError):
    """The generation stage could not finish (server unreachable, DIR made with other settings, ...)."""


@dataclass(frozen=True, kw_only=True)
class GenerateConfig:
    kind: str
    n: int
    out: Path
    client: ClientConfig
    seed: int = 0
    taxonomy: str | None = None  # a user taxonomy.json (default: the packaged one)
    prompts: str | None = None  # user prompt templates
    min_pass_rate: float = 0.5  # textbooks: share of code blocks that must compile
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    records_per_chunk: int = 100
    docs_dir: Path | None = None  # where the documents go (default DIR/docs); must hold nothing else
    decontam: bool = True  # check every output against the eval sets (`cppllm.synth.decontam`)
    eval_files: tuple[str, ...] = ()  # `{"set", "text"}` JSONL of the eval sets (`write_eval_sets`)

    @property
    def docs_path(self) -> Path:
        return (self.docs_dir or self.out / "docs") / f"{self.kind}.jsonl"

    jobs: int | None = None  # compile/verify workers

    def spec(self) -> dict:
        """What makes two runs the same generation (DIR refuses a different one)."""
        tax = Taxonomy.load(self.taxonomy, self.prompts)
        digest = hashlib.sha256(json.dumps([tax.categories, tax.formats, tax.levels, tax.templates]).encode())
        return {
            "kind": self.kind,
            "model": self.client.model,
            "seed": self.seed,
            "generation": self.client.generation,
            "taxonomy_sha256": digest.hexdigest()[:16],
        }


class PromptReader(PipelineStep):
    """Documents for prompts `start..end-1` (this task's share): text = the user prompt, metadata = cell."""

    name = "🧾 synthetic prompts"
    type = "📖 - READER"

    def __init__(self, kind: str, start: int, end: int, seed: int, taxonomy=None, prompts=None):
        super().__init__()
        self.kind, self.start, self.end, self.seed = kind, start, end, seed
        self.name = f"🧾 {kind} prompts {start}..{end - 1}"
        self.taxonomy, self.prompts = taxonomy, prompts

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        tax = Taxonomy.load(self.taxonomy, self.prompts)
        for item in tax.prompts(self.kind, self.end, seed=self.seed, start=self.start):
            if item.index % world_size == rank:
                self.stat_update("prompts")
                yield Document(text=item.messages[-1]["content"], id=item.id, metadata=item.metadata())


def _check_spec(cfg: GenerateConfig, *, record: bool = True) -> None:
    """DIR holds this generation, or none yet (`record`: then say it does); else `GenerationError`."""
    path = cfg.out / "spec.json"
    spec = cfg.spec()
    if path.is_file():
        old = json.loads(path.read_text())
        if old != spec:
            diff = {k: (old.get(k), v) for k, v in spec.items() if old.get(k) != v}
            raise GenerationError(
                f"{cfg.out} holds a generation with other settings {diff} (was, now): use another --out"
            )
    elif record:
        cfg.out.mkdir(parents=True, exist_ok=True)
        write_text(path, json.dumps(spec, indent=2, sort_keys=True))


def prompt_ranges(cfg: GenerateConfig, *, record: bool = True) -> list[tuple[int, int]]:
    """The prompt ranges of DIR: those of earlier runs, then `covered..n` when `n` grew (`record`: written
    to `DIR/ranges.json`, so a rerun finds the same stages). Each range is one generation stage."""
    _check_spec(cfg, record=record)
    path = cfg.out / "ranges.json"
    ranges = [tuple(r) for r in json.loads(path.read_text())] if path.is_file() else []
    covered = max((e for _, e in ranges), default=0)
    if cfg.n > covered:
        ranges.append((covered, cfg.n))
        if record:
            write_text(path, json.dumps([list(r) for r in ranges]))
    return ranges


def _tag(start: int, end: int) -> str:
    return f"{start:07d}_{end:07d}"


def _stage_name(cfg: GenerateConfig, start: int, end: int) -> str:
    """The stage (and its logs folder, and Slurm job) of prompts `start..end-1`."""
    return f"generate_{cfg.kind}_{_tag(start, end)}"


def generation_stages(
    cfg: GenerateConfig, tasks: int = 1, *, record: bool = True
) -> list[tuple[str, list[PipelineStep], int, Path]]:
    """The generation stages of DIR, one per prompt range: `(name, pipeline, tasks, logs folder)` for a
    DataTrove executor, local (`generate_raw`) or Slurm (a data run's chain: `pipelines.synthetic`). The
    logs (completion markers) and the runner's checkpoints live in DIR, so a finished range is skipped and
    a killed task resumes whichever way the stage runs."""
    from datatrove.pipeline.writers import JsonlWriter

    from cppllm.synth.client import SynthInferenceRunner, chat_rollout

    stages = []
    for start, end in prompt_ranges(cfg, record=record):
        if start >= cfg.n:  # recorded by a larger --n that never ran (or was refused): not needed now
            continue
        tag = _tag(start, end)
        runner = SynthInferenceRunner(
            chat_rollout,
            cfg.client,
            JsonlWriter(
                str(cfg.out / "raw"),
                output_filename=f"{tag}_${{rank}}_chunk_${{chunk_index}}.jsonl",
                compression=None,
            ),
            checkpoints_local_dir=str(cfg.out / "work" / f"checkpoints_{tag}"),
            records_per_chunk=cfg.records_per_chunk,
            total=-(-(end - start) // tasks),
        )
        reader = PromptReader(cfg.kind, start, end, cfg.seed, cfg.taxonomy, cfg.prompts)
        stages.append((_stage_name(cfg, start, end), [reader, runner], tasks, cfg.out / "logs"))
    return stages


def generate_raw(cfg: GenerateConfig, tasks: int = 1) -> dict[str, Any]:
    """Run the generation stages for the prompts DIR does not hold yet; returns this run's request stats."""
    from datatrove.executor import LocalPipelineExecutor

    from cppllm.synth.client import ServerUnavailable, wait_for_server

    stats: Counter = Counter()
    start_t = time.monotonic()
    for name, pipeline, n_tasks, logs in generation_stages(cfg, tasks):
        ex = LocalPipelineExecutor(pipeline=pipeline, tasks=n_tasks, workers=1, logging_dir=str(logs / name))
        if ex.get_incomplete_ranks():  # finished ranges are skipped by their completion markers
            try:
                wait_for_server(cfg.client)
            except ServerUnavailable as e:
                raise GenerationError(str(e)) from e
        prompts = f"{cfg.kind} prompts {pipeline[0].start}..{pipeline[0].end - 1}"
        try:
            ex.run()
        except Exception as e:
            raise GenerationError(f"generation of {prompts} failed: {_root_cause(e)}") from e
        if ex.get_incomplete_ranks():
            raise GenerationError(f"generation of {prompts} did not finish; rerun to resume")
        stats.update(_runner_stats(logs / name))
    stats["wall_seconds"] = round(time.monotonic() - start_t, 3)
    return dict(stats)


def runner_stats(cfg: GenerateConfig) -> dict[str, Any]:
    """Request counters of every generation stage of DIR (all runs), from the stages' stats files."""
    stats: Counter = Counter()
    for start, end in prompt_ranges(cfg, record=False):
        stats.update(_runner_stats(cfg.out / "logs" / _stage_name(cfg, start, end)))
    return dict(stats)


class CollectStep(PipelineStep):
    """One task after the generation stages of a data run: `collect` (checks, decontamination, documents
    into the folder the run reads, `DIR/stats.json`)."""

    type = "🧪 - SYNTHETIC"
    name = "🧪 synthetic checks"

    def __init__(self, cfg: GenerateConfig):
        super().__init__()
        self.cfg = cfg
        self.name = f"🧪 {cfg.kind}: checks, decontamination -> {cfg.docs_path}"

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        from cppllm.synth.collect import collect

        requests = {**runner_stats(self.cfg), "scope": "every generation stage of DIR, all runs"}
        stats = collect(self.cfg, requests)
        self.stat_update("kept", value=stats["kept"])
        for reason, n in stats["by_reason"].items():
            self.stat_update(f"drop_{reason}", value=n)
        return
        yield


def _root_cause(e: BaseException) -> str:
    while e.__cause__ is not None or (e.__context__ is not None and not e.__suppress_context__):
        e = e.__cause__ or e.__context__
    return f"{type(e).__name__}: {e}"


def _runner_stats(logs: Path) -> Counter:
    """Request counters of the stage's tasks (datatrove stats files)."""
    out: Counter = Counter()
    for f in sorted((logs / "stats").glob("*.json")):
        for step in json.loads(f.read_text()):
            for k, v in step.get("stats", {}).items():
                if k in ("successful_requests", "retried_requests", "prompt_tokens", "completion_tokens"):
                    out[k] += int(v["total"] if isinstance(v, dict) else v)
                if k == "inference_time" and isinstance(v, dict):
                    out["inference_seconds"] += float(v.get("total", 0))
    return out


def read_raw(out: Path, n: int) -> list[dict]:
    """The generated records of prompts `0..n-1`, in prompt order (a torn last line of a killed run is skipped)."""
    rows: dict[str, dict] = {}
    for f in sorted((out / "raw").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            rows[rec["id"]] = rec
    return [rows[k] for k in sorted(rows) if int(k.rsplit("-", 1)[1]) < n]
