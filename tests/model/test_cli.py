import json

import pytest

from cppllm.model.__main__ import main, preset_table
from cppllm.model.config import get_preset
from cppllm.model.estimate import kv_cache_bytes_per_token, training_memory
from cppllm.model.gpt import count_params


def test_cli_prints_sizes(capsys):
    assert main(["--preset", "d20", "--batch-tokens", "4096", "--dtype", "bf16"]) == 0
    out = capsys.readouterr().out
    n = count_params(get_preset("d20"))
    assert f"{n['total']:,}" in out and f"{n['non_embedding']:,}" in out
    assert "FLOPs/token" in out and "KV cache/token" in out and "4,096 tokens" in out


def test_cli_json_and_table(capsys):
    assert main(["--preset", "3b", "--json", "--vocab-size", "50000"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"]["vocab_size"] == 50000 and data["kv_cache_bytes_per_token"] == 2 * 32 * 8 * 80 * 2
    assert "| `d32` |" in preset_table()
    with pytest.raises(SystemExit):
        main(["--preset", "nope"])


def test_memory_estimates_scale_sensibly():
    cfg = get_preset("d12")
    a, b = training_memory(cfg, 1024), training_memory(cfg, 2048)
    assert b["activations"] == 2 * a["activations"] and b["weights"] == a["weights"]
    assert training_memory(cfg, 1024, optimizer="adamw")["optimizer"] > a["optimizer"]
    assert kv_cache_bytes_per_token(cfg, "fp32") == 2 * kv_cache_bytes_per_token(cfg, "bf16")
    # the chunked loss holds one chunk of logits (bf16 + the fp32 softmax copy), however big the batch
    big = training_memory(cfg, 65536, loss_chunk=4096)
    assert big["logits"] == training_memory(cfg, 8192, loss_chunk=4096)["logits"] == 4096 * 32768 * 6
    assert a["logits"] == 1024 * 32768 * 6
