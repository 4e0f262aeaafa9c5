"""RoPE / YaRN parity against transformers' own rope initialisation, and YaRN context extension."""

import math

import pytest
import torch

from cppllm.model.config import GPTConfig, get_preset
from cppllm.model.gpt import GPT
from cppllm.model.rope import apply_rope, default_inv_freq, inv_freq_for, rope_cos_sin

transformers = pytest.importorskip("transformers")


def hf_config(cfg):
    from cppllm.model.export import llama_config

    return llama_config(cfg)


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(rope_theta=500000.0, head_dim=80, n_embd=2560, n_head=32, n_kv_head=8),
        dict(yarn=4),
        dict(yarn=8, yarn_beta_fast=16.0, yarn_beta_slow=2.0, rope_theta=500000.0),
        dict(yarn=2.5, yarn_attention_factor=1.3, head_dim=128, n_embd=512, n_head=4),
    ],
)
def test_inv_freq_and_cos_sin_match_transformers(kw):
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    kw = dict(kw)
    factor = kw.pop("yarn", None)
    cfg = get_preset("tiny", **kw)
    if factor:
        cfg = cfg.with_yarn(factor)
    ours, scale = inv_freq_for(cfg)
    hf = hf_config(cfg)
    if factor:
        ref, ref_scale = ROPE_INIT_FUNCTIONS["yarn"](hf, torch.device("cpu"))
        assert scale == pytest.approx(ref_scale, abs=0)
        assert not torch.allclose(ours, default_inv_freq(cfg.head_dim, cfg.rope_theta))
    else:
        ref, ref_scale = LlamaRotaryEmbedding.compute_default_rope_parameters(hf)
        assert scale == ref_scale == 1.0
    torch.testing.assert_close(ours, ref.float(), atol=0, rtol=0)
    pos = torch.arange(4 * cfg.max_seq_len)[None]
    rot = LlamaRotaryEmbedding(hf)
    cos_ref, sin_ref = rot(torch.zeros(1, dtype=torch.float32), pos)
    cos, sin = rope_cos_sin(ours, pos, scale)
    torch.testing.assert_close(cos, cos_ref, atol=0, rtol=0)
    torch.testing.assert_close(sin, sin_ref, atol=0, rtol=0)


def test_yarn_formula_keeps_high_and_interpolates_low_frequencies():
    cfg = get_preset("tiny", head_dim=64).with_yarn(4)
    inv, scale = inv_freq_for(cfg)
    base = default_inv_freq(64, cfg.rope_theta)
    assert inv[0] == base[0]  # fastest dimension: extrapolated (unchanged)
    torch.testing.assert_close(inv[-1], base[-1] / 4)  # slowest: interpolated by the factor
    assert scale == pytest.approx(0.1 * math.log(4) + 1)


def test_apply_rope_is_a_relative_rotation():
    inv = default_inv_freq(16, 10000.0)
    q, k = torch.randn(1, 1, 1, 16), torch.randn(1, 1, 1, 16)

    def score(m, n):
        cq, sq = rope_cos_sin(inv, torch.tensor([m]))
        ck, sk = rope_cos_sin(inv, torch.tensor([n]))
        return (apply_rope(q, cq, sq) * apply_rope(k, ck, sk)).sum()

    torch.testing.assert_close(score(5, 2), score(105, 102), atol=1e-4, rtol=1e-4)


def _repeat_batch(gen, b, t, vocab, seg=8):
    # a random segment repeated: after the first copy every token is predictable by looking back `seg`
    s = torch.randint(2, vocab, (b, seg), generator=gen)
    x = s.repeat(1, t // seg + 1)[:, : t + 1]
    y = x.clone()
    y[:, :seg] = -1
    return x[:, :-1], y[:, 1:]


def _train(model, gen, steps, t):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(steps):
        x, y = _repeat_batch(gen, 16, t, 32)
        loss = model(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


def test_model_trained_at_t_runs_at_4t_with_yarn(tmp_path):
    """Train at T=32, reload the checkpoint with `with_yarn(4)`, evaluate and fine-tune at 4T=128.

    Without fine-tuning YaRN hurts this toy model (its context is far shorter than YaRN's beta_fast
    rotations, so nearly every RoPE dimension is interpolated); the paper's recipe is a short fine-tune
    at the extended length, which the extended model supports."""
    from cppllm.model.checkpoint import load_checkpoint_model, save_checkpoint_model

    torch.manual_seed(0)
    cfg = get_preset(
        "tiny", vocab_size=32, n_layer=2, n_embd=64, n_head=4, n_kv_head=2, head_dim=16, max_seq_len=32
    )
    model = GPT(cfg)
    gen = torch.Generator().manual_seed(0)
    assert _train(model, gen, 60, 32) < math.log(32)
    save_checkpoint_model(model, tmp_path)
    with pytest.raises(ValueError, match="with_yarn"):
        model(torch.zeros(1, 128, dtype=torch.long))
    long_cfg = cfg.with_yarn(4)
    long = load_checkpoint_model(tmp_path, **{k: v for k, v in long_cfg.to_dict().items() if k != "name"})
    assert long.config.max_seq_len == 128 and long.config.rope_scaling == "yarn"
    x, y = _repeat_batch(gen, 8, 128, 32)
    with torch.no_grad():
        before = long(x, y).item()
    assert math.isfinite(before)
    long.train()
    _train(long, gen, 30, 128)
    with torch.no_grad():
        after = long(x, y).item()
    assert after < before and after < 0.8 * math.log(32)


def _rotate_half_reference(x, cos, sin):  # transformers' Llama formula
    half = x.shape[-1] // 2
    return x * cos + torch.cat((-x[..., half:], x[..., :half]), dim=-1) * sin


@pytest.mark.parametrize("batched_positions", [False, True])
def test_apply_rope_equals_rotate_half_values_and_grads(batched_positions):
    g = torch.Generator().manual_seed(0)
    inv, scale = inv_freq_for(GPTConfig(n_embd=64, n_head=2, max_seq_len=64).with_yarn(4.0))
    pos = torch.randint(0, 200, (2, 9), generator=g) if batched_positions else torch.arange(9)
    cos, sin = rope_cos_sin(inv, pos, scale)
    cos, sin = cos.unsqueeze(-2), sin.unsqueeze(-2)  # broadcast over heads: (B, T, H, D) layout
    x = torch.randn(2, 9, 3, 32, generator=g, dtype=torch.float64)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    up = torch.randn(2, 9, 3, 32, generator=g, dtype=torch.float64)
    got = apply_rope(x1, cos, sin)
    ref = _rotate_half_reference(x2, cos.double(), sin.double())
    (got * up).sum().backward()
    (ref * up).sum().backward()
    torch.testing.assert_close(got, ref)
    torch.testing.assert_close(x1.grad, x2.grad)
    assert torch.autograd.gradcheck(lambda a: apply_rope(a, cos, sin), (x.clone().requires_grad_(),))
    with torch.no_grad():  # the decoding path (no autograd.Function)
        torch.testing.assert_close(apply_rope(x, cos, sin), ref.detach())
