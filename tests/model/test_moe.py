import math

import pytest
import torch
import torch.nn.functional as F

from cppllm.model import moe as moe_mod
from cppllm.model.checkpoint import load_checkpoint_model, save_checkpoint_model
from cppllm.model.config import get_preset
from cppllm.model.gpt import GPT, count_params
from cppllm.model.moe import MoE
from cppllm.train.muon import Muon, zeropower_via_newtonschulz

V = 97


def moe_cfg(**kw):
    base = dict(vocab_size=V, n_layer=2, n_embd=32, moe_hidden=16, max_seq_len=64, n_head=2, head_dim=16)
    return get_preset("moe-tiny", **{**base, **kw})


def moe_layer(seed=0, **kw) -> MoE:
    torch.manual_seed(seed)
    m = MoE(moe_cfg(**kw))
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 1 / math.sqrt(p.shape[-1]))
    return m


def reference(m: MoE, x: torch.Tensor) -> torch.Tensor:
    """Token by token: sum over the token's top-k experts (by biased score) of gate * SwiGLU_e(x)."""
    flat = x.reshape(-1, x.shape[-1])
    scores = torch.sigmoid(flat @ m.router.weight.T)
    out = torch.zeros_like(flat)
    for n in range(flat.shape[0]):
        top = torch.topk(scores[n] + m.router.bias, m.top_k).indices
        w = scores[n, top] / scores[n, top].sum() * m.router.scaling
        for j, e in enumerate(top.tolist()):
            h = F.silu(m.w_gate[e] @ flat[n]) * (m.w_up[e] @ flat[n])
            out[n] += w[j] * (m.w_down[e] @ h)
    if m.shared is not None:
        out += m.shared(flat)
    return out.view_as(x)


@pytest.mark.parametrize("grouped", [True, False])
def test_dispatch_equals_token_by_token_reference(monkeypatch, grouped):
    monkeypatch.setattr(moe_mod, "_grouped_mm_ok", lambda x: grouped)
    m = moe_layer(routed_scaling=2.5)
    with torch.no_grad():
        m.router.bias.copy_(torch.linspace(-0.2, 0.2, m.n_experts))
    x = torch.randn(3, 7, 32, requires_grad=True)
    y = m(x)
    torch.testing.assert_close(y, reference(m, x), rtol=1e-5, atol=1e-5)
    # gradients reach every expert that got a token, the router and the input
    y.square().sum().backward()
    assert m.router.weight.grad.abs().sum() > 0 and x.grad.abs().sum() > 0
    used = torch.bincount(m.router(x.reshape(-1, 32))[1].flatten(), minlength=m.n_experts) > 0
    assert (m.w_down.grad.flatten(1).abs().sum(1) > 0).tolist() == used.tolist()


def test_bias_picks_experts_but_does_not_weight_them():
    m = moe_layer()
    x = torch.randn(10, 32)
    with torch.no_grad():
        m.router.bias[3] = 10.0  # expert 3 always chosen
    weights, idx, scores = m.router(x)
    assert (idx == 3).any(-1).all()
    picked = scores.gather(1, idx)
    torch.testing.assert_close(weights, picked / picked.sum(-1, keepdim=True))  # unbiased, normalised


def test_bias_update_balances_the_load_without_gradients():
    """Skewed router: with the bias update the load evens out; without it (rate 0) it stays skewed."""

    def run(rate: float) -> float:
        m = moe_layer(router_bias_rate=rate)
        with torch.no_grad():
            m.router.weight[0] += 2.0  # every token prefers expert 0 ... in the same direction
            m.router.weight[1] += 2.0
        x = torch.randn(256, 32).abs()  # positive inputs: experts 0, 1 win for almost every token
        for _ in range(400):
            m(x[None])
            m.update_bias()
        return m.stats()["load_max"]

    skewed, balanced = run(0.0), run(0.01)
    assert skewed > 4.0 and balanced < 1.5, (skewed, balanced)


def test_bias_update_direction_and_stats():
    m = moe_layer()
    m(torch.randn(1, 40, 32))
    load = m._load.clone()
    m.update_bias()
    b = m.router.bias
    assert torch.equal(b, 1e-3 * torch.sign(load.mean() - load))
    s = m.stats()
    assert s["load_max"] == pytest.approx(float(load.max() / load.mean()))
    assert s["dropped"] == 0.0 and m._load is None
    m.eval()
    m(torch.randn(1, 40, 32))
    assert m._load is None  # evaluation does not count


