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
stage list (local) and runs nothing; for a catalog milestone (M1, M2) it first prints the plan
(`pipelines.plan`: sources, sizes, caps, disk) with the run's own stages.

The flags are parsed once into a frozen `DataRunConfig` (`pipelines.runconfig`), which every stage reads
and `DIR/config.json` records; the milestone (`pipelines.sources.Milestone`) gives the sources and the
flags' milestone-specific defaults.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from datatrove.pipeline.base import PipelineStep

from cppllm.pipeline.dedup.near import DEFAULT_SOURCE_PRIORITY, NearDedupConfig
from cppllm.pipeline.executors import executor_factory
from pipelines.runconfig import DataRunConfig
from pipelines.sources import Milestone, RelabelSubtrees, SourceSpec, get_milestone
from pipelines.synthetic import add_args as add_synthetic_args
from pipelines.synthetic import input_stages, note_generated, synthetic_sources

D = DataRunConfig  # the flags' defaults are the config's


def build_parser(m: Milestone) -> argparse.ArgumentParser:
    # no prefix matching: `--synthetic-api-key SECRET` must not be read as `--synthetic-api-key-env SECRET`
    p = argparse.ArgumentParser(
        prog=f"python -m pipelines.{m.name}", description=m.description, allow_abbrev=False
    )
    a = p.add_argument
    a("--output", type=Path, default=Path(f"data/{m.name}"), help="output folder (docs/, stats.json, ...)")
    a("--source", action="append", default=None, metavar="NAME_OR_PATH",
      help="source to read (repeatable): an HF source name, a directory, a tarball/URL, a .jsonl/.parquet "
      "file or folder, or 'embedded' (default: the milestone's sources)")  # fmt: skip
    a("--executor", choices=("local", "slurm"), default=D.executor, help="DataTrove executor")
    a("--tasks", type=int, default=D.tasks, help="tasks per parallel stage (shards of the input)")
    a("--workers", type=int, default=os.cpu_count() or 1, help="local executor: tasks run at once")
    a("--max-docs", type=int, default=None, help="take a deterministic subset of this many documents")
    a("--max-bytes", type=int, default=None, help="take a deterministic subset of about this many bytes")
    if m.from_catalog:
        a("--list-sources", action="store_true", help="print the milestone's sources and weights, and exit")
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
    g.add_argument(
        "--max-blank-lines",
        type=int,
        default=D.max_blank_lines,
        help="longest run of blank lines kept (-1: all)",
    )
    g = p.add_argument_group("quality filters (StarCoder thresholds; 0 turns a check off)")
    g.add_argument(
        "--max-line-length", type=int, default=D.max_line_length, help="drop files with a longer line"
    )
    g.add_argument(
        "--max-avg-line-length", type=float, default=D.max_avg_line_length, help="drop files above this mean"
    )
    g.add_argument(
        "--min-alphanum-fraction",
        type=float,
        default=D.min_alphanum_fraction,
        help="drop files below this fraction",
    )
    g.add_argument("--max-doc-chars", type=int, default=D.max_doc_chars, help="drop larger files")
    g.add_argument(
        "--autogen-scan-lines",
        type=int,
        default=D.autogen_scan_lines,
        help="lines searched for generated markers",
    )
    g = p.add_argument_group("PII / secrets")
    g.add_argument(
        "--privacy-action",
        choices=("redact", "drop", "off"),
        default=D.privacy_action,
        help="what to do with PII/secrets",
    )
    g.add_argument(
        "--max-secrets", type=int, default=D.max_secrets, help="drop documents with more secrets than this"
    )
    g.add_argument(
        "--keep-private-key-docs", action="store_true", help="redact private keys instead of dropping the doc"
    )
    g.add_argument(
        "--ner-model", default=None, help="local token-classification model for names (StarPII-style)"
    )
    g = p.add_argument_group("license")
    g.add_argument("--license-policy", default=D.license_policy, help="record | permissive | allowlist:FILE")
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
    g.add_argument(
        "--near-dedup-threshold",
        type=float,
        default=D.near_dedup_threshold,
        help="Jaccard threshold of near-dedup",
    )
    g = p.add_argument_group("tokenizer / .bin")
    g.add_argument("--vocab-size", type=int, default=D.vocab_size, help="tokenizer vocabulary size")
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
        "--tokenizer-max-chars",
        type=int,
        default=D.tokenizer_max_chars,
        help="tokenizer training budget (chars)",
    )
    g.add_argument("--fim-rate", type=float, default=D.fim_rate, help="share of documents in FIM format")
    g.add_argument("--spm-rate", type=float, default=D.spm_rate, help="share of FIM documents in SPM order")
    g.add_argument(
        "--val-fraction",
        type=float,
        default=D.val_fraction,
        help="share of repositories held out for validation",
    )
    g.add_argument("--seed", type=int, default=D.seed, help="seed of FIM and the split")
    g.add_argument(
        "--stop-after", choices=("docs", "tokenizer", "bin"), default=D.stop_after, help="last stage to run"
    )
    g = p.add_argument_group("Slurm")
    g.add_argument("--partition", default=D.partition, help="Slurm partition")
    g.add_argument("--time", default=D.time, help="Slurm time limit per job")
    g.add_argument("--cpus", type=int, default=D.cpus, help="Slurm CPUs per task")
    g.add_argument(
        "--mem", type=int, default=D.mem, help="Slurm memory per CPU in GB (license: ~1.5 GB per worker)"
    )
    if synthetic_sources(m):
        add_synthetic_args(p)
    a("--dry-run", action="store_true", help="print the plan / stage list / sbatch scripts and run nothing")
    a("--quiet", action="store_true", help="no summary table")
    return p


