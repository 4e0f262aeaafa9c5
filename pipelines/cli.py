"""The one CLI behind every milestone pipeline (`python -m pipelines.m0|m1|m2`).

A run is a chain of DataTrove executors, local or Slurm (one job array per stage, chained by `depends=`):

    process_*  (N tasks per source)  read -> normalize -> filters -> PII/secrets -> license
                                     [-> decontamination] -> exact-dedup signatures -> work/filtered
    exact_find (N tasks)             per hash bucket: which copies of identical texts go
    dedup      (N tasks)             exact-dedup filter [-> MinHash near-dedup stages] -> DIR/docs
    tokenizer  (1 task)              BPE training on DIR/docs -> DIR/tokenizer
    bin        (N tasks, then 1)     FIM + .bin/.idx shards, merged -> DIR/bin, DIR/manifest.json
    summary    (1 task)              DIR/stats.json (+ the summary table printed at the end)

Per-document stages are listed in `pipelines.stages.data_steps`; stages that span tasks are added in
`build_executors` below, one marked block each. Completed tasks are skipped on a rerun (DataTrove's
completion markers) and every output is written atomically, so a killed run resumes and gives the same
bytes. `DIR/config.json` records the run's settings, per-source caps and tool versions; a rerun with
other settings is refused (`pipelines.runconfig`). `--dry-run` prints the sbatch scripts (Slurm) or the
stage list (local) and runs nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from datatrove.pipeline.base import PipelineStep


@dataclass(frozen=True, kw_only=True)
class SourceSpec:
    """One source of a milestone: `make_reader(spec, **options)`, with a name for logs and stats."""

    name: str
    spec: str | None
    options: dict = field(default_factory=dict)
    weight: float | None = None  # mixture weight, where the milestone has one


@dataclass(frozen=True, kw_only=True)
class MilestoneDef:
    name: str
    sources: Callable[[], list[SourceSpec]]  # the milestone's default sources (resolved lazily)
    near_dedup: str = "off"
    description: str = ""
    source_priority: dict = field(default_factory=dict)
    extra_steps: Callable[[], list[PipelineStep]] | None = None  # after the reader (e.g. relabelling)
    not_yet: Callable[[argparse.Namespace], str | None] | None = None  # a missing capability, if any
    # (source name, weight) pairs: one .bin per source under DIR/bin/<name>/, weighted by the loader
    mixture: Callable[[], list[tuple[str, float]]] | None = None
    # bytes each default source's reader may take (its share of the token budget, `pipelines.plan`)
    caps: Callable[[argparse.Namespace], dict[str, int]] | None = None
    superwords: int = 0  # default --superwords (SuperBPE stage-2 tokens of the tokenizer)
    # this milestone's own flags, and the stages that make its inputs before they are read (synthetic data:
    # `pipelines.synthetic`): `input_stages(args)` -> [(name, pipeline, tasks, logs folder or None)]
    add_args: Callable[[argparse.ArgumentParser], None] | None = None
    input_stages: Callable[[argparse.Namespace], list[tuple]] | None = None


def build_parser(m: MilestoneDef) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m pipelines.{m.name}", description=m.description)
    a = p.add_argument
    a("--output", type=Path, default=Path(f"data/{m.name}"), help="output folder (docs/, stats.json, ...)")
    a("--source", action="append", default=None, metavar="NAME_OR_PATH",
      help="source to read (repeatable): an HF source name, a directory, a tarball/URL, a .jsonl/.parquet "
      "file or folder, or 'embedded' (default: the milestone's sources)")  # fmt: skip
    a("--executor", choices=("local", "slurm"), default="local", help="DataTrove executor")
    a("--tasks", type=int, default=4, help="tasks per parallel stage (shards of the input)")
    a("--workers", type=int, default=os.cpu_count() or 1, help="local executor: tasks run at once")
    a("--max-docs", type=int, default=None, help="take a deterministic subset of this many documents")
    a("--max-bytes", type=int, default=None, help="take a deterministic subset of about this many bytes")
    if m.caps is not None:
        g = p.add_argument_group("token budget (each source is read up to its share: pipelines.plan)")
        g.add_argument(
            "--token-budget",
            type=int,
            default=None,
            help="tokens of the run (default: 20 x the preset's params)",
        )
        g.add_argument(
            "--calibrate",
            type=Path,
            default=None,
            metavar="DIR",
            help="bytes/token of the caps measured on a finished run's DIR/manifest.json (default: an estimate)",
        )
    g = p.add_argument_group("normalize")
    g.add_argument("--keep-indent", action="store_true", help="keep leading indentation")
    g.add_argument("--max-blank-lines", type=int, default=2, help="longest run of blank lines kept (-1: all)")
    g = p.add_argument_group("quality filters (StarCoder thresholds; 0 turns a check off)")
    g.add_argument("--max-line-length", type=int, default=1000, help="drop files with a longer line")
    g.add_argument("--max-avg-line-length", type=float, default=100.0, help="drop files above this mean")
    g.add_argument("--min-alphanum-fraction", type=float, default=0.25, help="drop files below this fraction")
    g.add_argument("--max-doc-chars", type=int, default=1_000_000, help="drop larger files")
    g.add_argument("--autogen-scan-lines", type=int, default=10, help="lines searched for generated markers")
    g = p.add_argument_group("PII / secrets")
    g.add_argument(
        "--privacy-action",
        choices=("redact", "drop", "off"),
        default="redact",
        help="what to do with PII/secrets",
    )
    g.add_argument("--max-secrets", type=int, default=20, help="drop documents with more secrets than this")
    g.add_argument(
        "--keep-private-key-docs", action="store_true", help="redact private keys instead of dropping the doc"
    )
    g.add_argument(
        "--ner-model", default=None, help="local token-classification model for names (StarPII-style)"
    )
    g = p.add_argument_group("license")
    g.add_argument("--license-policy", default="record", help="record | permissive | allowlist:FILE")
    g.add_argument(
        "--no-license", action="store_true", help="skip license detection (no ScanCode index load)"
    )
    g = p.add_argument_group("decontamination / near-dedup")
    g.add_argument(
        "--decontam",
        action="append",
        default=[],
        metavar="JSONL",
        help="eval prompt files to decontaminate against (repeatable)",
    )
    g.add_argument(
        "--near-dedup",
        choices=("datatrove", "datasketch", "off"),
        default=m.near_dedup,
        help="MinHash near-dedup backend",
    )
    g.add_argument("--near-dedup-threshold", type=float, default=0.7, help="Jaccard threshold of near-dedup")
    g = p.add_argument_group("tokenizer / .bin")
    g.add_argument("--vocab-size", type=int, default=32000, help="tokenizer vocabulary size")
    g.add_argument(
        "--superwords",
        type=int,
        default=m.superwords,
        help="superword tokens of a second BPE stage, within --vocab-size (SuperBPE; 0: none)",
    )
    g.add_argument(
        "--tokenizer",
        type=Path,
        default=None,
        metavar="DIR",
        help="reuse this tokenizer (a folder with tokenizer.json, e.g. data/m0/tokenizer) instead of training one",
    )
    g.add_argument(
        "--tokenizer-max-chars", type=int, default=2_000_000_000, help="tokenizer training budget (chars)"
    )
    g.add_argument("--fim-rate", type=float, default=0.5, help="share of documents in FIM format")
    g.add_argument("--spm-rate", type=float, default=0.5, help="share of FIM documents in SPM order")
    g.add_argument(
        "--val-fraction", type=float, default=0.01, help="share of repositories held out for validation"
    )
    g.add_argument("--seed", type=int, default=0, help="seed of FIM and the split")
    g.add_argument(
        "--stop-after", choices=("docs", "tokenizer", "bin"), default="bin", help="last stage to run"
    )
    g = p.add_argument_group("Slurm")
    g.add_argument("--partition", default="cpu", help="Slurm partition")
    g.add_argument("--time", default="12:00:00", help="Slurm time limit per job")
    g.add_argument("--cpus", type=int, default=1, help="Slurm CPUs per task")
    g.add_argument(
        "--mem", type=int, default=4, help="Slurm memory per CPU in GB (license: ~1.5 GB per worker)"
    )
    if m.add_args is not None:
        m.add_args(p)
    a("--dry-run", action="store_true", help="print the stage list / sbatch scripts and run nothing")
    a("--quiet", action="store_true", help="no summary table")
    return p


def _sources(args: argparse.Namespace, m: MilestoneDef) -> list[SourceSpec]:
    if not args.source:
        return m.sources()
    out = []
    for i, s in enumerate(args.source):
        name = "embedded" if s in (None, "", "embedded") else Path(str(s).rstrip("/")).name or f"source{i}"
        out.append(SourceSpec(name=name, spec=None if s == "embedded" else s))
    return out


def _reader(src: SourceSpec, args: argparse.Namespace, caps: dict[str, int]):
    from cppllm.pipeline.readers.registry import make_reader

    opts = dict(src.options)
    if src.name in caps:
        opts["byte_budget"] = caps[src.name]
    if args.max_docs is not None:
        opts["max_docs"] = args.max_docs
    if args.max_bytes is not None:
        opts["max_bytes"] = args.max_bytes
    return make_reader(src.spec, **opts)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60]


def executor_factory(args: argparse.Namespace, logs: str) -> Callable:
    """`make(pipeline, *, tasks, name, depends)` -> a local or Slurm executor logging to `logs/<name>`."""
    if args.executor == "slurm":
        from datatrove.executor import SlurmPipelineExecutor

        def make(pipeline, *, tasks: int, name: str, depends=None):
            return SlurmPipelineExecutor(
                pipeline=pipeline,
                tasks=tasks,
                time=args.time,
                partition=args.partition,
                cpus_per_task=args.cpus,
                mem_per_cpu_gb=args.mem,
                job_name=f"cppllm-{name}",
                logging_dir=f"{logs}/{name}",
                venv_path=str(Path(sys.prefix) / "bin" / "activate"),
                depends=depends,
            )

        return make
    from datatrove.executor import LocalPipelineExecutor

    def make(pipeline, *, tasks: int, name: str, depends=None):
        return LocalPipelineExecutor(
            pipeline=pipeline,
            tasks=tasks,
            workers=min(args.workers, tasks),
            logging_dir=f"{logs}/{name}",
            depends=depends,
        )

    return make


def _parquet_reader(folder: Path):
    """datatrove's ParquetReader over our shards, without the `file_path` metadata it adds by default
    (an absolute path would make the output depend on where it was written)."""
    from datatrove.pipeline.readers import ParquetReader

    reader = ParquetReader(str(folder), glob_pattern="*.parquet")
    reader.add_file_path = False
    return reader


def run_caps(args: argparse.Namespace, m: MilestoneDef) -> dict[str, int]:
    """Per-source byte caps of this run (none with `--source`, which replaces the milestone's sources)."""
    return m.caps(args) if m.caps is not None and not args.source else {}


def build_executors(args: argparse.Namespace, m: MilestoneDef) -> list:
    """The chain of executors of a run, in order (each depends on the one before)."""
    from cppllm.pipeline.dedup.exact import ExactDedupFilter, ExactDedupFind, ExactDedupSignature
    from cppllm.pipeline.shards import ShardWriter
    from pipelines.stages import SummaryStep, TokenizerTrainStep, data_steps

    out: Path = args.output.resolve()
    make = executor_factory(args, str(out / "logs"))
    work = out / "work"
    chain: list = []

    def add(pipeline: list[PipelineStep], *, tasks: int, name: str):
        chain.append(make(pipeline, tasks=tasks, name=name, depends=chain[-1] if chain else None))

    # --- stages that make the run's inputs first (synthetic data: pipelines/synthetic.py)
    for name, pipeline, tasks, logs in m.input_stages(args) if m.input_stages else ():
        make_in = executor_factory(args, str(logs)) if logs else make
        chain.append(make_in(pipeline, tasks=tasks, name=name, depends=chain[-1] if chain else None))
    # --- read -> per-document steps -> exact-dedup signatures: one stage per source
    caps = run_caps(args, m)
    for i, src in enumerate(_sources(args, m)):
        reader = _reader(src, args, caps)
        steps = data_steps(args, reader=reader, audit_dir=str(out / "audit"))
        if m.extra_steps:
            steps[1:1] = m.extra_steps()
        steps += [
            ExactDedupSignature(work / "exact", prefix=f"{i:02d}", source_priority=m.source_priority),
            ShardWriter(str(work / "filtered"), prefix=f"{i:02d}_", progress=args.executor == "local"),
        ]
        add(steps, tasks=args.tasks, name=f"process_{i:02d}_{_safe(src.name)}")
    # --- exact dedup: which copies go (one task per hash bucket)
    add([ExactDedupFind(work / "exact")], tasks=args.tasks, name="exact_find")
    # --- exact dedup filter [-> near dedup] -> DIR/docs
    filtered = _parquet_reader(work / "filtered")
    if args.near_dedup == "off":
        add(
            [filtered, ExactDedupFilter(work / "exact"), ShardWriter(str(out / "docs"))],
            tasks=args.tasks,
            name="dedup",
        )
    else:
        from cppllm.pipeline.dedup.near import NearDedupConfig
        from cppllm.pipeline.dedup.run import near_dedup_executors

        add(
            [filtered, ExactDedupFilter(work / "exact"), ShardWriter(str(work / "exact_kept"))],
            tasks=args.tasks,
            name="dedup",
        )
        near_cfg = NearDedupConfig(threshold=args.near_dedup_threshold, source_priority=m.source_priority)
        print(near_cfg.describe(), file=sys.stderr)  # the LSH bands x rows the threshold gives
        chain += near_dedup_executors(
            args.near_dedup,
            reader=_parquet_reader(work / "exact_kept"),
            after=[ShardWriter(str(out / "docs"))],
            work_dir=str(work / "near_dedup"),
            config=near_cfg,
            tasks=args.tasks,
            make_executor=make,
            depends=chain[-1],
        )
    # --- DIR/provenance.json: docs and bytes per shard, source, license (cppllm/pipeline/license/provenance.py)
    from cppllm.pipeline.license.provenance import ProvenanceStep

    add([ProvenanceStep(out)], tasks=1, name="provenance")
    # --- tokenizer training on DIR/docs -> DIR/tokenizer
    if args.stop_after in ("tokenizer", "bin") and args.tokenizer is not None:
        from pipelines.runconfig import TokenizerReuseStep

        add([TokenizerReuseStep(args.tokenizer.resolve(), out / "tokenizer")], tasks=1, name="tokenizer")
    elif args.stop_after in ("tokenizer", "bin"):
        tok = TokenizerTrainStep(
            out / "docs",
            out / "tokenizer",
            vocab_size=args.vocab_size,
            max_chars=args.tokenizer_max_chars,
            seed=args.seed,
            val_fraction=args.val_fraction,
            val_by_source=m.mixture is not None and not args.source,  # one .bin per source, below
            superwords=args.superwords,
        )
        add([tok], tasks=1, name="tokenizer")
    # --- FIM + .bin/.idx writer -> DIR/bin, DIR/manifest.json
    if args.stop_after == "bin":
        from cppllm.pipeline.pretokenize.binwriter import BinMerger, BinShardWriter
        from cppllm.pipeline.pretokenize.fim import FIMConfig

        fim = FIMConfig(fim_rate=args.fim_rate, spm_rate=args.spm_rate, seed=args.seed)
        docs = _parquet_reader(out / "docs")

        def bins(folder: Path) -> BinShardWriter:
            return BinShardWriter(
                folder, out / "tokenizer", fim=fim, val_fraction=args.val_fraction, split_seed=args.seed
            )

        if m.mixture is not None and not args.source:
            # one .bin per mixture source (DIR/bin/<name>/), so the trainer's loader weights them
            from pipelines.stages import MixtureStep, SourceIs

            mixture = m.mixture()
            for name, _weight in mixture:
                folder = out / "bin" / _safe(name)
                add([docs, SourceIs(name), bins(folder)], tasks=args.tasks, name=f"bin_{_safe(name)}")
                add([BinMerger(folder, folder / "manifest.json")], tasks=1, name=f"bin_merge_{_safe(name)}")
            parts = [(name, out / "bin" / _safe(name), w) for name, w in mixture]
            add([MixtureStep(out, parts)], tasks=1, name="mixture")
        else:
            add([docs, bins(out / "bin")], tasks=args.tasks, name="bin")
            add([BinMerger(out / "bin", out / "manifest.json")], tasks=1, name="bin_merge")
    # --- DIR/stats.json
    add([SummaryStep(out)], tasks=1, name="summary")
    return chain


@contextlib.contextmanager
def _capture_sbatch():
    """Print each generated sbatch script instead of submitting it (Slurm `--dry-run`)."""
    import datatrove.executor.slurm as slurm

    counter = iter(range(1000, 10**6))
    next_id = [next(counter)]

    def fake_launch(contents: str, job_id_retriever=None, *args, **kwargs) -> str:
        # the sbatch command line too: the stage's `--dependency` on the one before is passed there
        print(
            "#" * 100 + "\n" + f"# sbatch {' '.join([*args, 'SCRIPT'])}  (job id {next_id[0]})\n" + contents
        )
        job_id, next_id[0] = next_id[0], next(counter)
        return str(job_id)

    saved = slurm.launch_slurm_job
    slurm.launch_slurm_job = fake_launch
    try:
        yield
    finally:
        slurm.launch_slurm_job = saved


def _run_local(chain: list) -> str | None:
    """Run the stages in order; the name of the first one that left tasks unfinished, else None."""
    for ex in chain:
        ex.depends = None  # already run, in order, by this loop
        try:
            ex.run()
        except Exception as e:  # a task raised: its completion marker is missing, a rerun redoes it
            print(
                f"error: stage {Path(ex.logging_dir.path).name} failed: {type(e).__name__}: {e}",
                file=sys.stderr,
            )
            return Path(ex.logging_dir.path).name
        if ex.get_incomplete_ranks():
            return Path(ex.logging_dir.path).name
    return None


def run(m: MilestoneDef, argv: Sequence[str] | None = None) -> int:
    args = build_parser(m).parse_args(argv)
    if args.tasks < 1 or args.workers < 1:
        print("error: --tasks and --workers must be >= 1", file=sys.stderr)
        return 2
    if m.not_yet and (msg := m.not_yet(args)):
        print(f"not yet: {msg}", file=sys.stderr)
        return 2
    if not args.no_license and args.executor == "local":
        from cppllm.pipeline.license.tagger import license_workers

        # ScanCode's index is ~1.4 GB per worker process: no more workers than memory holds
        args.workers = license_workers(args.workers)
    try:
        chain = build_executors(args, m)
    except (ValueError, FileNotFoundError, TypeError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.dry_run:
        if args.executor == "slurm":
            with _capture_sbatch():
                chain[-1].run()
        else:
            for ex in chain:
                print(f"{Path(ex.logging_dir.path).name}: {ex.world_size} task(s)")
                for step in ex.pipeline:
                    print(f"    {getattr(step, 'name', step)}")
        return 0
    from pipelines.runconfig import check_or_write, run_record

    try:
        record = run_record(args, milestone=m.name, sources=_sources(args, m), caps=run_caps(args, m))
        for warning in check_or_write(args.output, record):
            print(f"warning: {warning}", file=sys.stderr)
    except (ValueError, FileNotFoundError) as e:  # ConfigMismatch is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.executor == "slurm":
        chain[-1].run()
        print(
            f"submitted {len(chain)} Slurm stages; logs under {args.output / 'logs'}; DIR/stats.json comes last"
        )
        return 0
    failed = _run_local(chain)
    if failed:
        print(
            f"error: stage {failed} did not finish; see {args.output / 'logs' / failed}; rerun to resume",
            file=sys.stderr,
        )
        return 1
    stats_path = args.output / "stats.json"
    if not args.quiet:
        from pipelines.stages import format_summary

        print(format_summary(json.loads(stats_path.read_text())))
    return 0
