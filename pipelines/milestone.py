"""M1/M2 from the source catalog (`pipelines.sources`): their sources as readers, and what is missing.

Each catalog source becomes one `SourceSpec` (a subtree such as `libstdcxx` inside GCC is read with its
parent tarball once and relabelled by `RelabelSubtrees`). What does not exist yet is reported, not
faked: synthetic sources need their generated files. The `.bin` stage writes one `DIR/bin/<source>/` per
mixture source and `DIR/mixture.json`, whose `data_spec` is the trainer's weighted `--data` value.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pipelines.cli import MilestoneDef, SourceSpec, run


def catalog_sources(name: str) -> list[SourceSpec]:
    """The milestone's sources as readers, with their mixture weights (subtrees folded into parents)."""
    from pipelines.sources import Subtree, get_milestone, parent_tarball

    milestone = get_milestone(name)
    specs: dict[str, SourceSpec] = {}
    for src_name, weight in milestone.mixture:
        src = milestone.sources()[[n for n, _ in milestone.mixture].index(src_name)]
        if isinstance(src, Subtree):
            src = parent_tarball(src_name)
            if src.name in specs:
                continue
        spec, opts = src.reader_args()
        specs.setdefault(src.name, SourceSpec(name=src.name, spec=spec, options=opts, weight=weight))
    return list(specs.values())


def describe(name: str) -> str:
    from pipelines.sources import get_milestone

    m = get_milestone(name)
    lines = [f"{m.name}: {m.description} (preset {m.preset})", "sources (mixture weight):"]
    lines += [f"  {n:<34}{w:>7.2%}" for n, w in m.mixture]
    return "\n".join(lines)


def missing(name: str, args: argparse.Namespace) -> str | None:
    """Why this milestone cannot run with these flags yet (None when it can)."""
    from pipelines.sources import LocalSource, get_milestone

    if args.source or getattr(args, "synthetic_endpoint", None):  # an endpoint: the run generates them
        return None
    absent = [
        s for s in get_milestone(name).sources() if isinstance(s, LocalSource) and s.present_bytes() is None
    ]
    if not absent:
        return None
    lines = [f"{name} needs the generated source {s.name!r} at {s.path} ({s.description})" for s in absent]
    kinds = [s.name.removeprefix("synthetic-") for s in absent]
    return (
        "; ".join(lines)
        + ". Generate them with an OpenAI-compatible server: "
        + "; ".join(
            f"python -m cppllm.synth {k} --endpoint URL --model NAME --n N --out data/synthetic/work/{k} "
            f"--docs-dir {s.path}"
            for k, s in zip(kinds, absent, strict=True)
        )
        + f" (or pass --synthetic-endpoint URL --synthetic-model NAME to pipelines.{name}; "
        "make data-m2 SYNTHETIC_ENDPOINT=URL SYNTHETIC_MODEL=NAME); or put jsonl/parquet files (a `text` "
        "column) there, or pass --source."
    )


def resolved_milestone(name: str, args: argparse.Namespace):
    """The milestone with this run's `--token-budget`, if any."""
    from dataclasses import replace

    from pipelines.sources import get_milestone

    m = get_milestone(name)
    budget = getattr(args, "token_budget", None)
    return replace(m, budget_tokens=budget) if budget is not None else m


def run_plan(name: str, args: argparse.Namespace):
    """The plan of this run (`--token-budget`, `--calibrate`), without building its stages."""
    from pipelines.plan import build_plan, measured_bytes_per_token

    calibrate = getattr(args, "calibrate", None)
    bpt = measured_bytes_per_token(calibrate) if calibrate else None
    return build_plan(resolved_milestone(name, args), output=args.output, bytes_per_token=bpt, steps=())


def source_caps(name: str, args: argparse.Namespace) -> dict[str, int]:
    """Bytes each reader of the run may take: its source's share of the token budget (`plan.reader_caps`)."""
    from pipelines.plan import reader_caps

    return reader_caps(run_plan(name, args))


def milestone_def(name: str) -> MilestoneDef:
    from pipelines.sources import RelabelSubtrees, get_milestone

    def priorities() -> dict:
        from cppllm.pipeline.dedup.near import DEFAULT_SOURCE_PRIORITY

        return dict(DEFAULT_SOURCE_PRIORITY)

    return MilestoneDef(
        name=name,
        description=get_milestone(name).description,
        sources=lambda: catalog_sources(name),
        near_dedup="datatrove",
        source_priority=priorities(),
        extra_steps=lambda: [RelabelSubtrees()],
        not_yet=lambda args: missing(name, args),
        mixture=lambda: list(get_milestone(name).mixture),
        caps=lambda args: source_caps(name, args),
        # 8,000 of the 32K tokens as superwords: +12% bytes/token on C++ projects the tokenizer never saw
        # (benchmarks/bench_tokenizer_xproject.py, README "Tokenizer")
        superwords=8000,
        **synthetic_hooks(name),
    )


def synthetic_hooks(name: str) -> dict:
    """A milestone with synthetic sources: their flags and stages (`pipelines.synthetic`)."""
    from pipelines import synthetic

    if not synthetic.synthetic_sources(name):
        return {}
    return {"add_args": synthetic.add_args, "input_stages": synthetic.input_stages(name)}


def main_for(name: str, argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--list-sources" in argv:
        print(describe(name))
        return 0
    if "--dry-run" in argv:  # the plan: sources, sizes, tasks, disk, budget, mixture (pipelines.plan)
        from pipelines.plan import milestone_dry_run

        rc = milestone_dry_run(name, argv)
        if rc is not None:
            return rc
    print(describe(name), file=sys.stderr)
    return run(milestone_def(name), argv)