def parse_config(m: Milestone, argv: Sequence[str] | None = None) -> DataRunConfig:
    """The `DataRunConfig` of a command line of `python -m pipelines.<m>` (argparse errors exit)."""
    return DataRunConfig.from_args(build_parser(m).parse_args(argv), milestone=m.name)


def run_sources(config: DataRunConfig, m: Milestone) -> list[SourceSpec]:
    """The readers of the run: `--source` when given (it replaces the milestone's), else the milestone's."""
    if not config.source:
        return m.reader_specs()
    out = []
    for i, s in enumerate(config.source):
        name = "embedded" if s in (None, "", "embedded") else Path(str(s).rstrip("/")).name or f"source{i}"
        out.append(SourceSpec(name=name, spec=None if s == "embedded" else s))
    return out


def _reader(src: SourceSpec, config: DataRunConfig, caps: dict[str, int]):
    from cppllm.pipeline.readers.registry import make_reader

    opts = dict(src.options)
    if src.name in caps:
        opts["byte_budget"] = caps[src.name]
    if config.max_docs is not None:
        opts["max_docs"] = config.max_docs
    if config.max_bytes is not None:
        opts["max_bytes"] = config.max_bytes
    return make_reader(src.spec, **opts)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60]


def _parquet_reader(folder: Path):
    """datatrove's ParquetReader over our shards, without the `file_path` metadata it adds by default
    (an absolute path would make the output depend on where it was written)."""
    from datatrove.pipeline.readers import ParquetReader

    reader = ParquetReader(str(folder), glob_pattern="*.parquet")
    reader.add_file_path = False
    return reader


def run_caps(config: DataRunConfig, m: Milestone) -> dict[str, int]:
    """Per-source byte caps of this run: each catalog source's share of the token budget (`pipelines.plan`);
    none with `--source`, which replaces the milestone's sources."""
    if not m.from_catalog or config.source:
        return {}
    from pipelines.plan import reader_caps, run_plan

    plan = run_plan(m, output=config.output, token_budget=config.token_budget, calibrate=config.calibrate)
    return reader_caps(plan)


