"""Real Slurm (`make test-slurm`): M2's synthetic generation runs as stages of the data run on the Slurm
executor (eval sets -> generate job arrays -> collect, chained `afterok`) against an OpenAI-compatible
server on loopback, writes the folders the read stages take, and a resubmission requests nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ..synth.conftest import ScriptedServer
from ..synth.test_m2 import EXERCISE, TEXTBOOK, _chat
from .test_slurm import _wait_for_queue

pytestmark = [pytest.mark.slurm, pytest.mark.slow]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eval"


def _input_stages(tmp_path: Path, url: str, partition: str) -> list:
    from pipelines.cli import build_executors, parse_config
    from pipelines.sources import M2

    config = parse_config(
        M2,
        ["--output", str(tmp_path / "m2"), "--no-license", "--executor", "slurm", "--partition", partition,
         "--time", "00:20:00", "--synthetic-endpoint", url, "--synthetic-model", "teacher-x",
         "--synthetic-n", "4", "--synthetic-tasks", "2", "--synthetic-work", str(tmp_path / "work"),
         "--humaneval-source", str(FIXTURES / "humaneval-cpp-mini.jsonl"),
         "--humanevalfix-source", str(FIXTURES / "humanevalpack-cpp-mini.jsonl")]
    )  # fmt: skip
    chain = build_executors(config, M2)
    first_read = next(
        i for i, ex in enumerate(chain) if Path(ex.logging_dir.path).name.startswith("process_")
    )
    return chain[:first_read]


def test_synthetic_generation_is_a_slurm_stage_of_m2(cluster, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # data/synthetic/<kind>: where M2 reads its synthetic sources
    answer = lambda req, n: (200, _chat(EXERCISE if "exercise" in str(req) else TEXTBOOK), 0.0)  # noqa: E731
    with ScriptedServer(answer) as srv:
        stages = _input_stages(tmp_path, srv.url, cluster["partition"])
        stages[-1].run()  # submits the chain up to the last collect stage, each afterok on the one before
        _wait_for_queue(timeout=900)
        assert len(srv.requests) == 8  # 4 prompts x 2 kinds, each once
        for kind in ("textbooks", "exercises"):
            logs = tmp_path / "work" / kind / "logs" / f"generate_{kind}_0000000_0000004"
            assert (logs / "launch_script.slurm").is_file()  # it really went through sbatch
            assert len(list((logs / "completions").iterdir())) == 2  # --synthetic-tasks 2: an array of 2
            docs = tmp_path / "data" / "synthetic" / kind / f"{kind}.jsonl"
            assert docs.is_file(), f"no {docs}; job logs under {logs / 'slurm_logs'}"
            rows = [json.loads(x) for x in docs.read_text().splitlines()]
            assert len(rows) == 4 and {r["source"] for r in rows} == {f"synthetic-{kind}"}
            stats = json.loads((tmp_path / "work" / kind / "stats.json").read_text())
            assert stats["decontamination"]["enabled"] is True and stats["kept"] == 4
        # resubmitted: every stage is complete, nothing is launched or requested again
        again = _input_stages(tmp_path, srv.url, cluster["partition"])
        again[-1].run()
        assert all(ex.job_id == -1 for ex in again)
        _wait_for_queue(timeout=120)
        assert len(srv.requests) == 8
    q = subprocess.run(["squeue", "--noheader"], capture_output=True, text=True)
    assert not q.stdout.strip()
