import math

import pytest
import torch

from cppllm.model.__main__ import main
from cppllm.model.config import get_preset
from cppllm.model.estimate import gqa_kv_cache_bytes_per_token, kv_cache_bytes_per_token
from cppllm.model.gpt import GPT, count_params
from cppllm.model.kv_cache import KVCache
from cppllm.model.mla import MLAttention
from cppllm.model.rope import inv_freq_for, rope_cos_sin

V = 61


def mla_cfg(**kw):
    base = dict(
        vocab_size=V, n_layer=2, n_embd=64, n_head=4, max_seq_len=64, kv_lora_rank=24, qk_nope_head_dim=16,
        qk_rope_head_dim=8, v_head_dim=12, n_routed_experts=0,
    )  # fmt: skip
    return get_preset("moe-tiny", **{**base, **kw})


def mla_model(**kw):
    return GPT(mla_cfg(**kw)).eval()


@pytest.mark.parametrize("q_lora_rank", [None, 20])
def test_absorbed_path_equals_naive_path(q_lora_rank):
    cfg = mla_cfg(q_lora_rank=q_lora_rank).with_yarn(4)
    attn = MLAttention(cfg, 0)
    torch.manual_seed(0)
    for p in attn.parameters():
        if p.ndim == 2:
            torch.nn.init.normal_(p, std=p.shape[1] ** -0.5)
    x = torch.randn(2, 19, 64)
    inv, scale = inv_freq_for(cfg)
    assert inv.numel() == cfg.qk_rope_head_dim // 2 and scale == 1.0  # YaRN temperature is in the softmax
    cos, sin = rope_cos_sin(inv, torch.arange(19) + 100)
    cos, sin = cos.unsqueeze(-2), sin.unsqueeze(-2)
    naive, absorbed = attn(x, cos, sin, absorb=False), attn(x, cos, sin, absorb=True)
    torch.testing.assert_close(absorbed, naive, atol=1e-5, rtol=1e-5)
    assert attn.scale == pytest.approx((0.1 * math.log(4) + 1) ** 2 / math.sqrt(24))


def test_cache_holds_only_latent_and_rope_key_and_decode_equals_full_forward():
    model = mla_model(q_lora_rank=20)
    cfg = model.config
    idx = torch.randint(0, V, (2, 20))
    full = model(idx)
    cache = KVCache(cfg, 2, 20)
    assert cache.k.shape == (2, 2, 1, 20, 24) and cache.v.shape == (2, 2, 1, 20, 8)
    assert cache.bytes() == 20 * 2 * kv_cache_bytes_per_token(cfg, "fp32")
    parts = [model(idx[:, :7], cache=cache)]
    parts.append(model(idx[:, 7:10], cache=cache))  # chunk after prefill: absorbed path with an offset mask
    parts += [model(idx[:, t : t + 1], cache=cache) for t in range(10, 20)]
    torch.testing.assert_close(torch.cat(parts, 1), full, atol=1e-5, rtol=1e-5)