def build_executors(config: DataRunConfig, m: Milestone, *, dry_run: bool = False) -> list:
    """The chain of executors of a run, in order (each depends on the one before). A dry run's chain
    records nothing on disk (the synthetic generation ranges are recorded when the run starts)."""
    from cppllm.pipeline.dedup.exact import ExactDedupFilter, ExactDedupFind, ExactDedupSignature
    from cppllm.pipeline.shards import ShardWriter
    from pipelines.stages import SummaryStep, TokenizerTrainStep, data_steps

    dirs = config.dirs
    out, work = dirs.root, dirs.work
    make = executor_factory(dirs.logs, executor=config.executor, workers=config.workers, slurm=config.slurm)
    chain: list = []

    def add(pipeline: list[PipelineStep], *, tasks: int, name: str):
        chain.append(make(pipeline, tasks=tasks, name=name, depends=chain[-1] if chain else None))

    # --- stages that make the run's inputs first (synthetic data: pipelines/synthetic.py)
    for name, pipeline, tasks, logs in input_stages(config, m, dry_run=dry_run):
        make_in = (
            executor_factory(logs, executor=config.executor, workers=config.workers, slurm=config.slurm)
            if logs
            else make
        )
        chain.append(make_in(pipeline, tasks=tasks, name=name, depends=chain[-1] if chain else None))
    # --- read -> per-document steps -> exact-dedup signatures: one stage per source
    caps = run_caps(config, m)
    for i, src in enumerate(run_sources(config, m)):
        reader = _reader(src, config, caps)
        steps = data_steps(config, reader=reader, audit_dir=str(dirs.audit))
        if m.from_catalog:  # a tarball's subtrees become their own sources (libstdc++ in GCC)
            steps[1:1] = [RelabelSubtrees()]
        steps += [
            ExactDedupSignature(work / "exact", prefix=f"{i:02d}", source_priority=DEFAULT_SOURCE_PRIORITY),
            ShardWriter(str(work / "filtered"), prefix=f"{i:02d}_", progress=config.executor == "local"),
        ]
        add(steps, tasks=config.tasks, name=f"process_{i:02d}_{_safe(src.name)}")
    # --- exact dedup: which copies go (one task per hash bucket)
    add([ExactDedupFind(work / "exact")], tasks=config.tasks, name="exact_find")
    # --- exact dedup filter [-> near dedup] -> DIR/docs
    filtered = _parquet_reader(work / "filtered")
    if config.near_dedup == "off":
        add(
            [filtered, ExactDedupFilter(work / "exact"), ShardWriter(str(out / "docs"))],
            tasks=config.tasks,
            name="dedup",
        )
    else:
        from cppllm.pipeline.dedup.run import near_dedup_executors

        add(
            [filtered, ExactDedupFilter(work / "exact"), ShardWriter(str(work / "exact_kept"))],
            tasks=config.tasks,
            name="dedup",
        )
        near_cfg = NearDedupConfig(
            threshold=config.near_dedup_threshold, source_priority=DEFAULT_SOURCE_PRIORITY
        )
        print(near_cfg.describe(), file=sys.stderr)  # the LSH bands x rows the threshold gives
        chain += near_dedup_executors(
            config.near_dedup,
            reader=_parquet_reader(work / "exact_kept"),
            after=[ShardWriter(str(out / "docs"))],
            work_dir=str(work / "near_dedup"),
            config=near_cfg,
            tasks=config.tasks,
            make_executor=make,
            depends=chain[-1],
        )
    # --- DIR/provenance.json: docs and bytes per shard, source, license (cppllm/pipeline/license/provenance.py)
    from cppllm.pipeline.license.provenance import ProvenanceStep

    add([ProvenanceStep(out)], tasks=1, name="provenance")
    by_source = bool(m.mixture) and not config.source  # a mixture: one .bin per source
    # --- tokenizer training on DIR/docs -> DIR/tokenizer
    if config.stop_after in ("tokenizer", "bin") and config.tokenizer is not None:
        from pipelines.runconfig import TokenizerReuseStep

        add([TokenizerReuseStep(Path(config.tokenizer).resolve(), dirs.tokenizer)], tasks=1, name="tokenizer")
    elif config.stop_after in ("tokenizer", "bin"):
        tok = TokenizerTrainStep(
            dirs.docs,
            dirs.tokenizer,
            vocab_size=config.vocab_size,
            max_chars=config.tokenizer_max_chars,
            seed=config.seed,
            val_fraction=config.val_fraction,
            val_by_source=by_source,  # one .bin per source, below
            superwords=config.superwords,
        )
        add([tok], tasks=1, name="tokenizer")
    # --- FIM + .bin/.idx writer -> DIR/bin, DIR/manifest.json
    if config.stop_after == "bin":
        from cppllm.pipeline.pretokenize.binwriter import BinMerger, BinShardWriter

        docs = _parquet_reader(dirs.docs)

        def bins(folder: Path) -> BinShardWriter:
            return BinShardWriter(
                folder,
                dirs.tokenizer,
                fim=config.fim,
                val_fraction=config.val_fraction,
                split_seed=config.seed,
            )

        if by_source:
            # one .bin per mixture source (DIR/bin/<name>/), so the trainer's loader weights them
            from pipelines.stages import MixtureStep, SourceIs

            mixture = m.mixture
            for name, _weight in mixture:
                folder = out / "bin" / _safe(name)
                add([docs, SourceIs(name), bins(folder)], tasks=config.tasks, name=f"bin_{_safe(name)}")
                add([BinMerger(folder, folder / "manifest.json")], tasks=1, name=f"bin_merge_{_safe(name)}")
            parts = [(name, out / "bin" / _safe(name), w) for name, w in mixture]
            add([MixtureStep(out, parts)], tasks=1, name="mixture")
        else:
            add([docs, bins(dirs.bin)], tasks=config.tasks, name="bin")
            add([BinMerger(dirs.bin, dirs.manifest)], tasks=1, name="bin_merge")
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