def test_capacity_drops_lowest_gate_weights_in_training_only():
    m = moe_layer(capacity_factor=0.5)
    x = torch.randn(1, 64, 32)
    with torch.no_grad():
        m.router.bias[0] = 10.0  # expert 0 would take every token
    m(x)
    cap = math.ceil(0.5 * 64 * 2 / 16)
    counts = m._load
    assert counts[0] == 64
    dropped = int((counts - cap).clamp(min=0).sum())
    assert m._dropped == dropped >= 64 - cap
    m.update_bias()
    assert m.stats()["dropped"] == pytest.approx(dropped / 128)
    # eval: dropless, equal to the reference
    m.eval()
    torch.testing.assert_close(m(x), reference(m, x), rtol=1e-5, atol=1e-5)
    # expert 0 keeps the tokens it would weigh most
    m.train()
    m.shared = None
    with torch.no_grad():
        m.w_gate[1:].zero_()  # only expert 0 contributes
        out = m(x)[0]
        weights, idx, _ = m.router(x[0])
    gate0 = (weights * (idx == 0)).sum(-1)  # the weight expert 0's output gets, per token
    kept = out.abs().sum(-1) > 0
    assert kept.sum() == cap
    assert set(torch.topk(gate0, cap).indices.tolist()) == set(kept.nonzero().flatten().tolist())


def test_sequence_balance_loss_gradient_is_added():
    m = moe_layer(aux_loss_alpha=0.1)
    x = torch.randn(2, 9, 32)
    m(x).sum().backward()
    g_with = m.router.weight.grad.clone()
    m.zero_grad()
    m.aux_alpha = 0.0
    out = m(x)
    w, idx, scores = m.router(x.reshape(-1, 32))
    m.aux_alpha = 0.1
    aux = m.balance_loss(scores.view(2, 9, -1), idx.view(2, 9, -1))
    (out.sum() + aux).backward()
    torch.testing.assert_close(g_with, m.router.weight.grad)
    # balanced routing scores 1 x alpha (f_i = 1, P_i = 1/E summed over E experts)
    e = m.n_experts
    uniform = torch.full((1, e, e), 0.5)
    idx = torch.stack((torch.arange(e), (torch.arange(e) + 1) % e), -1)[None]
    assert m.balance_loss(uniform, idx).item() == pytest.approx(0.1)


def test_gpt_moe_layers_params_and_checkpoint(tmp_path):
    cfg = moe_cfg(n_layer=3, first_k_dense=1)
    model = GPT(cfg)
    assert len(model.moe_layers()) == 2
    assert sum(p.numel() for p in model.parameters()) == count_params(cfg)["total"]
    idx = torch.randint(0, V, (2, 16))
    model(idx, idx).backward()
    model.update_router_bias()
    stats = model.expert_stats()
    assert (
        set(stats) >= {"moe/L1/load_max", "moe/L2/dropped", "moe/load_max"} and "moe/L0/load_max" not in stats
    )
    groups = model.param_groups()
    assert sum(p.ndim == 3 for p in groups["matrix"]) == 2 * 3
    save_checkpoint_model(model, tmp_path / "c")
    back = load_checkpoint_model(tmp_path / "c")
    torch.testing.assert_close(back.blocks[1].mlp.router.bias, model.blocks[1].mlp.router.bias)
    assert back.blocks[1].mlp.router.bias.abs().sum() > 0
    model.eval()
    torch.testing.assert_close(back(idx), model(idx))


def test_muon_orthogonalises_each_expert_separately():
    g = torch.randn(3, 8, 5)
    batched = zeropower_via_newtonschulz(g, dtype=torch.float32)
    for e in range(3):
        torch.testing.assert_close(batched[e], zeropower_via_newtonschulz(g[e], dtype=torch.float32))
    p = torch.nn.Parameter(torch.randn(3, 8, 5))
    q = [torch.nn.Parameter(p.detach()[e].clone()) for e in range(3)]
    p.grad = g.clone()
    for e in range(3):
        q[e].grad = g[e].clone()
    Muon([p], lr=0.1, ns_dtype=torch.float32).step()
    Muon(q, lr=0.1, ns_dtype=torch.float32).step()
    torch.testing.assert_close(p.detach(), torch.stack([t.detach() for t in q]))
