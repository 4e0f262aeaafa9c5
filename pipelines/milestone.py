"""What a catalog milestone (M1, M2) says before it runs: its sources and weights, and what is missing.

Sources come from the catalog (`pipelines.sources`); what does not exist yet is reported, not faked:
synthetic sources need their generated files. The run itself is `pipelines.cli`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.sources import LocalSource, Milestone

if TYPE_CHECKING:
    from pipelines.runconfig import DataRunConfig


def describe(m: Milestone) -> str:
    """The milestone's sources and their mixture weights (`--list-sources`)."""
    lines = [f"{m.name}: {m.description} (preset {m.preset})", "sources (mixture weight):"]
    lines += [f"  {n:<34}{w:>7.2%}" for n, w in m.mixture]
    return "\n".join(lines)


def missing(m: Milestone, config: DataRunConfig | None = None) -> str | None:
    """Why the milestone's own sources cannot be read yet (None when they can): generated sources absent,
    and this run (`config`) neither replaces them (`--source`) nor generates them (`--synthetic-endpoint`)."""
    if config is not None and (config.source or config.synthetic_endpoint):
        return None
    absent = [s for s in m.sources() if isinstance(s, LocalSource) and s.present_bytes() is None]
    if not absent:
        return None
    lines = [f"{m.name} needs the generated source {s.name!r} at {s.path} ({s.description})" for s in absent]
    kinds = [s.name.removeprefix("synthetic-") for s in absent]
    return (
        "; ".join(lines)
        + ". Generate them with an OpenAI-compatible server: "
        + "; ".join(
            f"python -m cppllm.synth {k} --endpoint URL --model NAME --n N --out data/synthetic/work/{k} "
            f"--docs-dir {s.path}"
            for k, s in zip(kinds, absent, strict=True)
        )
        + f" (or pass --synthetic-endpoint URL --synthetic-model NAME to pipelines.{m.name}; "
        "make data-m2 SYNTHETIC_ENDPOINT=URL SYNTHETIC_MODEL=NAME); or put jsonl/parquet files (a `text` "
        "column) there, or pass --source."
    )
