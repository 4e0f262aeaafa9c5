import math

import pytest
import torch

from cppllm.model.checkpoint import load_checkpoint_model, save_checkpoint_model
from cppllm.model.config import get_preset
from cppllm.model.gpt import GPT

V = 97


def small(**kw):
    base = dict(vocab_size=V, n_layer=2, n_embd=64, n_head=4, n_kv_head=2, head_dim=16, max_seq_len=64)
    return get_preset("tiny", **{**base, **kw})


def test_shapes_and_loss():
    model = GPT(small())
    idx = torch.randint(0, V, (3, 17))
    assert model(idx).shape == (3, 17, V)
    assert model.forward_hidden(idx).shape == (3, 17, 64)
    loss = model(idx, idx)
    assert loss.ndim == 0 and abs(loss.item() - math.log(V)) < 1.0
    # ignore_index=-1: ignored positions do not count
    tgt = idx.clone()
    tgt[:, 5:] = -1
    logits = model(idx)
    ref = torch.nn.functional.cross_entropy(logits[:, :5].reshape(-1, V), idx[:, :5].reshape(-1))
    torch.testing.assert_close(model(idx, tgt), ref)
    # the head weight and hidden states give the same logits (what a chunked loss uses)
    torch.testing.assert_close(model.forward_hidden(idx) @ model.lm_head.weight.T, logits)


def test_too_long_sequence_is_an_error():
    model = GPT(small(max_seq_len=8))
    with pytest.raises(ValueError, match="with_yarn"):
        model(torch.zeros(1, 9, dtype=torch.long))


@pytest.mark.parametrize("kw", [dict(), dict(qk_norm=True, tie_embeddings=False), dict(n_kv_head=1)])
def test_causality(kw):
    model = GPT(small(**kw))
    idx = torch.randint(0, V, (2, 24))
    changed = idx.clone()
    changed[:, 12:] = torch.randint(0, V, (2, 12))
    a, b = model(idx), model(changed)
    torch.testing.assert_close(a[:, :12], b[:, :12])
    assert (a[:, 12:] - b[:, 12:]).abs().max() > 1e-3


def test_gqa_equals_mha_with_repeated_kv_heads():
    gqa = GPT(small(n_head=4, n_kv_head=2))
    mha = GPT(small(n_head=4, n_kv_head=4))
    state = gqa.state_dict()
    for k, v in list(state.items()):
        if k.endswith(("k_proj.weight", "v_proj.weight")):
            # (n_kv * D, C) -> each KV head repeated for its 2 query heads
            state[k] = v.view(2, 16, 64).repeat_interleave(2, dim=0).reshape(64, 64)
    mha.load_state_dict(state)
    idx = torch.randint(0, V, (2, 20))
    torch.testing.assert_close(gqa(idx), mha(idx), atol=1e-5, rtol=1e-5)


def test_init_is_deterministic_and_documented_scales():
    a, b, c = GPT(small(init_seed=3)), GPT(small(init_seed=3)), GPT(small(init_seed=4))
    for (n, p), q, r in zip(a.named_parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(p, q), n
        if p.ndim == 2:
            assert not torch.equal(p, r), n
    a.init_weights(4)
    assert all(torch.equal(p, r) for p, r in zip(a.parameters(), c.parameters(), strict=True))
    q = a.blocks[0].attn.q_proj.weight
    assert abs(q.std().item() - 1 / 8) < 0.02  # 1/sqrt(fan_in = 64)
    o = a.blocks[0].attn.o_proj.weight
    assert abs(o.std().item() - 1 / 8 / 2) < 0.02  # / sqrt(2 * n_layer)


def test_param_groups_cover_every_parameter_once():
    for tie in (True, False):
        model = GPT(small(tie_embeddings=tie, qk_norm=True))
        groups = model.param_groups()
        flat = [p for g in groups.values() for p in g]
        assert len({id(p) for p in flat}) == len(flat) == len(list(model.parameters()))
        assert all(p.ndim == 2 for p in groups["matrix"]) and all(p.ndim == 1 for p in groups["scalar"])
        assert len(groups["head"]) == (0 if tie else 1) and len(groups["embed"]) == 1
        assert len(groups["matrix"]) == 2 * 7


def test_flops_per_token_is_6n_plus_attention():
    model = GPT(small(tie_embeddings=False))
    n = model.num_params(non_embedding=True)
    assert model.flops_per_token(64) == 6 * n + 12 * 2 * 4 * 16 * 64
    assert model.num_params() - n == V * 64


@pytest.mark.parametrize("tie", [True, False])
def test_checkpoint_round_trip(tmp_path, tie):
    model = GPT(small(tie_embeddings=tie, init_seed=7))
    save_checkpoint_model(model, tmp_path / "step_000010", extra_config={"train": {"lr": 1}})
    back = load_checkpoint_model(tmp_path / "step_000010")
    idx = torch.randint(0, V, (1, 10))
    torch.testing.assert_close(back(idx), model(idx))
    assert back.config == model.config
    if tie:
        assert back.lm_head.weight is back.embed.weight


def test_checkpoint_model_pt_layout(tmp_path):
    import json

    model = GPT(small())
    (tmp_path / "config.json").write_text(json.dumps(model.config.to_dict()))
    torch.save(
        {"model": {"_orig_mod." + k: v for k, v in model.state_dict().items()}, "step": 3},
        tmp_path / "model.pt",
    )
    back = load_checkpoint_model(tmp_path)
    idx = torch.randint(0, V, (1, 10))
    torch.testing.assert_close(back(idx), model(idx))
    with pytest.raises(FileNotFoundError):
        load_checkpoint_model(tmp_path / "nope")
