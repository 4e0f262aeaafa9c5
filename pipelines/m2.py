"""M2 data from the source catalog (`pipelines.sources`): see `pipelines.milestone` for what runs.

python -m pipelines.m2 --list-sources
python -m pipelines.m2 --output data/m2 --executor slurm --tasks 256 --stop-after tokenizer
"""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.milestone import main_for


def main(argv: Sequence[str] | None = None) -> int:
    return main_for("m2", argv)


if __name__ == "__main__":
    raise SystemExit(main())
