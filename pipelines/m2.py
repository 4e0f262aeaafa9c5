"""M2 data from the source catalog (`pipelines.sources`); the run is `pipelines.cli`.

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

from pipelines.cli import milestone_main

main = milestone_main("m2")

if __name__ == "__main__":
    raise SystemExit(main())
