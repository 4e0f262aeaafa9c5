"""agentfix: verified held-out repositories, an expert replay solves them, a replay that guts the tests does
not, and `python -m cppllm.eval --tasks agentfix` runs a tiny model end to end into eval.json and report.md."""

from __future__ import annotations

import json

from cppllm.agent.bench import load_tasks, run_agentfix
from cppllm.agent.completers import ReplayCompleter
from cppllm.agent.loop import AgentConfig
from cppllm.agent.trajectories import _edit_args


def test_expert_replay_solves_and_gutting_the_tests_does_not(bench_items):
    tasks, dropped = load_tasks(bench_items)
    assert len(tasks) == 1 and dropped == {}
    assert {t.family for t in tasks} <= {"bst", "config_parser"}
    for t in tasks:
        assert set(t.buggy) == {
            t.lib_path,
            "tests/check.hpp",
            f"tests/test_{t.name}.cpp",
            "Makefile",
            "README.md",
        }
    plans = [
        [{"name": "run_tests", "arguments": {}}, {"name": "edit", "arguments": _edit_args(t)}] for t in tasks
    ]
    it = iter(plans)
    out = run_agentfix(tasks, lambda: ReplayCompleter(next(it)), AgentConfig(max_steps=10), progress=False)
    assert out["solved"] == 1 and out["solve_rate"] == 1.0 and out["malformed_call_rate"] == 0.0
    assert out["steps_per_task"] == 3 and out["tool_calls_per_task"] == 2 and out["stops"] == {"answer": 1}
    assert all(r["final_status"] == "passed" and r["touched_other_files"] == [] for r in out["tasks"])
    # an agent that empties main() passes its own run, but the score restores the tests first
    gut = [
        [{"name": "edit", "arguments": {"path": f"tests/test_{t.name}.cpp", "start_line": 1,
                                        "end_line": t.buggy[f"tests/test_{t.name}.cpp"].count("\n"),
                                        "content": "int main() { return 0; }"}},
         {"name": "run_tests", "arguments": {}}]
        for t in tasks
    ]  # fmt: skip
    it = iter(gut)
    out = run_agentfix(tasks, lambda: ReplayCompleter(next(it)), AgentConfig(max_steps=4), progress=False)
    assert out["solved"] == 0
    assert all(
        r["touched_other_files"] == [f"tests/test_{t.name}.cpp"]
        for r, t in zip(out["tasks"], tasks, strict=True)
    )


def test_eval_cli_runs_agentfix_with_a_tiny_model(bench_items, chat_tok, tmp_path):
    from cppllm.eval.__main__ import main as eval_main
    from cppllm.eval.report import main as report_main
    from cppllm.model.checkpoint import save_checkpoint_model
    from cppllm.model.config import GPTConfig
    from cppllm.model.gpt import GPT

    run = tmp_path / "run"
    model = GPT(GPTConfig(vocab_size=chat_tok.vocab_size, n_layer=1, n_head=2, n_embd=64, max_seq_len=4096))
    save_checkpoint_model(model, run / "ckpt" / "step_000001", {"step": 1})
    chat_tok.save(tmp_path / "tok")
    argv = ["--run", str(run), "--tokenizer", str(tmp_path / "tok"), "--tasks", "agentfix", "--no-progress"]
    argv += ["--agentfix-data", str(bench_items), "--agent-max-steps", "2", "--max-new-tokens", "24"]
    assert eval_main(argv) == 0
    sec = json.loads((run / "eval.json").read_text())["agentfix"]
    assert sec["n"] == 1 and sec["solved"] == 0 and len(sec["tasks"]) == 1
    assert 0 <= sec["malformed_call_rate"] <= 1 and sec["steps_per_task"] >= 1
    assert sum(sec["stops"].values()) == 1 and sec["sandbox"]["backend"]
    assert report_main(["--run", str(run)]) == 0
    md = (run / "report.md").read_text()
    assert "## agentfix (agent fixes held-out planted-bug repositories with tools)\n\n0/1 solved = " in md