def _dry_run_plan(config: DataRunConfig, m: Milestone) -> int | None:
    """`--dry-run` of a catalog milestone: the plan with the run's real stages. Returns the exit code, or None
    when the caller goes on (`--executor slurm` also prints the sbatch scripts)."""
    from pipelines.milestone import missing
    from pipelines.plan import DEFAULT_STEPS, chain_steps, format_chain_caps, format_plan, run_plan

    chain = None
    try:
        chain = build_executors(config, m, dry_run=True)
        steps, error = chain_steps(chain), None
    except (ValueError, FileNotFoundError, TypeError, ImportError) as e:
        steps, error = None, e  # e.g. a local source not generated yet: the plan still says what is needed
    if error is None:
        error = missing(m, config)  # e.g. synthetic sources neither generated nor to be generated by this run
    plan = run_plan(m, output=config.output, token_budget=config.token_budget, calibrate=config.calibrate)
    plan.steps = steps or DEFAULT_STEPS
    if config.synthetic_endpoint:  # the run generates them (pipelines/synthetic.py)
        note_generated(config, m, plan)
    if error is not None:
        plan.warnings.append(f"the run cannot start yet: {error}")
    print(format_plan(plan))
    if chain is not None:
        print("\n" + format_chain_caps(chain))
    return None if config.executor == "slurm" and error is None else 0


def _print_dry_run(chain: list, executor: str) -> None:
    if executor == "slurm":
        with _capture_sbatch():
            chain[-1].run()
        return
    for ex in chain:
        print(f"{Path(ex.logging_dir.path).name}: {ex.world_size} task(s)")
        for step in ex.pipeline:
            print(f"    {getattr(step, 'name', step)}")


def run(m: Milestone, argv: Sequence[str] | None = None) -> int:
    """Parse the command line into a `DataRunConfig` and run (or plan) the milestone's data run."""
    from pipelines.milestone import describe, missing

    args = build_parser(m).parse_args(argv)
    if getattr(args, "list_sources", False):
        print(describe(m))
        return 0
    try:
        config = DataRunConfig.from_args(args, milestone=m.name)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if m.from_catalog:
        if args.dry_run and not config.source and (rc := _dry_run_plan(config, m)) is not None:
            return rc
        print(describe(m), file=sys.stderr)
        if msg := missing(m, config):
            print(f"not yet: {msg}", file=sys.stderr)
            return 2
    if not config.no_license and config.executor == "local":
        from cppllm.pipeline.license.tagger import license_workers

        # ScanCode's index is ~1.4 GB per worker process: no more workers than memory holds
        config = dataclasses.replace(config, workers=license_workers(config.workers))
    try:
        chain = build_executors(config, m, dry_run=args.dry_run)
    except (ValueError, FileNotFoundError, TypeError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.dry_run:
        _print_dry_run(chain, config.executor)
        return 0
    return execute(config, m, chain, quiet=args.quiet)


def execute(config: DataRunConfig, m: Milestone, chain: list, *, quiet: bool = False) -> int:
    """Record the run in `DIR/config.json` (or check a rerun against it), then run or submit the chain."""
    from pipelines.runconfig import check_or_write, run_record

    try:
        record = run_record(config, sources=run_sources(config, m), caps=run_caps(config, m))
        for warning in check_or_write(config.output, record):
            print(f"warning: {warning}", file=sys.stderr)
    except (ValueError, FileNotFoundError) as e:  # ConfigMismatch is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 2
    if config.executor == "slurm":
        chain[-1].run()
        print(
            f"submitted {len(chain)} Slurm stages; logs under {config.output / 'logs'}; DIR/stats.json comes last"
        )
        return 0
    failed = _run_local(chain)
    if failed:
        print(
            f"error: stage {failed} did not finish; see {config.output / 'logs' / failed}; rerun to resume",
            file=sys.stderr,
        )
        return 1
    if not quiet:
        from pipelines.stages import format_summary

        print(format_summary(json.loads(config.dirs.stats.read_text())))
    return 0


def milestone_main(name: str) -> Callable[[Sequence[str] | None], int]:
    """`main(argv=None) -> int` of `python -m pipelines.<name>`."""

    def main(argv: Sequence[str] | None = None) -> int:
        return run(get_milestone(name), argv)

    main.__doc__ = f"python -m pipelines.{name}: {get_milestone(name).description}"
    return main
