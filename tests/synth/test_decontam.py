"""Decontamination of synthetic outputs is on by default: a generated document (or the SFT conversation of an
exercise) holding a HumanEval-C++ prompt body is dropped as `contaminated`; `--no-decontam` keeps it and
says the run is degraded; eval sets that cannot be loaded stop the run before any request."""

from __future__ import annotations

import json
from pathlib import Path

from cppllm.synth.__main__ import main

from .test_generate import GOOD, QA, _args, _stats, chat_body


def _humaneval_body(fixtures_dir: Path) -> str:
    """The prompt of the first HumanEval-C++ problem (comment with the task + signature) and its tests."""
    row = json.loads((fixtures_dir / "eval" / "humaneval-cpp-mini.jsonl").read_text().splitlines()[0])
    return row["prompt"] + "    return false;\n" + row["tests"]


def test_planted_humaneval_qa_is_dropped_by_default_and_kept_with_no_decontam(
    tmp_path: Path, scripted_server, fixtures_dir, capsys
):
    planted = QA.replace(
        "rvalue reference.", f"rvalue reference.\n\n```cpp\n{_humaneval_body(fixtures_dir)}```"
    )
    answers = [QA, planted]
    srv = scripted_server(lambda req, n: (200, chat_body(answers[(n - 1) % 2]), 0.0))
    out = tmp_path / "qa"
    assert main(_args("qa", srv.url, out, 2, "--concurrency", "1")) == 0
    stats = _stats(out)
    assert stats["kept"] == 1 and stats["by_reason"] == {"contaminated": 1}
    assert stats["decontamination"]["enabled"] is True
    assert stats["decontamination"]["contaminated"] == {"humaneval": 1}
    assert stats["decontamination"]["eval_items"] == {"humaneval": 3, "humanevalfix": 8}
    (drop,) = [json.loads(x) for x in (out / "dropped.jsonl").read_text().splitlines()]
    assert drop["reason"] == "contaminated" and "humaneval" in drop["detail"]
    docs = (out / "docs" / "qa.jsonl").read_text()
    assert "has_close_elements" not in docs

    capsys.readouterr()
    assert main(_args("qa", srv.url, out, 2, "--no-decontam")) == 0  # same answers, read back from DIR
    assert "decontamination OFF" in capsys.readouterr().err
    stats = _stats(out)
    assert stats["kept"] == 2 and stats["by_reason"] == {}
    assert (
        stats["decontamination"]["enabled"] is False and "NOT checked" in stats["decontamination"]["warning"]
    )
    assert "has_close_elements" in (out / "docs" / "qa.jsonl").read_text()
    assert len(srv.requests) == 2


def test_contaminated_exercise_drops_its_sft_conversation_too(tmp_path: Path, scripted_server, fixtures_dir):
    """A verified exercise whose tests quote a HumanEvalFix-C++ solution: neither document nor SFT row."""
    row = json.loads((fixtures_dir / "eval" / "humanevalpack-cpp-mini.jsonl").read_text().splitlines()[0])
    fn = row["declaration"] + row["canonical_solution"]
    quoted = GOOD.replace(
        "## Tests\n```cpp\n", f"## Tests\n```cpp\n#include <vector>\n#include <cmath>\n{fn}\n"
    )
    answers = [GOOD, quoted]
    srv = scripted_server(lambda req, n: (200, chat_body(answers[(n - 1) % 2]), 0.0))
    out = tmp_path / "ex"
    assert main(_args("exercises", srv.url, out, 2, "--concurrency", "1")) == 0
    stats = _stats(out)
    assert stats["verify"]["kept"] == 2  # both verified ...
    assert stats["kept"] == 1 and stats["by_reason"] == {"contaminated": 1}  # ... one is a benchmark's
    sft = (out / "sft.jsonl").read_text().splitlines()
    assert len(sft) == 1 and row["entry_point"] not in sft[0]


def test_eval_sets_that_cannot_load_stop_the_run_before_any_request(tmp_path: Path, scripted_server, capsys):
    srv = scripted_server(lambda req, n: (200, chat_body(QA), 0.0))
    missing = str(tmp_path / "nope.jsonl")
    assert main(_args("qa", srv.url, tmp_path / "qa", 1, "--humaneval-source", missing)) == 2
    err = capsys.readouterr().err
    assert "needs the humaneval eval set" in err and "--no-decontam" in err
    assert srv.requests == []
