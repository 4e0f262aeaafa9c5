"""`cppllm.pipeline.executors`: one local/Slurm factory; Slurm jobs activate the submitting virtualenv."""

from __future__ import annotations

import sys

import pytest

from cppllm.pipeline.executors import SlurmSettings, current_venv, executor_factory


@pytest.fixture
def sbatch_scripts(monkeypatch) -> list[str]:
    """The sbatch scripts datatrove would submit, captured instead of calling `sbatch`."""
    import datatrove.executor.slurm as slurm

    scripts: list[str] = []

    def launch(contents: str, *args, **kwargs) -> str:
        scripts.append(contents)
        return str(1000 + len(scripts))

    monkeypatch.setattr(slurm, "launch_slurm_job", launch)
    return scripts


def test_standalone_dedup_slurm_jobs_activate_the_venv(tmp_path, sbatch_scripts, monkeypatch):
    from cppllm.pipeline.dedup.run import main

    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "activate").write_text("")
    monkeypatch.setattr(sys, "prefix", str(venv))  # as if run from that virtualenv
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    (tmp_path / "docs").mkdir()
    argv = ["--input", str(tmp_path / "docs"), "--output", str(tmp_path / "out"), "--tasks", "2",
            "--executor", "slurm", "--partition", "cpu", "--time", "00:30:00"]  # fmt: skip
    assert main(argv) == 0
    # signatures, buckets, clusters, filter: one job array each, and datatrove's stats-merging job after each
    assert len(sbatch_scripts) == 8
    for script in sbatch_scripts:
        assert f"source {venv}/bin/activate" in script
        assert "#SBATCH --partition=cpu" in script and "#SBATCH --time=00:30:00" in script


def test_settings_reach_the_sbatch_script(tmp_path, sbatch_scripts):
    make = executor_factory(
        tmp_path / "logs",
        executor="slurm",
        slurm=SlurmSettings(partition="big", time="01:00:00", cpus=3, mem_gb=5, venv="/opt/env/bin/activate"),
    )
    from datatrove.pipeline.readers import JsonlReader

    make([JsonlReader(str(tmp_path))], tasks=2, name="stage").run()
    script = sbatch_scripts[0]  # the stage (then datatrove's stats-merging job)
    for line in ("#SBATCH --partition=big", "#SBATCH --cpus-per-task=3", "#SBATCH --mem-per-cpu=5G",
                 "#SBATCH --job-name=cppllm-stage", "source /opt/env/bin/activate"):  # fmt: skip
        assert line in script


def test_no_venv_outside_one(monkeypatch):
    monkeypatch.setattr(sys, "base_prefix", sys.prefix)
    assert current_venv() is None


def test_local_factory_and_unknown_executor(tmp_path):
    ex = executor_factory(tmp_path / "logs", workers=4)([], tasks=2, name="s")
    assert ex.world_size == 2 and ex.workers == 2 and ex.logging_dir.path.endswith("logs/s")
    with pytest.raises(ValueError, match="executor"):
        executor_factory(tmp_path, executor="ray")
