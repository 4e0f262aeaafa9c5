"""Chunked cross-entropy equals plain cross-entropy (values and gradients) without the full logits."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from cppllm import loss as loss_module
from cppllm.loss import chunked_cross_entropy, lm_loss, release_workspace, resolve_loss_impl


def _plain(h, w, t):
    logits = (h @ w.T).float()
    return F.cross_entropy(logits.view(-1, logits.size(-1)), t.reshape(-1), ignore_index=-1)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("chunk", [1, 7, 64, 10_000])
def test_chunked_matches_plain_values_and_grads(chunk, dtype):
    g = torch.Generator().manual_seed(0)
    h = torch.randn(3, 11, 16, generator=g, dtype=dtype)
    w = torch.randn(50, 16, generator=g, dtype=dtype)
    t = torch.randint(0, 50, (3, 11), generator=g)
    t[0, :4] = -1  # ignored targets
    h1, w1 = h.clone().requires_grad_(), w.clone().requires_grad_()
    h2, w2 = h.clone().requires_grad_(), w.clone().requires_grad_()
    ref = _plain(h1, w1, t)
    got = chunked_cross_entropy(h2, w2, t, chunk_size=chunk)
    (ref * 1.7).backward()
    (got * 1.7).backward()  # a non-unit upstream gradient
    torch.testing.assert_close(got, ref)
    torch.testing.assert_close(h2.grad, h1.grad)
    torch.testing.assert_close(w2.grad, w1.grad)


def test_reused_cpu_workspace_gives_the_same_result_call_after_call():
    g = torch.Generator().manual_seed(3)
    w = torch.randn(70, 8, generator=g)
    for rows in (40, 9, 40):  # the block is reused, and smaller calls use a slice of it
        h = torch.randn(rows, 8, generator=g)
        t = torch.randint(0, 70, (rows,), generator=g)
        h1, h2 = h.clone().requires_grad_(), h.clone().requires_grad_()
        got = chunked_cross_entropy(h2, w, t, chunk_size=16)
        got.backward()
        ref = _plain(h1, w, t)
        ref.backward()
        torch.testing.assert_close(got, ref)
        torch.testing.assert_close(h2.grad, h1.grad)
    release_workspace()


def test_reduction_none_gives_per_token_nats():
    g = torch.Generator().manual_seed(1)
    h, w = torch.randn(2, 5, 8, generator=g), torch.randn(30, 8, generator=g)
    t = torch.randint(0, 30, (2, 5), generator=g)
    t[1, 2] = -1
    got = chunked_cross_entropy(h, w, t, chunk_size=3, reduction="none")
    ref = F.cross_entropy((h @ w.T).view(-1, 30), t.view(-1).clamp(min=0), reduction="none").view(2, 5)
    ref[1, 2] = 0.0
    assert got.shape == (2, 5)
    torch.testing.assert_close(got, ref)


def test_tied_weight_gets_both_gradients():
    g = torch.Generator().manual_seed(2)
    emb = torch.nn.Embedding(40, 8)
    x, t = torch.randint(0, 40, (2, 6), generator=g), torch.randint(0, 40, (2, 6), generator=g)
    ref_emb = torch.nn.Embedding(40, 8)
    ref_emb.weight.data.copy_(emb.weight.data)
    chunked_cross_entropy(torch.tanh(emb(x)), emb.weight, t, chunk_size=5).backward()
    _plain(torch.tanh(ref_emb(x)), ref_emb.weight, t).backward()
    torch.testing.assert_close(emb.weight.grad, ref_emb.weight.grad)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_peak_memory_of_the_logits_is_one_chunk(monkeypatch, dtype):
    """The matmuls inside never produce more than `chunk` rows of logits."""
    shapes = []
    real_logits = loss_module._logits

    def spy(hc, wc):
        out = real_logits(hc, wc)
        shapes.append(tuple(out.shape))
        return out

    monkeypatch.setattr(loss_module, "_logits", spy)
    h = torch.randn(64, 8, requires_grad=True, dtype=dtype)
    w = torch.randn(100, 8, requires_grad=True, dtype=dtype)
    chunked_cross_entropy(h, w, torch.randint(0, 100, (64,)), chunk_size=16).backward()
    assert shapes == [(16, 100)] * 4


def test_lm_loss_impls_and_resolution():
    h, w, t = torch.randn(2, 4, 8), torch.randn(20, 8), torch.randint(0, 20, (2, 4))
    torch.testing.assert_close(lm_loss(h, w, t, impl="chunked", chunk_size=3), lm_loss(h, w, t, impl="plain"))
    assert resolve_loss_impl("auto", "cpu") == "chunked"
    with pytest.raises(ValueError, match="CUDA"):
        resolve_loss_impl("cce", "cpu")
    with pytest.raises(ValueError, match="loss must be"):
        resolve_loss_impl("fast", "cpu")


@pytest.mark.gpu
def test_chunked_matches_plain_under_bf16_autocast():
    g = torch.Generator().manual_seed(0)
    h = torch.randn(4, 64, 128, generator=g).cuda().requires_grad_()
    w = torch.randn(1000, 128, generator=g).cuda().requires_grad_()
    t = torch.randint(0, 1000, (4, 64), generator=g).cuda()
    with torch.autocast("cuda", dtype=torch.bfloat16):
        got = chunked_cross_entropy(h, w, t, chunk_size=100)
        ref = _plain(h, w, t)
    torch.testing.assert_close(got, ref, rtol=1e-2, atol=1e-2)
