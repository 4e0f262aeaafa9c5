"""d20/d26/d32: nanochat's width rule (64 x depth) with grouped-query attention (kv heads <= heads / 4)."""

from __future__ import annotations

import pytest
import torch

from cppllm.model.config import get_preset
from cppllm.model.gpt import GPT, count_params


@pytest.mark.parametrize("name,depth", [("d20", 20), ("d26", 26), ("d32", 32)])
def test_depth_presets_use_gqa_with_the_width_rule(name, depth):
    cfg = get_preset(name)
    assert cfg.n_layer == depth and cfg.n_embd == 64 * depth
    assert cfg.n_kv_head <= cfg.n_head // 4 and cfg.n_head % cfg.n_kv_head == 0
    assert cfg.q_dim == cfg.n_embd and cfg.head_dim % 8 == 0  # flash attention's head sizes
    assert count_params(cfg)["total"] < count_params(get_preset(name, n_kv_head=cfg.n_head))["total"]


def test_a_gqa_depth_preset_runs_at_small_depth():
    cfg = get_preset("d20", n_layer=1, vocab_size=64, max_seq_len=16)
    model = GPT(cfg)
    x = torch.randint(0, 64, (2, 16))
    assert model(x).shape == (2, 16, 64)
    assert sum(p.numel() for p in model.parameters()) == count_params(cfg)["total"]
