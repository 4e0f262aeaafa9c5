"""The loop: a replayed trajectory reaches a fix (and the run folder records it); a tiny real model's loop
runs end to end on malformed output without crashing (OpenAI-compatible servers: test_endpoint.py)."""

from __future__ import annotations

import json

import pytest

from cppllm.agent.__main__ import main
from cppllm.agent.completers import ModelCompleter, ReplayCompleter
from cppllm.agent.loop import AgentConfig, run_agent
from cppllm.agent.workspace import Workspace

from .conftest import FIXTURES

TASK = "The tests crash under AddressSanitizer. Find the bug and fix it."


def test_replayed_trajectory_reaches_the_fix(ring_repo, tmp_path):
    run = tmp_path / "run"
    rc = main(["--run", str(run), "--repo", str(ring_repo), "--task", TASK,
               "--policy", f"replay:{FIXTURES / 'ring_fix.json'}"])  # fmt: skip
    assert rc == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["stop"] == "answer" and summary["steps"] == 6
    assert summary["tool_calls"] == 4 and summary["malformed_calls"] == 1 and summary["malformed_rate"] == 0.2
    rows = [json.loads(x) for x in (run / "transcript.jsonl").read_text().splitlines()]
    assert rows[0]["result"]["status"] == "sanitizer" and rows[-2]["result"]["status"] == "passed"
    assert "malformed tool call" in rows[2]["observation"] and rows[2]["raw_call"].startswith(
        '{"name": "edit"'
    )
    diff = (run / "final.diff").read_text()
    assert "+    for (std::size_t i = 0; i < count_; ++i) total += data_[(head_ + i) % capacity_];" in diff
    msgs = json.loads((run / "messages.json").read_text())["messages"]
    assert [m["role"] for m in msgs[:4]] == ["system", "user", "assistant", "tool"]
    # the transcript replays to the same diff
    run2 = tmp_path / "run2"
    assert main(["--run", str(run2), "--repo", str(ring_repo), "--task", TASK,
                 "--policy", f"replay:{run / 'transcript.jsonl'}"]) == 0  # fmt: skip
    assert (run2 / "final.diff").read_text() == diff


def test_step_budget_stops_the_loop(ring_repo):
    calls = [{"name": "list_files", "arguments": {}}] * 10
    with Workspace(ring_repo) as ws:
        res = run_agent(ReplayCompleter(calls), ws, TASK, AgentConfig(max_steps=3))
    assert res.stop == "max_steps" and res.steps == 3 and res.tool_calls == 3 and res.diff == ""


def _tiny_model(vocab: int):
    from cppllm.model.config import GPTConfig
    from cppllm.model.gpt import GPT

    return GPT(GPTConfig(vocab_size=vocab, n_layer=2, n_head=2, n_embd=64, max_seq_len=4096))


class CallsEverything:
    """A real tiny GPT whose logits are nudged to open a call at the start of every turn: what follows the
    `<|query_tool|>` id is whatever the random model writes (malformed), so the loop must survive it."""

    def __init__(self, model):
        import torch

        from cppllm.tokenizer.special import ASSISTANT_ID, QUERY_TOOL_ID

        self.model, self.config = model, model.config
        self._prev, self._torch, self._ids = None, torch, (ASSISTANT_ID, QUERY_TOOL_ID)

    def parameters(self):
        return self.model.parameters()

    @property
    def training(self):
        return self.model.training

    def train(self, mode=True):
        return self.model.train(mode)

    def eval(self):
        return self.model.eval()

    def __call__(self, idx, cache=None):
        logits = self.model(idx, cache=cache)
        assistant, query = self._ids
        if int(idx[0, -1]) == assistant:
            logits[:, -1, query] += 1e4
        return logits


@pytest.mark.parametrize("nudged", [False, True])
def test_tiny_model_loop_runs_end_to_end(ring_repo, chat_tok, nudged):
    model = _tiny_model(chat_tok.vocab_size)
    policy = CallsEverything(model) if nudged else model
    completer = ModelCompleter(policy, chat_tok, max_new_tokens=24, temperature=1.0, seed=0)
    with Workspace(ring_repo) as ws:
        res = run_agent(completer, ws, TASK, AgentConfig(max_steps=4))
    assert res.stop in ("answer", "max_steps", "context_full")
    if nudged:
        assert res.stop == "max_steps" and res.steps == 4
        assert res.malformed_calls + res.tool_calls == 4 and res.malformed_calls >= 1
        assert all(r["observation"].startswith("error:") for r in res.transcript if r.get("malformed"))
        # the model's context holds its own ids and the tool turns it has read: 4 calls, 3 results (the
        # 4th was never fed back: the step budget ended the run)
        from cppllm.tokenizer.special import QUERY_TOOL_ID, TOOL_RESULT_ID

        assert completer.ids.count(QUERY_TOOL_ID) == 4 and completer.ids.count(TOOL_RESULT_ID) == 3


def test_cli_errors_are_clean(ring_repo, tmp_path, capsys):
    assert main(["--run", str(tmp_path / "r"), "--repo", str(ring_repo), "--task", "x"]) == 2
    assert "needs --model" in capsys.readouterr().err
    assert main(["--run", str(tmp_path / "r"), "--repo", str(tmp_path / "nope"), "--task", "x",
                 "--policy", f"replay:{FIXTURES / 'ring_fix.json'}"]) == 2  # fmt: skip


def test_cli_with_a_model_checkpoint(ring_repo, chat_tok, tmp_path):
    from cppllm.model.checkpoint import save_checkpoint_model

    ckpt = tmp_path / "ckpt"
    save_checkpoint_model(_tiny_model(chat_tok.vocab_size), ckpt, {"step": 1})
    chat_tok.save(tmp_path / "tok")
    run = tmp_path / "run"
    argv = ["--run", str(run), "--repo", str(ring_repo), "--task", TASK, "--model", str(ckpt)]
    argv += [
        "--tokenizer",
        str(tmp_path / "tok"),
        "--max-steps",
        "2",
        "--max-new-tokens",
        "16",
        "--device",
        "cpu",
    ]
    assert main(argv) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["config"]["policy"] == "model" and 1 <= summary["steps"] <= 2
    assert summary["sandbox"]["programs"] in ("sandboxed", "unsandboxed")
