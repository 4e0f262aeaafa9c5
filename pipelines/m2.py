"""M2 data from the source catalog (`pipelines.sources`): see `pipelines.milestone` for what runs.

python -m pipelines.m2 --list-sources
python -m pipelines.m2 --output data/m2 --executor slurm --tasks 256 --stop-after tokenizer
python -m pipelines.m2 --synthetic-endpoint http://HOST:8000 --synthetic-model NAME --synthetic-n 20000

M2's synthetic sources (textbooks 20%, exercises 10%) are read from `data/synthetic/textbooks` and
`data/synthetic/exercises`. Pre-generated folders are used as they are; with `--synthetic-endpoint` they
are generated (or completed: generation resumes) by stages of the run itself, before the stages that read
them, locally or as Slurm job arrays (`pipelines.synthetic`), their working files under `--synthetic-work`.
Synthetic documents are decontaminated against HumanEval-C++ and HumanEvalFix-C++ by default
(`--no-decontam` opts out).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pipelines.milestone import main_for


def main(argv: Sequence[str] | None = None) -> int:
    return main_for("m2", list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    raise SystemExit(main())
