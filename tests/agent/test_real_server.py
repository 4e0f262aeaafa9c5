"""The agent loop against a real OpenAI-compatible server process, `transformers serve` (no Hub):

- the tiny random Llama of the synthetic-data tests, in both protocols. Its answers are noise: the loop must
  end cleanly, with the server's token usage recorded. The server takes the seven tools as OpenAI `tools`
  (it hands them to the chat template) but parses tool calls only for models with a response template
  (Qwen, Gemma...), not this Llama, so in the native protocol its noise comes back as a plain answer.
- a tiny Qwen2 whose every logit is 0, so greedy decoding writes token 0 every time: a token that spells two
  tool calls in Qwen's `<tool_call>` markup, a good `list_files` and a `read_file` whose arguments are
  broken JSON. The server parses them into native `tool_calls`; the loop runs the first, answers the second
  "not run", and the next requests carry both calls (the broken arguments as `{}`: the server parses the
  arguments of past calls and answers HTTP 500 to broken JSON) with a `tool` message per call id.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ..synth.test_real_server import SERVE_ENV, real_server, serving  # noqa: F401  (real_server: a fixture)

CALLS = (
    '<tool_call>\n{"name": "list_files", "arguments": {}}\n</tool_call>\n'
    '<tool_call>\n{"name": "read_file", "arguments": "{oops"}\n</tool_call>'
)
MAKE_TOOL_MODEL = r"""
import sys
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM
out, calls = sys.argv[1], sys.argv[2]
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=[calls, "<|im_start|>", "<|im_end|>", "<|endoftext|>"],
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
tok.train_from_iterator(["int main() { return 0; }\n"] * 10, trainer)
fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|endoftext|>",
                               pad_token="<|endoftext|>")
fast.chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                      "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
fast.save_pretrained(out)
cfg = Qwen2Config(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                  tie_word_embeddings=False, bos_token_id=1, eos_token_id=3, pad_token_id=3)
model = Qwen2ForCausalLM(cfg)
with torch.no_grad():
    model.lm_head.weight.zero_()  # every logit 0: greedy decoding picks token 0, the calls
model.save_pretrained(out)
"""


@pytest.fixture(scope="module")
def tool_server(tmp_path_factory):
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    model = tmp_path_factory.mktemp("tiny_qwen_calls")
    env = {**os.environ, **SERVE_ENV}
    subprocess.run(
        [sys.executable, "-c", MAKE_TOOL_MODEL, str(model), CALLS], check=True, env=env, timeout=180
    )
    with serving(model, env) as url:
        yield url, str(model)


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


@pytest.mark.slow  # ~1 min on 2 busy cores, most of it the server start (make test-slow)
def test_native_tool_calls_from_transformers_serve(tool_server, ring_repo, tmp_path):
    import json

    from cppllm.agent.__main__ import main

    url, model = tool_server
    run = tmp_path / "run"
    argv = ["--run", str(run), "--repo", str(ring_repo), "--task", "The tests crash; fix the bug."]
    argv += ["--policy", "endpoint", "--endpoint", url, "--endpoint-model", model, "--max-steps", "3"]
    assert main([*argv, "--max-new-tokens", "1", "--temperature", "0"]) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["stop"] == "max_steps", summary["detail"]  # every request answered, none refused
    assert summary["tool_calls"] == 3 and summary["malformed_calls"] == 0
    assert summary["config"]["endpoint"]["protocol"] == "native"
    rows = [json.loads(x) for x in (run / "transcript.jsonl").read_text().splitlines()]
    for r in rows:
        assert r["call"] == {"name": "list_files", "arguments": {}} and r["result"]["ok"]
        assert r["call_id"].endswith("_tool_call_0")  # the server's ids
        assert [json.loads(c)["name"] for c in r["calls_not_run"]] == ["read_file"]
