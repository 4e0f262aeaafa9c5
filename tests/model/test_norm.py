"""RMSNorm equals the textbook formula (values and gradients) on every path."""

from __future__ import annotations

import pytest
import torch

from cppllm.model.norm import RMSNorm, _RMSNormCPU


def _reference(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


@pytest.mark.parametrize("contiguous", [True, False])
def test_matches_formula_values_and_grads(contiguous):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 10, 24, generator=g) * 3
    if not contiguous:  # a strided view, as q/k heads split from a fused projection are
        x = torch.randn(3, 10, 48, generator=g)[..., ::2]
    norm = RMSNorm(24, eps=1e-5)
    with torch.no_grad():
        norm.weight.copy_(torch.randn(24, generator=g))
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    w_ref = norm.weight.detach().clone().requires_grad_()
    up = torch.randn(3, 10, 24, generator=g)
    got, ref = norm(x1), _reference(x2, w_ref, 1e-5)
    (got * up).sum().backward()
    (ref * up).sum().backward()
    torch.testing.assert_close(got, ref)
    torch.testing.assert_close(x1.grad, x2.grad)
    torch.testing.assert_close(norm.weight.grad, w_ref.grad)
    with torch.no_grad():  # the inference path
        torch.testing.assert_close(norm(x), ref.detach())


def test_cpu_function_passes_gradcheck():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 5, 7, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(7, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: _RMSNormCPU.apply(a, b, 1e-6), (x, w))


def test_low_precision_input_normalises_in_fp32():
    x = torch.randn(4, 16).to(torch.bfloat16)
    out = RMSNorm(16)(x)
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), _reference(x.float(), torch.ones(16), 1e-5), atol=2e-2, rtol=2e-2)
