"""M0 data: clean C++ for a first model, from the embedded corpus or any `--source`.

    python -m pipelines.m0 [--source NAME_OR_PATH ...] --output data/m0 [--executor local|slurm]

Default source: the embedded corpus (your g++'s libstdc++ headers and torch's C++ headers). Stages (see
`pipelines.cli`): read -> normalize -> BigCode filters -> PII/secrets -> license -> exact dedup
[-> near dedup, off by default here] -> DIR/docs -> tokenizer -> FIM .bin/.idx -> DIR/stats.json.
"""

from pipelines.cli import milestone_main

main = milestone_main("m0")

if __name__ == "__main__":
    raise SystemExit(main())
