"""Running near-dedup: executors for `--near-dedup datatrove|datasketch|off`, and a runnable.

`near_dedup_executors(method, ...)` gives the chained datatrove executors that deduplicate what a reader
yields into what `after` writes: four stages (signatures, buckets, clusters, filter; see
`minhash.py`) for `datatrove`, one single-task stage for `datasketch`, a plain copy for `off`. Each
stage is its own executor (local or Slurm) chained with `depends=`; run or launch the last one.

    python -m cppllm.pipeline.dedup.run --input DOCS --output OUT [--near-dedup datatrove] [--tasks 8]
"""

from __future__ import annotations

import copy
import json

from datatrove.pipeline.base import PipelineStep

from cppllm.pipeline.dedup.minhash import (
    CodeMinhashBuckets,
    CodeMinhashCluster,
    CodeMinhashFilter,
    CodeMinhashSignature,
    datatrove_config,
)
from cppllm.pipeline.dedup.near import DatasketchNearDedup, NearDedupConfig
from cppllm.pipeline.executors import ExecutorFactory, SlurmSettings, executor_factory


def minhash_executors(
    *,
    reader: PipelineStep,
    after_filter: list[PipelineStep],
    work_dir: str,
    config: NearDedupConfig,
    tasks: int,
    make_executor: ExecutorFactory,
    depends=None,
    workers_per_band: int = 1,
) -> list:
    """The four chained executors (signatures, buckets, clusters, filter); run or launch the last one.

    `reader` yields the documents to deduplicate (read twice: by stage 1 and stage 4, with `tasks`
    tasks both times); `after_filter` (e.g. a parquet writer) receives the surviving documents. The
    bucket stage runs min(tasks, bands) tasks, or bands x `workers_per_band` when that is > 1.
    """
    sigs, buckets, clusters = f"{work_dir}/signatures", f"{work_dir}/buckets", f"{work_dir}/clusters"
    dt_config = datatrove_config(config)
    s1 = make_executor(
        [copy.deepcopy(reader), CodeMinhashSignature(sigs, config)],
        tasks=tasks,
        name="minhash_1_signatures",
        depends=depends,
    )
    s2 = make_executor(
        [CodeMinhashBuckets(sigs, buckets, config=dt_config)],
        tasks=config.bands * workers_per_band if workers_per_band > 1 else min(tasks, config.bands),
        name="minhash_2_buckets",
        depends=s1,
    )
    s3 = make_executor(
        [CodeMinhashCluster(buckets, clusters, sigs, config)], tasks=1, name="minhash_3_clusters", depends=s2
    )
    s4 = make_executor(
        [copy.deepcopy(reader), CodeMinhashFilter(clusters), *after_filter],
        tasks=tasks,
        name="minhash_4_filter",
        depends=s3,
    )
    return [s1, s2, s3, s4]


def near_dedup_executors(
    method: str,
    *,
    reader: PipelineStep,
    after: list[PipelineStep],
    work_dir: str,
    config: NearDedupConfig,
    tasks: int,
    make_executor: ExecutorFactory,
    depends=None,
) -> list:
    """Executors for one `--near-dedup` method; the last one's `run()` runs them all (in order)."""
    if method == "datatrove":
        return minhash_executors(
            reader=reader,
            after_filter=after,
            work_dir=work_dir,
            config=config,
            tasks=tasks,
            make_executor=make_executor,
            depends=depends,
        )
    if method == "datasketch":  # in memory, so one task sees every document
        steps = [copy.deepcopy(reader), DatasketchNearDedup(config), *after]
        return [make_executor(steps, tasks=1, name="near_dedup_datasketch", depends=depends)]
    if method == "off":
        return [
            make_executor(
                [copy.deepcopy(reader), *after], tasks=tasks, name="near_dedup_off", depends=depends
            )
        ]
    raise ValueError(f"unknown near-dedup method {method!r}: choose datatrove, datasketch or off")


def near_dedup_stats(logging_root: str, method: str) -> dict:
    """{"kept": n, "removed": {source: n}} from the filtering stage's stats.json under `logging_root`."""
    name = {"datatrove": "minhash_4_filter", "datasketch": "near_dedup_datasketch", "off": "near_dedup_off"}[
        method
    ]
    with open(f"{logging_root}/{name}/stats.json") as f:
        steps = json.load(f)
    stats = next((s["stats"] for s in steps if "forwarded" in s["stats"]), {})
    removed = {k.removeprefix("removed_"): v for k, v in stats.items() if k.startswith("removed_")}
    return {"kept": stats.get("forwarded"), "removed": removed}


def main(argv: list[str] | None = None) -> int:
    """Near-dedup a folder of parquet documents into another folder."""
    import argparse

    from datatrove.pipeline.readers import ParquetReader
    from datatrove.pipeline.writers import ParquetWriter

    from cppllm.pipeline.dedup.near import add_near_dedup_args, near_dedup_config

    ap = argparse.ArgumentParser(prog="python -m cppllm.pipeline.dedup.run", description=main.__doc__)
    ap.add_argument("--input", required=True, help="folder of parquet shards (text, id, metadata columns)")
    ap.add_argument("--output", required=True, help="folder for the surviving documents (parquet)")
    ap.add_argument("--work-dir", help="signatures/buckets/clusters/logs (default: OUTPUT/../near_dedup)")
    ap.add_argument("--tasks", type=int, default=1, help="tasks of the signature and filter stages")
    ap.add_argument("--workers", type=int, default=1, help="local processes at a time")
    ap.add_argument("--executor", choices=["local", "slurm"], default="local", help="where stages run")
    ap.add_argument("--partition", help="Slurm partition (with --executor slurm)")
    ap.add_argument("--time", default="12:00:00", help="Slurm time limit per task")
    add_near_dedup_args(ap, default="datatrove")
    args = ap.parse_args(argv)
    if args.executor == "slurm" and not args.partition:
        ap.error("--executor slurm needs --partition")

    config = near_dedup_config(args)
    print(config.describe())
    work = args.work_dir or f"{args.output.rstrip('/')}/../near_dedup"
    slurm = SlurmSettings(partition=args.partition, time=args.time) if args.executor == "slurm" else None
    make = executor_factory(f"{work}/logs", executor=args.executor, workers=args.workers, slurm=slurm)
    execs = near_dedup_executors(
        args.near_dedup,
        reader=ParquetReader(args.input, glob_pattern="*.parquet"),
        after=[ParquetWriter(args.output, output_filename="${rank}.parquet", expand_metadata=True)],
        work_dir=work,
        config=config,
        tasks=args.tasks,
        make_executor=make,
    )
    execs[-1].run()
    if args.executor == "slurm":
        print(f"submitted {len(execs)} chained job(s); logs under {work}/logs")
        return 0
    stats = near_dedup_stats(f"{work}/logs", args.near_dedup)
    print(f"near-dedup ({args.near_dedup}): kept {stats['kept']}, removed by source {stats['removed']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
