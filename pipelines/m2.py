"""M2 data from the source catalog (`pipelines.sources`): see `pipelines.milestone` for what runs.

python -m pipelines.m2 --list-sources
python -m pipelines.m2 --output data/m2 --executor slurm --tasks 256 --stop-after tokenizer
python -m pipelines.m2 --synthetic-endpoint http://HOST:8000 --synthetic-model NAME --synthetic-n 20000

M2's synthetic sources (textbooks 20%, exercises 10%) are read from `data/synthetic/textbooks` and
`data/synthetic/exercises`. Pre-generated folders are used as they are; with `--synthetic-endpoint` they
are generated (or completed: generation resumes) first by `cppllm.synth` against that OpenAI-compatible
server, its working files under `--synthetic-work`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pipelines.cli import build_parser, run
from pipelines.sources import M2


def synthetic_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipelines.m2", add_help=False)
    g = p.add_argument_group("synthetic data (cppllm.synth; without these, pre-generated folders are read)")
    g.add_argument("--synthetic-endpoint", default=None, help="OpenAI-compatible server to generate with")
    g.add_argument("--synthetic-model", default=None, help="model name the server serves")
    g.add_argument("--synthetic-n", type=int, default=1000, help="prompts per synthetic source")
    g.add_argument("--synthetic-work", default="data/synthetic/work", help="generation working folder")
    g.add_argument("--synthetic-concurrency", type=int, default=8, help="requests in flight")
    return p


def generate_synthetic(args: argparse.Namespace) -> int:
    """Generate (or complete) every synthetic source of M2 into the folder the milestone reads."""
    from cppllm.synth.__main__ import main as synth_main
    from pipelines.sources import LocalSource

    for src in M2.sources():
        if not isinstance(src, LocalSource) or not src.name.startswith("synthetic-"):
            continue
        kind = src.name.removeprefix("synthetic-")
        print(f"m2: generating {src.name} ({args.synthetic_n} prompts) into {src.path}", file=sys.stderr)
        rc = synth_main(
            [kind, "--endpoint", args.synthetic_endpoint, "--model", args.synthetic_model]
            + ["--n", str(args.synthetic_n), "--concurrency", str(args.synthetic_concurrency)]
            + ["--out", f"{args.synthetic_work}/{kind}", "--docs-dir", src.path]
        )
        if rc != 0:
            print(f"error: generating {src.name} failed (exit {rc}); rerun to resume", file=sys.stderr)
            return rc
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    syn, rest = synthetic_parser().parse_known_args(argv)
    if "-h" in rest or "--help" in rest:
        synthetic_parser().print_help()
    dry_run = build_parser(M2).parse_known_args(rest)[0].dry_run
    if syn.synthetic_endpoint and not dry_run:
        if not syn.synthetic_model:
            print("error: --synthetic-endpoint needs --synthetic-model", file=sys.stderr)
            return 2
        rc = generate_synthetic(syn)
        if rc != 0:
            return rc
    return run(M2, rest)


if __name__ == "__main__":
    raise SystemExit(main())
