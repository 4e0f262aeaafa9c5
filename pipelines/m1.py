"""M1 data from the source catalog (`pipelines.sources`): see `pipelines.milestone` for what runs.

python -m pipelines.m1 --list-sources
python -m pipelines.m1 --output data/m1 --executor slurm --tasks 256 --stop-after tokenizer
"""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.milestone import main_for


def main(argv: Sequence[str] | None = None) -> int:
    return main_for("m1", argv)


if __name__ == "__main__":
    raise SystemExit(main())
