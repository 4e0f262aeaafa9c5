"""Muon: our fallback equals torch.optim.Muon; optimizer groups; WSD schedule."""

from __future__ import annotations

import pytest
import torch

from cppllm.model.config import get_preset
from cppllm.model.gpt import GPT
from cppllm.train.muon import Muon, build_optimizers, zeropower_via_newtonschulz
from cppllm.train.schedule import WSDSchedule, wsd_multiplier


def test_newton_schulz_orthogonalises():
    g = torch.randn(32, 64, generator=torch.Generator().manual_seed(0))
    o = zeropower_via_newtonschulz(g, dtype=torch.float32)
    s = torch.linalg.svdvals(o)
    assert o.shape == g.shape and s.min() > 0.6 and s.max() < 1.25  # Keller's ~U(0.7, 1.2) band
    tall = zeropower_via_newtonschulz(g.T.contiguous(), dtype=torch.float32)
    torch.testing.assert_close(tall, o.T)


@pytest.mark.skipif(not hasattr(torch.optim, "Muon"), reason="torch without torch.optim.Muon")
def test_fallback_muon_matches_torch_muon():
    g = torch.Generator().manual_seed(0)
    shapes = [(16, 8), (8, 24)]
    ours = [torch.nn.Parameter(torch.randn(s, generator=g)) for s in shapes]
    ref = [torch.nn.Parameter(p.detach().clone()) for p in ours]
    o1 = Muon(ours, lr=0.02, weight_decay=0.1, momentum=0.95)
    o2 = torch.optim.Muon(ref, lr=0.02, weight_decay=0.1, momentum=0.95)
    for _ in range(3):
        grads = [torch.randn(s, generator=g) for s in shapes]
        for p, q, gr in zip(ours, ref, grads, strict=True):
            p.grad, q.grad = gr.clone(), gr.clone()
        o1.step()
        o2.step()
    for p, q in zip(ours, ref, strict=True):
        torch.testing.assert_close(p, q, rtol=2e-2, atol=2e-3)  # bf16 iteration in both
    assert set(o1.state[ours[0]]) == set(o2.state[ref[0]]) == {"momentum_buffer"}


def test_fallback_muon_rejects_non_matrices():
    with pytest.raises(ValueError, match="2-D"):
        Muon([torch.nn.Parameter(torch.zeros(4))])


def test_build_optimizers_splits_groups():
    cfg = get_preset("tiny", vocab_size=128, n_layer=1)
    model = GPT(cfg)
    opts = build_optimizers(
        model.param_groups(),
        optimizer="muon",
        matrix_lr=0.02,
        embed_lr=0.1,
        head_lr=0.01,
        scalar_lr=0.01,
        weight_decay=0.1,
    )
    muon, adam = opts
    assert all(p.ndim == 2 for g in muon.param_groups for p in g["params"])
    names = {g["name"]: g for g in adam.param_groups}
    assert set(names) == {"embed", "scalar"}  # tied: the head is the embedding
    assert names["scalar"]["weight_decay"] == 0.0
    every = {id(p) for o in opts for g in o.param_groups for p in g["params"]}
    assert every == {id(p) for p in model.parameters()}
    adamw = build_optimizers(
        model.param_groups(),
        optimizer="adamw",
        matrix_lr=1e-3,
        embed_lr=0.1,
        head_lr=0.01,
        scalar_lr=0.01,
        weight_decay=0.0,
    )
    assert len(adamw) == 1 and isinstance(adamw[0], torch.optim.AdamW)


def test_wsd_shape():
    m = [wsd_multiplier(s, total=100, warmup=10, decay=20, final_frac=0.1) for s in range(100)]
    assert m[0] == pytest.approx(0.1) and m[9] == pytest.approx(1.0)
    assert all(x == 1.0 for x in m[10:80])
    assert all(a > b for a, b in zip(m[80:], m[81:], strict=False))
    assert m[99] == pytest.approx(0.1)


def test_wsd_schedule_sets_lrs_and_resumes():
    p = torch.nn.Parameter(torch.zeros(2, 2))
    opt = torch.optim.SGD([p], lr=1.0)
    opt.param_groups[0]["initial_lr"] = 0.5
    s = WSDSchedule([opt], total_steps=10, warmup_steps=2, decay_steps=2)
    s.apply()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.25)
    for _ in range(9):
        s.step()
    s2 = WSDSchedule([opt], total_steps=10, warmup_steps=2, decay_steps=2)
    s2.load_state_dict(s.state_dict())
    assert s2.apply() == pytest.approx(0.0)
    with pytest.raises(ValueError, match="exceed"):
        WSDSchedule([opt], total_steps=3, warmup_steps=2, decay_steps=2)
