"""One factory of DataTrove executors, local or Slurm, for every pipeline command.

`executor_factory(logs, ...)` returns `make(pipeline, *, tasks, name, depends)`: a `LocalPipelineExecutor`
(at most `workers` tasks at once) or a `SlurmPipelineExecutor` (one job array per stage, chained by
`depends=`), logging under `logs/<name>`. A Slurm job runs on another node with a bare shell, so it
activates the virtualenv of the interpreter that submitted it (`venv_path`), else it would not find cppllm.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ExecutorFactory = Callable[..., object]  # (pipeline, *, tasks, name, depends) -> a datatrove executor


@dataclass(frozen=True, kw_only=True)
class SlurmSettings:
    """What every Slurm job array of a run asks for."""

    partition: str = "cpu"
    time: str = "12:00:00"
    cpus: int = 1  # per task
    mem_gb: int = 4  # per CPU
    venv: str | None = None  # an `activate` script; None: the running interpreter's virtualenv, if any


def current_venv() -> str | None:
    """The `activate` script of the running interpreter's virtualenv (None outside one)."""
    activate = Path(sys.prefix) / "bin" / "activate"
    return str(activate) if sys.prefix != sys.base_prefix and activate.is_file() else None


def executor_factory(
    logs: str | Path, *, executor: str = "local", workers: int = 1, slurm: SlurmSettings | None = None
) -> ExecutorFactory:
    """`make(pipeline, *, tasks, name, depends)` -> a local or Slurm executor logging to `logs/<name>`."""
    if executor == "slurm":
        from datatrove.executor import SlurmPipelineExecutor

        s = slurm or SlurmSettings()
        venv = s.venv or current_venv()

        def make_slurm(pipeline, *, tasks: int, name: str, depends=None):
            return SlurmPipelineExecutor(
                pipeline=pipeline,
                tasks=tasks,
                time=s.time,
                partition=s.partition,
                cpus_per_task=s.cpus,
                mem_per_cpu_gb=s.mem_gb,
                job_name=f"cppllm-{name}",
                logging_dir=f"{logs}/{name}",
                venv_path=venv,
                depends=depends,
            )

        return make_slurm
    if executor != "local":
        raise ValueError(f"executor {executor!r}: expected 'local' or 'slurm'")
    from datatrove.executor import LocalPipelineExecutor

    def make_local(pipeline, *, tasks: int, name: str, depends=None):
        return LocalPipelineExecutor(
            pipeline=pipeline,
            tasks=tasks,
            workers=min(workers, tasks),
            logging_dir=f"{logs}/{name}",
            depends=depends,
        )

    return make_local
