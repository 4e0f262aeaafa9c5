"""The agent loop against a real OpenAI-compatible server process: `transformers serve` with the tiny random
Llama of the synthetic-data tests (its fixture, no Hub). Its answers are noise: the loop must end cleanly
(an answer, malformed calls counted, or the step budget), with the server's token usage recorded. In the
native protocol the server takes the seven tools as OpenAI `tools` (it hands them to the chat template);
it parses tool calls only for models with a response template (Qwen, Gemma...), not this Llama, so its
noise comes back as plain answers."""

from __future__ import annotations

import pytest

from ..synth.test_real_server import real_server  # noqa: F401  (the module-scoped server fixture)


@pytest.mark.slow  # ~1.5 min on 2 busy cores, most of it the server start (make test-slow)
@pytest.mark.parametrize("protocol", ["native", "text"])
def test_agent_loop_against_transformers_serve(real_server, ring_repo, protocol):  # noqa: F811
    from cppllm.agent.completers import EndpointCompleter
    from cppllm.agent.loop import AgentConfig, run_agent
    from cppllm.agent.workspace import Workspace
    from cppllm.synth.client import ClientConfig

    url, model = real_server
    client = ClientConfig(endpoint=url, model=model, max_retries=1, backoff_s=0.1,
                          generation={"temperature": 1.0, "max_tokens": 32})  # fmt: skip
    completer = EndpointCompleter(client, protocol=protocol)
    with Workspace(ring_repo) as ws:
        res = run_agent(completer, ws, "The tests crash; fix the bug.", AgentConfig(max_steps=3))
    assert res.stop in ("answer", "max_steps"), res.detail
    assert res.steps >= 1 and res.tool_calls + res.malformed_calls <= res.steps
    assert completer.usage["prompt_tokens"] > 0 and completer.usage["completion_tokens"] > 0
    if protocol == "native":  # the request with `tools` was accepted and answered
        assert completer.wire[-1]["role"] == "assistant" and res.stop == "answer" and res.steps == 1
