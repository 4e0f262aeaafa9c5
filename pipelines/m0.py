"""M0 data: clean C++ for a first model, from the embedded corpus or any `--source`.

    python -m pipelines.m0 [--source NAME_OR_PATH ...] --output data/m0 [--executor local|slurm]

Default source: the embedded corpus (your g++'s libstdc++ headers and torch's C++ headers). Stages (see
`pipelines.cli`): read -> normalize -> BigCode filters -> PII/secrets -> license -> exact dedup
[-> near dedup, off by default here] -> DIR/docs -> tokenizer -> FIM .bin/.idx -> DIR/stats.json.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.cli import MilestoneDef, SourceSpec, run


def _priorities() -> dict:
    from cppllm.pipeline.dedup.near import DEFAULT_SOURCE_PRIORITY

    return dict(DEFAULT_SOURCE_PRIORITY)


M0 = MilestoneDef(
    name="m0",
    description=__doc__.split("\n")[0],
    sources=lambda: [SourceSpec(name="embedded", spec=None)],
    near_dedup="off",
    source_priority=_priorities(),
)


def main(argv: Sequence[str] | None = None) -> int:
    return run(M0, argv)


if __name__ == "__main__":
    raise SystemExit(main())
