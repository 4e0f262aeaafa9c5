"""Generation against a real OpenAI-compatible server process: `transformers serve` on loopback, serving a
tiny random Llama with a tokenizer built here (no Hub). Its answers are noise, so every document must be
dropped with a counted reason, never lost; the server's token usage is recorded. `make test-slow` runs it."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cppllm.synth.__main__ import main

MAKE_MODEL = r"""
import sys
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
import torch
out = sys.argv[1]
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<|bos|>", "<|eos|>", "<|pad|>"],
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
tok.train_from_iterator(["## Problem\n```cpp\n#include <vector>\nint main() { return 0; }\n```\n"] * 10, trainer)
fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|bos|>", eos_token="<|eos|>", pad_token="<|pad|>")
fast.chat_template = ("{% for m in messages %}<|bos|>{{ m['role'] }}\n{{ m['content'] }}\n{% endfor %}"
                      "{% if add_generation_prompt %}<|bos|>assistant\n{% endif %}")
fast.save_pretrained(out)
torch.manual_seed(0)
cfg = LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                  bos_token_id=0, eos_token_id=1, pad_token_id=2)
LlamaForCausalLM(cfg).save_pretrained(out)
"""
SERVE = "import sys; from transformers.cli.transformers import main; sys.argv[0] = 'transformers'; sys.exit(main())"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(model: Path, env: dict[str, str]):
    """`transformers serve` on a free loopback port (CPU) -> its URL, until the block ends; its log is
    MODEL/server.log. Other model folders can be served by the same process (the request names them)."""
    port = _free_port()
    log = (model / "server.log").open("wb")  # noqa: SIM115 - the server writes to it until teardown
    argv = ["serve", "--host", "127.0.0.1", "--port", str(port), "--device", "cpu", str(model)]
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, *argv], stdout=log, stderr=subprocess.STDOUT, env=env
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/v1/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"transformers serve did not start:\n{(model / 'server.log').read_text()[-2000:]}"
                )
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


SERVE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": ""}


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    model = tmp_path_factory.mktemp("tiny_llama")
    env = {**os.environ, **SERVE_ENV}
    subprocess.run([sys.executable, "-c", MAKE_MODEL, str(model)], check=True, env=env, timeout=180)
    with serving(model, env) as url:
        yield url, str(model)


@pytest.mark.slow  # ~1.5 min on 2 busy cores, most of it the server start (make test-slow)
@pytest.mark.parametrize("kind", ["exercises", "textbooks"])
def test_generation_against_transformers_serve(real_server, tmp_path: Path, kind: str):
    url, model = real_server
    out = tmp_path / kind
    args = [kind, "--endpoint", url, "--model", model, "--n", "2", "--out", str(out), "--max-tokens", "48"]
    assert main([*args, "--concurrency", "2", "--retries", "1", "--backoff", "0.1"]) == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["prompts"] == 2 and stats["kept"] + stats["dropped"] == 2
    assert stats["this_run"]["successful_requests"] == 2
    assert stats["tokens"]["completion"] > 0 and stats["tokens"]["prompt"] > 0  # the server's usage
    # a random model writes no sections / no code: dropped with the parse reason, not lost
    expected = {"exercises": {"malformed_response"}, "textbooks": {"no_code", "low_compile_rate"}}[kind]
    assert set(stats["by_reason"]) <= expected
    raw = [json.loads(x) for f in sorted((out / "raw").glob("*.jsonl")) for x in f.read_text().splitlines()]
    assert all(r["metadata"]["rollout_results"][0]["status"] == "ok" for r in raw)
