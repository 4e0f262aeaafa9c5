"""TrainConfig defaults derived from the preset, the parameter count and the world size."""

from __future__ import annotations

import math

import pytest

from cppllm.model.config import get_preset
from cppllm.model.gpt import count_params
from cppllm.train.config import TOKENS_PER_PARAM, TrainConfig


def _resolve(cfg: TrainConfig, world: int = 1) -> TrainConfig:
    m = get_preset(cfg.preset, vocab_size=32768)
    n = count_params(m)["total"]
    return cfg.resolve(n_params=n, n_embd=m.n_embd, max_seq_len=m.max_seq_len, world_size=world,
                       tied=m.tie_embeddings)  # fmt: skip


def test_chinchilla_budget_and_preset_batch():
    cfg = _resolve(TrainConfig(preset="d20"), world=8)
    n = count_params(get_preset("d20", vocab_size=32768))["total"]
    assert cfg.tokens == TOKENS_PER_PARAM * n
    assert cfg.steps == math.ceil(cfg.tokens / 2**19) and cfg.batch_tokens == 2**19
    assert cfg.seq_len == 2048 and cfg.micro_batch == 32 and cfg.grad_accum(8) == 1
    assert cfg.grad_accum(1) == 8
    assert cfg.matrix_lr == 0.02 and cfg.embed_lr == pytest.approx(0.2 * (1280 / 768) ** -0.5)


def test_steps_override_tokens_and_schedule_fractions():
    cfg = _resolve(TrainConfig(preset="tiny", steps=100, tokens=1))
    assert cfg.steps == 100 and cfg.tokens == 100 * cfg.batch_tokens
    assert cfg.warmup_steps == 1 and cfg.decay_steps == 20
    assert cfg.embed_lr == cfg.head_lr  # tied embedding = head: the head's LR


def test_bad_batch_shapes_are_clear_errors():
    with pytest.raises(ValueError, match="multiple of --seq-len"):
        _resolve(TrainConfig(preset="tiny", batch_tokens=1000))
    with pytest.raises(ValueError, match="does not divide"):
        _resolve(TrainConfig(preset="tiny", batch_tokens=16 * 256, micro_batch=3))
    with pytest.raises(ValueError, match="ranks"):
        _resolve(TrainConfig(preset="tiny", batch_tokens=3 * 256), world=2)
    with pytest.raises(ValueError, match="max_seq_len"):
        _resolve(TrainConfig(preset="tiny", seq_len=4096))


def test_round_trip_dict():
    cfg = _resolve(TrainConfig(preset="tiny", model_overrides={"n_layer": 2}))
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown"):
        TrainConfig.from_dict({"bogus": 1})