def test_left_padded_mla_rows_match_unpadded_runs():
    model = mla_model()
    a, b = torch.randint(0, V, (1, 12)), torch.randint(0, V, (1, 5))
    cache = KVCache(model.config, 2, 16, left_pad=[0, 7])
    batch = torch.cat([a, torch.cat([torch.zeros(1, 7, dtype=torch.long), b], 1)])
    out = model(batch, cache=cache)
    torch.testing.assert_close(out[0], model(a)[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out[1, 7:], model(b)[0], atol=1e-5, rtol=1e-5)


def test_mla_is_causal_and_counts_its_parameters():
    model = mla_model(q_lora_rank=20)
    assert sum(p.numel() for p in model.parameters()) == count_params(model.config)["total"]
    idx = torch.randint(0, V, (2, 24))
    changed = idx.clone()
    changed[:, 12:] = torch.randint(0, V, (2, 12))
    a, b = model(idx), model(changed)
    torch.testing.assert_close(a[:, :12], b[:, :12])
    assert (a[:, 12:] - b[:, 12:]).abs().max() > 1e-3


def test_moe_presets_sizes_and_cli(capsys):
    big = get_preset("moe-12b")
    n = count_params(big)
    assert 10e9 < n["total"] < 12e9 and n["active"] < 0.3 * n["total"]
    assert (big.n_routed_experts, big.n_shared_experts, big.attention) == (16, 2, "mla")
    # MLA caches latent + RoPE key: 28 layers x (512 + 64) x 2 bytes, vs GQA's 2 x 8 x 128 per layer
    assert kv_cache_bytes_per_token(big) == 28 * 576 * 2
    assert gqa_kv_cache_bytes_per_token(big) == 28 * 2 * 8 * 128 * 2
    tiny, dense = count_params(get_preset("moe-tiny")), count_params(get_preset("tiny"))
    assert abs(tiny["active"] - dense["total"]) < 0.01 * dense["total"]  # equal active parameters
    assert main(["--preset", "moe-12b"]) == 0
    out = capsys.readouterr().out
    assert f"{n['total']:,}" in out and f"{n['active']:,}" in out and "vs GQA" in out
    assert "1,048,576-token sequence: 31.50 GiB MLA, 112.00 GiB GQA" in out


def _yarn_reference(dim: int, base: float, factor: float, original: int, beta_fast=32.0, beta_slow=1.0):
    """YaRN's inverse frequencies (arXiv 2309.00071, "NTK-by-parts", DeepSeek's truncated ramp) in float64."""

    def correction_dim(rotations: float) -> float:
        return dim * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(base))

    low = max(math.floor(correction_dim(beta_fast)), 0)
    high = min(math.ceil(correction_dim(beta_slow)), dim - 1)
    out = []
    for i in range(dim // 2):
        theta = base ** (-2 * i / dim)
        ramp = min(max((i - low) / (high - low), 0.0), 1.0)  # 0: keep (extrapolate), 1: interpolate
        out.append(theta / factor * ramp + theta * (1 - ramp))
    return torch.tensor(out, dtype=torch.float64)


def test_yarn_to_one_million_positions_matches_the_formulas():
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
    from transformers.models.deepseek_v3.modeling_deepseek_v3 import yarn_apply_mscale

    from cppllm.model.export_deepseek import deepseek_config

    cfg = get_preset("moe-12b").with_yarn(256)
    assert cfg.max_seq_len == 2**20 and cfg.yarn_original_max_seq_len == 4096
    inv, cos_sin_scale = inv_freq_for(cfg)
    ref = _yarn_reference(64, cfg.rope_theta, 256, 4096)
    torch.testing.assert_close(inv.double(), ref, rtol=1e-6, atol=0)
    hf = deepseek_config(cfg)  # transformers' DeepSeek-V3 YaRN: same frequencies, same temperature
    hf_inv, hf_scale = ROPE_INIT_FUNCTIONS["yarn"](hf, torch.device("cpu"))
    torch.testing.assert_close(inv, hf_inv.float(), rtol=0, atol=0)
    assert cos_sin_scale == hf_scale == 1.0
    mscale = 0.1 * math.log(256) + 1
    with torch.device("meta"):  # only the scale is needed
        attn = MLAttention(cfg, 0)
    assert attn.scale == pytest.approx(yarn_apply_mscale(hf.rope_parameters, 192**-0.5)) and attn.scale == (
        pytest.approx(mscale**2 / math.sqrt(192))
    )
    # cos/sin over the whole 1M range: finite, bounded, and the float64 rotation up to fp32 angle rounding
    pos = torch.cat((torch.arange(0, 2**20, 4099), torch.arange(2**20 - 8, 2**20)))
    cos, sin = rope_cos_sin(inv, pos)
    assert torch.isfinite(cos).all() and torch.isfinite(sin).all() and cos.abs().max() <= 1
    angle = pos.double()[:, None] * inv.double()
    bound = (pos.double()[:, None] * inv.double() * 2**-23).repeat(1, 2) + 1e-6  # fp32 product rounding
    assert ((cos.double() - torch.cat((angle, angle), -1).cos()).abs() <= bound).all()
    assert ((sin.double() - torch.cat((angle, angle), -1).sin()).abs() <= bound).all()


def test_mla_attention_at_one_million_positions():
    cfg = mla_cfg(q_lora_rank=20).with_yarn(2**20 / 64)
    assert cfg.max_seq_len == 2**20
    attn = MLAttention(cfg, 0)
    torch.manual_seed(0)
    for p in attn.parameters():
        if p.ndim == 2:
            torch.nn.init.normal_(p, std=p.shape[1] ** -0.5)
    inv, scale = inv_freq_for(cfg)
    cos, sin = rope_cos_sin(inv, torch.arange(2**20 - 16, 2**20), scale)
    cos, sin = cos.unsqueeze(-2), sin.unsqueeze(-2)
    x = torch.randn(1, 16, 64)
    naive, absorbed = attn(x, cos, sin, absorb=False), attn(x, cos, sin, absorb=True)
    assert torch.isfinite(naive).all()
    torch.testing.assert_close(absorbed, naive, atol=1e-5, rtol=1e-5)
