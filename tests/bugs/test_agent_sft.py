"""`python -m cppllm.bugs to-agent-sft`: expert tool-use trajectories, run with the real tools, grounded in
what each tool printed, ending in passing tests, benchmark items held out, loadable by the SFT stage."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from cppllm.bugs.__main__ import main

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")


@pytest.fixture(scope="module")
def agent_sft(made, tmp_path_factory):
    out = tmp_path_factory.mktemp("agent_sft") / "agent_sft.jsonl"
    assert main(["to-agent-sft", str(made), "--out", str(out), "--no-progress", "--workers", "2"]) == 0
    return out


def test_to_agent_sft_writes_grounded_trajectories(made, agent_sft, capsys):
    from cppllm.agent.trajectories import to_agent_sft
    from cppllm.bugs.make import read_jsonl

    out = agent_sft
    counts = to_agent_sft(read_jsonl(made / "items.jsonl"), out.with_name("again.jsonl"), progress=False)
    assert out.with_name("again.jsonl").read_text() == out.read_text()  # same items, same rows
    items = [json.loads(x) for x in (made / "items.jsonl").read_text().splitlines()]
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert counts["trajectories"] == len(rows) >= 1
    assert counts.get("not_generated", 0) == sum(it["family"] == "corpus" for it in items)
    assert counts.get("skipped_benchmark_items", 0) == sum(it["split"] == "bench" for it in items)
    bench_ids = {it["id"] for it in items if it["split"] == "bench"}
    for row in rows:
        assert row["id"] not in bench_ids and row["tools"]
        msgs = row["messages"]
        calls = [m["tool_calls"][0]["function"]["name"] for m in msgs if m.get("tool_calls")]
        assert calls == ["run_tests", "search", "read_file", "edit", "run_tests"]
        assert [m["role"] for m in msgs[:4]] == ["system", "user", "assistant", "tool"]
        tool = [m["content"] for m in msgs if m["role"] == "tool"]
        assert not tool[0].startswith("passed") and tool[-1].startswith("passed: all tests pass")
        # grounded: each file:line the reasoning cites was printed by the tool just before it
        for before, turn in zip(msgs[3:], msgs[4:], strict=False):
            if before["role"] == "tool" and turn.get("reasoning"):
                for ref in re.findall(r"(?:include|tests)/[\w.]+:\d+", turn["reasoning"]):
                    assert ref in before["content"], (ref, before["content"][:500])
        edit = msgs[-5]["tool_calls"][0]["function"]["arguments"]
        assert edit["path"].startswith("include/")
        n, code = re.match(r"Line (\d+) reads `(.*?)`\. ", msgs[-5]["reasoning"]).groups()
        assert f"{n}| " in msgs[-6]["content"] and code in msgs[-6]["content"]  # as read_file printed it
        assert abs(int(n) - edit["start_line"]) <= 3


def test_agent_sft_rows_are_sft_stage_input(agent_sft, cpp_sample):
    from cppllm.tokenizer.tokenizer import train_tokenizer
    from cppllm.train.chat_data import ChatSet

    out = agent_sft
    tok = train_tokenizer(list(cpp_sample.values())[:20], 600)
    chats = ChatSet(tok, seq_len=16384).add(out)
    n = len(out.read_text().splitlines())
    assert len(chats.rows) == n and not chats.dropped
    ids, mask = chats.rows[0]
    from cppllm.tokenizer.special import QUERY_TOOL_ID, TOOL_RESULT_ID

    assert (ids == QUERY_TOOL_ID).sum() == 5 and (ids == TOOL_RESULT_ID).sum() == 5
    assert mask[ids == QUERY_TOOL_ID].all() and not mask[ids == TOOL_RESULT_ID].any()
