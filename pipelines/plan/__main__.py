"""`python -m pipelines.plan m1`: print a milestone's data plan (sources, sizes, disk) with the run's stages.

The same plan `python -m pipelines.m1 --dry-run` prints; this command takes only the plan's options.
"""

from __future__ import annotations

import argparse
import json
import sys

from pipelines.plan import build_plan, chain_steps, format_plan, measured_bytes_per_token
from pipelines.sources import CATALOG_MILESTONES, get_milestone


def milestone_steps(name: str, output: str | None) -> tuple[str, ...] | None:
    """The stages `python -m pipelines.<name>` runs with its default flags (None when they cannot be built
    yet, e.g. a local source not generated: the plan then prints an outline)."""
    from pipelines.cli import build_executors
    from pipelines.runconfig import DataRunConfig

    m = get_milestone(name)
    try:
        config = DataRunConfig(milestone=name, output=output or f"data/{name}", near_dedup=m.near_dedup)
        return chain_steps(build_executors(config, m))
    except (ValueError, FileNotFoundError, TypeError, ImportError):
        return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m pipelines.plan", description="Print a milestone's data plan (sources, sizes, disk)."
    )
    p.add_argument("milestone", choices=sorted(CATALOG_MILESTONES), help="milestone to plan")
    p.add_argument("--output", help="output DIR the run would write (default: data/<milestone>)")
    p.add_argument(
        "--calibrate",
        metavar="DIR",
        help="measure bytes/token from a finished run's DIR/manifest.json (default: an estimate)",
    )
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    args = p.parse_args(argv)
    try:
        bpt = measured_bytes_per_token(args.calibrate) if args.calibrate else None
        steps = milestone_steps(args.milestone, args.output)
        plan = build_plan(args.milestone, output=args.output, bytes_per_token=bpt, steps=steps)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(plan.to_dict(), indent=2) if args.json else format_plan(plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
