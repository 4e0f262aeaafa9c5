"""M1 data from the source catalog (`pipelines.sources`); the run is `pipelines.cli`.

python -m pipelines.m1 --list-sources
python -m pipelines.m1 --output data/m1 --executor slurm --tasks 256 --stop-after tokenizer
"""

from pipelines.cli import milestone_main

main = milestone_main("m1")

if __name__ == "__main__":
    raise SystemExit(main())
