import dataclasses

import pytest

from cppllm.model.config import PRESETS, GPTConfig, get_preset, swiglu_hidden
from cppllm.model.gpt import GPT, count_params


def test_presets_follow_depth_rule_and_seed_numbers():
    for d in (12, 20, 26, 32):
        cfg = get_preset(f"d{d}")
        assert cfg.n_layer == d and cfg.n_embd == 64 * d and cfg.q_dim == cfg.n_embd
    assert get_preset("d12").head_dim == 128  # d20/d26/d32 are GQA: tests/model/test_presets_gqa.py
    c3 = get_preset("3b")
    assert (c3.n_embd, c3.n_layer, c3.n_head, c3.n_kv_head) == (2560, 32, 32, 8)
    assert set(PRESETS) == {"tiny", "d12", "d20", "d26", "d32", "3b", "moe-tiny", "moe-12b"}


def test_preset_sizes_match_their_names():
    assert 120e6 < count_params(get_preset("d12"))["total"] < 140e6  # GPT-2-small class
    assert 2.9e9 < count_params(get_preset("3b"))["total"] < 3.1e9  # a 3B model at the 32K vocabulary


def test_unknown_preset_lists_valid_ones():
    with pytest.raises(ValueError, match="tiny, d12, d20, d26, d32, 3b"):
        get_preset("d13")


def test_overrides_and_json_round_trip():
    cfg = get_preset("tiny", vocab_size=1000, qk_norm=True).with_yarn(4)
    assert cfg.vocab_size == 1000 and cfg.max_seq_len == 4 * 256 and cfg.yarn_original_max_seq_len == 256
    back = GPTConfig.from_json(cfg.to_json())
    assert back == cfg and back.name == "tiny"
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.n_layer = 3
    with pytest.raises(ValueError, match="unknown GPTConfig fields"):
        GPTConfig.from_dict({**cfg.to_dict(), "bogus": 1})


@pytest.mark.parametrize(
    "kw, msg",
    [
        (dict(n_head=4, n_kv_head=3), "must divide"),
        (dict(rope_scaling="yarn"), "yarn_original_max_seq_len"),
        (dict(rope_scaling="ntk"), "rope_scaling"),
        (dict(n_layer=0), "positive"),
    ],
)
def test_invalid_configs_fail_loudly(kw, msg):
    with pytest.raises(ValueError, match=msg):
        GPTConfig(**kw)


def test_count_params_matches_module_and_known_sizes():
    for name in ("tiny",):
        cfg = get_preset(name, vocab_size=300)
        assert GPT(cfg).num_params() == count_params(cfg)["total"]
    cfg = get_preset("tiny", vocab_size=300, tie_embeddings=False, qk_norm=True, n_kv_head=1)
    assert GPT(cfg).num_params() == count_params(cfg)["total"]
    # d12 with a 32K vocabulary is GPT-2-small class (~135M untied); SwiGLU width 8/3 * 768 = 2048.
    assert swiglu_hidden(768) == 2048
    assert 120e6 < count_params(get_preset("d12"))["total"] < 140e6
