"""`cppllm.eval.tasks`: one list of tasks for the eval CLI, the report and the demo."""

from __future__ import annotations

import inspect

import pytest

from cppllm.eval import tasks as T
from cppllm.eval.report import SECTIONS


def test_every_task_has_a_report_section_and_a_runner():
    import cppllm.eval.__main__ as eval_main

    assert set(SECTIONS) == set(T.TASKS)
    branches = [
        ln for ln in inspect.getsource(eval_main.main).splitlines() if "task ==" in ln or "task in (" in ln
    ]
    for name in T.TASKS:
        assert any(f'"{name}"' in ln for ln in branches), f"no runner branch for {name}"


def test_defaults_are_the_cli_and_demo_tasks():
    import cppllm.demo as demo
    from cppllm.eval.__main__ import main

    assert T.DEFAULT_TASKS == ("bpb", "compile", "fim")
    assert demo.DEFAULT_TASKS is T.DEFAULT_TASKS
    with pytest.raises(SystemExit):  # an unknown task is an argparse error naming the valid ones
        main(["--run", "x", "--tasks", "bpb,nope"])


def test_parse_and_headline():
    assert T.parse_tasks(" bpb, fim ,") == ["bpb", "fim"]
    with pytest.raises(ValueError, match="valid: bpb,compile"):
        T.parse_tasks("bpb,nope")
    assert T.headline("compile", {"error": "x"}) == "FAILED"
    assert T.headline("bpb", {"bpb": 1.5, "unigram_bpb": 4.0}) == "bpb 1.500 (unigram 4.000)"
    assert [t.title for t in T.TASKS.values()][:3] == ["Bits per byte", "Compile rate", "Fill-in-the-middle"]
