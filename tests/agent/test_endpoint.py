"""The agent against an OpenAI-compatible server over real HTTP (`scripted_server`: a loopback server answering
from a script, see tests/synth/conftest.py), in both protocols: native function calling (`tools` out,
`tool_calls` in, `tool` messages with `tool_call_id` back) and the text protocol (`<|query_tool|>` in the
system message). A replayed native conversation reaches the fix on the ring repository; malformed arguments
are counted malformed calls; a server refusing `tools` gets a clear error naming the text protocol."""

from __future__ import annotations

import json

from cppllm.agent.__main__ import main
from cppllm.agent.completers import EndpointCompleter
from cppllm.agent.loop import AgentConfig, run_agent
from cppllm.agent.tools import TOOL_SCHEMAS
from cppllm.agent.workspace import Workspace
from cppllm.synth.client import ClientConfig

TASK = "The tests crash under AddressSanitizer. Find the bug and fix it."
FIX = "    for (std::size_t i = 0; i < count_; ++i) total += data_[(head_ + i) % capacity_];"


def _completion(content: str | None = "", calls: list[tuple[str, str, str]] = ()) -> bytes:
    """A chat completion body; `calls` as (id, name, arguments JSON string), the OpenAI wire form."""
    message: dict = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": a}} for i, n, a in calls
        ]
    return json.dumps(
        {
            "choices": [{"message": message, "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5},
        }
    ).encode()


def _script(bodies: list[bytes]):
    """`answer` for `scripted_server`: the n-th request gets bodies[n - 1] (then a plain answer)."""
    return lambda req, n: (200, bodies[n - 1] if n <= len(bodies) else _completion("done"), 0.0)


NATIVE_FIX = [
    _completion("Let me run the tests.", [("call_a", "run_tests", "{}")]),
    _completion(
        None, [("call_b", "read_file", '{"path": "src/ring.cpp", "start_line": 20, "end_line": 26}')]
    ),
    _completion("", [("call_c", "edit", '{"path": "src/ring.cpp", "start_line": 24')]),  # cut-off JSON
    _completion(
        "head_ + i runs past the buffer; wrap it.",
        [
            (
                "call_d",
                "edit",
                json.dumps({"path": "src/ring.cpp", "start_line": 24, "end_line": 24, "content": FIX}),
            ),
            ("call_e", "run_tests", "{}"),  # a second call in the same turn: answered "not run"
        ],
    ),
    _completion("", [("call_f", "run_tests", '{"sanitize": true}')]),
    _completion("Ring::sum now wraps its index modulo capacity_."),
]


def test_native_tool_calls_reach_the_fix(ring_repo, scripted_server, tmp_path, monkeypatch):
    server = scripted_server(_script(NATIVE_FIX))
    monkeypatch.setenv("RING_KEY", "sekret")
    run = tmp_path / "run"
    rc = main(["--run", str(run), "--repo", str(ring_repo), "--task", TASK, "--policy", "endpoint",
               "--endpoint", server.url, "--endpoint-model", "scripted", "--api-key-env", "RING_KEY"])  # fmt: skip
    assert rc == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["stop"] == "answer" and summary["steps"] == 6
    assert summary["tool_calls"] == 4 and summary["malformed_calls"] == 1
    assert summary["config"]["endpoint"]["protocol"] == "native"
    assert summary["config"]["endpoint"]["usage"] == {"prompt_tokens": 60, "completion_tokens": 30}
    assert FIX.strip() in (run / "final.diff").read_text()
    rows = [json.loads(x) for x in (run / "transcript.jsonl").read_text().splitlines()]
    assert rows[0]["result"]["status"] == "sanitizer" and rows[4]["result"]["status"] == "passed"
    assert rows[2]["malformed"].startswith('"arguments" is a string that is not JSON')
    assert rows[2]["observation"].startswith("error: malformed tool call:")
    assert [r.get("call_id") for r in rows] == ["call_a", "call_b", "call_c", "call_d", "call_f", None]
    assert len(rows[3]["calls_not_run"]) == 1 and "run_tests" in rows[3]["calls_not_run"][0]

    # what the server received: the seven tools as OpenAI `tools`, no text protocol, the key from the env
    assert len(server.requests) == 6
    for req in server.requests:
        assert req["tools"] == TOOL_SCHEMAS and "stop" not in req and req["model"] == "scripted"
        assert "<|query_tool|>" not in req["messages"][0]["content"]
    assert all(h["Authorization"] == "Bearer sekret" for h in server.headers)
    last = server.requests[-1]["messages"]
    assert [m["role"] for m in last] == ["system", "user"] + ["assistant", "tool"] * 3 + [
        "assistant", "tool", "tool", "assistant", "tool"]  # fmt: skip
    assert last[2]["tool_calls"][0]["id"] == "call_a" and last[3]["tool_call_id"] == "call_a"
    assert last[3]["content"].startswith("sanitizer:")
    # the malformed call goes back with arguments {} (servers parse past calls' arguments and answer 500
    # to broken JSON), its result says so and quotes what the model wrote; the transcript keeps it verbatim
    assert last[6]["tool_calls"][0]["function"] == {"name": "edit", "arguments": "{}"}
    assert last[7]["tool_call_id"] == "call_c" and "malformed tool call" in last[7]["content"]
    assert last[7]["content"].endswith('you wrote: {"path": "src/ring.cpp", "start_line": 24)')
    assert json.loads(rows[2]["raw_call"])["arguments"] == '{"path": "src/ring.cpp", "start_line": 24'
    # both calls of the two-call turn are answered: the first ran, the second did not
    assert [c["id"] for c in last[8]["tool_calls"]] == ["call_d", "call_e"]
    assert last[9]["tool_call_id"] == "call_d" and last[9]["content"].startswith("replaced lines 24-24")
    assert last[10]["tool_call_id"] == "call_e" and last[10]["content"].startswith("not run: one tool call")
    # the chat-layout record carries the ids too
    msgs = json.loads((run / "messages.json").read_text())["messages"]
    assert msgs[2]["tool_calls"][0]["id"] == "call_a" and msgs[3]["tool_call_id"] == "call_a"


def test_native_malformed_calls_are_counted(ring_repo, scripted_server):
    bodies = [
        _completion("", [("c1", "read_file", "{oops")]),
        _completion("", [("c2", "", "{}")]),  # no name
        _completion("", [("c3", "list_files", "[1, 2]")]),  # arguments not an object
        _completion("I give up."),
    ]
    server = scripted_server(_script(bodies))
    client = ClientConfig(endpoint=server.url, model="scripted", max_retries=0, ready_timeout_s=5)
    with Workspace(ring_repo) as ws:
        res = run_agent(EndpointCompleter(client), ws, TASK, AgentConfig(max_steps=6))
    assert res.stop == "answer" and res.steps == 4 and res.tool_calls == 0 and res.malformed_calls == 3
    assert all(r["observation"].startswith("error: malformed tool call:") for r in res.transcript[:3])
    assert [m["tool_call_id"] for m in server.requests[-1]["messages"] if m["role"] == "tool"] == [
        "c1",
        "c2",
        "c3",
    ]


def test_server_refusing_tools_names_the_text_protocol(ring_repo, scripted_server, tmp_path, capsys):
    def answer(req, n):
        if "tools" in req:
            return (
                400,
                b'{"error": {"message": "\\"auto\\" tool choice requires --enable-auto-tool-choice"}}',
                0.0,
            )
        return 200, _completion("No tools needed: the answer."), 0.0

    server = scripted_server(answer)
    argv = ["--repo", str(ring_repo), "--task", TASK, "--policy", "endpoint", "--endpoint", server.url]
    assert main(["--run", str(tmp_path / "native"), *argv]) == 1
    err = capsys.readouterr().err
    assert "HTTP 400" in err and "--endpoint-protocol text" in err
    assert len(server.requests) == 1  # refused once: no retries, no silent second try without tools
    summary = json.loads((tmp_path / "native" / "summary.json").read_text())
    assert summary["stop"] == "completer_error" and "--endpoint-protocol text" in summary["detail"]
    # the protocol the error names works with this server
    assert main(["--run", str(tmp_path / "text"), *argv, "--endpoint-protocol", "text"]) == 0
    assert "tools" not in server.requests[-1]
    summary = json.loads((tmp_path / "text" / "summary.json").read_text())
    assert summary["stop"] == "answer" and summary["config"]["endpoint"]["protocol"] == "text"


def test_text_protocol_over_real_http(ring_repo, scripted_server):
    edit = {"name": "edit", "arguments": {"path": "src/ring.cpp", "start_line": 24, "content": FIX}}
    replies = [
        'Let me run the tests.<|query_tool|>{"name": "run_tests", "arguments": {}}',
        "Found it.<|query_tool|>" + json.dumps(edit) + "<|tool_result|>hallucinated",
        "<|query_tool|>{oops",
        "Fixed the wrap-around in Ring::sum.",
    ]
    server = scripted_server(_script([_completion(r) for r in replies]))
    client = ClientConfig(endpoint=server.url, model="scripted", max_retries=0, ready_timeout_s=5)
    completer = EndpointCompleter(client, protocol="text")
    with Workspace(ring_repo) as ws:
        res = run_agent(completer, ws, TASK, AgentConfig(max_steps=6))
    assert res.stop == "answer" and res.tool_calls == 2 and res.malformed_calls == 1
    assert "% capacity_" in res.diff and completer.usage == {"prompt_tokens": 40, "completion_tokens": 20}
    last = server.requests[-1]
    assert "tools" not in last and last["stop"] == ["<|tool_result|>"]
    assert "run_tests" in last["messages"][0]["content"]
    assert last["messages"][3]["content"].startswith("<|tool_result|>sanitizer:")
    assert last["messages"][4]["content"].startswith("Found it.<|query_tool|>")


def test_api_key_flag_is_gone(ring_repo, tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["--run", str(tmp_path / "r"), "--repo", str(ring_repo), "--task", "x", "--policy", "endpoint",
              "--endpoint", "http://127.0.0.1:9", "--api-key", "sekret"])  # fmt: skip
    assert "unrecognized arguments: --api-key" in capsys.readouterr().err


def test_a_request_longer_than_the_servers_context_is_a_context_full_stop(
    ring_repo, scripted_server, tmp_path
):
    vllm = (  # vLLM's 400 for a prompt over --max-model-len
        b'{"object": "error", "message": "This model\'s maximum context length is 4096 tokens. However, you '
        b'requested 4311 tokens (4055 in the messages, 256 in the completion).", "type": "BadRequestError", '
        b'"param": null, "code": 400}'
    )
    first = _completion("Let me run the tests.", [("call_a", "run_tests", "{}")])
    server = scripted_server(lambda req, n: (200, first, 0.0) if n == 1 else (400, vllm, 0.0))
    argv = ["--repo", str(ring_repo), "--task", TASK, "--policy", "endpoint", "--endpoint", server.url]
    assert main(["--run", str(tmp_path / "run"), *argv]) == 0  # a budget ran out, not an error
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["stop"] == "context_full" and "maximum context length is 4096" in summary["detail"]
    assert len(server.requests) == 2  # no retry: a longer history never fits better


def test_other_refusals_stay_completer_errors(ring_repo, scripted_server, tmp_path):
    server = scripted_server(lambda req, n: (400, b'{"error": {"message": "unknown model: x"}}', 0.0))
    argv = ["--repo", str(ring_repo), "--task", TASK, "--policy", "endpoint", "--endpoint", server.url]
    assert main(["--run", str(tmp_path / "run"), *argv]) == 1
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["stop"] == "completer_error"
