"""Memory-lean language-model loss: cross-entropy of `hidden @ W.T` without the full (N, V) fp32 logits.

The LM head's logits are the largest activation of a small model (N = B*T rows, V = vocab columns, fp32
for a stable softmax). `chunked_cross_entropy` walks N in chunks and, like Liger-Kernel's fused linear
cross-entropy, computes the gradients of hidden states and head weight in the forward pass, chunk by
chunk, so neither the forward nor the backward ever holds more than one (chunk, V) block of logits.
On CUDA, Apple's `cut-cross-entropy` kernel (arXiv 2411.09009) is used instead when installed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LOSS_IMPLS = ("auto", "chunked", "cce", "plain")


def _compute_dtype(h: torch.Tensor) -> torch.dtype:
    if torch.is_autocast_enabled(h.device.type):
        return torch.get_autocast_dtype(h.device.type)
    return h.dtype


class _ChunkedLinearCE(torch.autograd.Function):
    """Mean (over non-ignored rows) CE of `h @ w.T`; gradients computed chunk by chunk in forward."""

    @staticmethod
    def forward(ctx, h, w, targets, chunk_size: int, ignore_index: int, cd: torch.dtype):  # h (N, C)
        need_grad = ctx.needs_input_grad[0] or ctx.needs_input_grad[1]
        valid_all = targets != ignore_index
        n_valid = valid_all.sum().clamp(min=1)
        any_ignored = bool((~valid_all).any())
        wc = w.to(cd)
        loss = torch.zeros((), dtype=torch.float32, device=h.device)
        grad_h = torch.empty_like(h) if need_grad else None
        grad_w = None  # written by the first chunk's matmul: no zero-filled (V, C) buffer
        # the mean's 1/n_valid is folded into the softmax, except in fp16, whose range could underflow
        fold = cd != torch.float16
        inv_scale = n_valid if fold else 1.0
        with torch.autocast(h.device.type, enabled=False):
            for s in range(0, h.shape[0], chunk_size):
                hc = h[s : s + chunk_size].to(cd)  # (n, C)
                tc = targets[s : s + chunk_size]
                valid = valid_all[s : s + chunk_size]
                tgt = tc.clamp(min=0)
                logits = (hc @ wc.T).float()  # (n, V): the only logits alive at any time
                picked = logits.gather(1, tgt[:, None]).squeeze(1)
                # logsumexp by hand, in place: the exponentials are reused for the softmax gradient
                mx = logits.amax(dim=-1, keepdim=True)
                e = logits.sub_(mx).exp_()
                total = e.sum(dim=-1)
                lse = mx.squeeze(1) + total.log()
                loss += ((lse - picked) * valid).sum()
                if need_grad:
                    # softmax / n_valid: the gradients come out already scaled for the mean
                    probs = e.div_(total[:, None] * inv_scale)
                    probs[torch.arange(len(tgt), device=h.device), tgt] -= 1.0 / inv_scale
                    if any_ignored:
                        probs.mul_(valid[:, None])
                    g = probs.to(cd)
                    if h.dtype == cd:
                        torch.mm(g, wc, out=grad_h[s : s + chunk_size])
                    else:
                        grad_h[s : s + chunk_size] = (g @ wc).to(h.dtype)
                    if grad_w is None:
                        grad_w = (g.T @ hc).float()
                    elif cd == torch.float32:
                        grad_w.addmm_(g.T, hc)  # in place: no (V, C) temporary per chunk
                    else:
                        grad_w += (g.T @ hc).float()
        ctx.grads = None
        if need_grad:
            if grad_w is None:  # no rows
                grad_w = torch.zeros(w.shape, dtype=torch.float32, device=w.device)
            if not fold:
                grad_h.div_(n_valid.to(grad_h.dtype))
                grad_w.div_(n_valid)
            # kept as attributes, not saved tensors, so backward can scale them in place and hand them
            # over without a copy (they are intermediates, not inputs or outputs)
            ctx.grads = (grad_h, grad_w.to(w.dtype))
        return loss / n_valid

    @staticmethod
    def backward(ctx, grad_out):
        if ctx.grads is None:
            raise RuntimeError("chunked_cross_entropy: backward can run only once per forward")
        grad_h, grad_w = ctx.grads
        ctx.grads = None
        # the usual loss.backward() passes 1: skip the pass over the (V, C) gradient where checking is
        # free (CPU; on CUDA the check would synchronise, and the multiply is cheap there)
        if grad_out.device.type != "cpu" or grad_out.item() != 1.0:
            grad_h.mul_(grad_out.to(grad_h.dtype))
            grad_w.mul_(grad_out.to(grad_w.dtype))
        return grad_h, grad_w, None, None, None, None


def chunked_cross_entropy(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    targets: torch.Tensor,
    *,
    chunk_size: int = 4096,
    ignore_index: int = -1,
    reduction: str = "mean",
) -> torch.Tensor:
    """Cross-entropy of logits `hidden @ weight.T` against `targets`, `chunk_size` rows at a time.

    hidden (..., C), weight (V, C), targets (...). `reduction="mean"` (over non-ignored targets, like
    `F.cross_entropy`) is differentiable; `"none"` returns per-target nats (0 where ignored), no grad.
    """
    h = hidden.reshape(-1, hidden.shape[-1])
    t = targets.reshape(-1)
    cd = _compute_dtype(hidden)
    if reduction == "mean":
        return _ChunkedLinearCE.apply(h, weight, t, chunk_size, ignore_index, cd)
    if reduction != "none":
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")
    out = torch.empty(t.shape, dtype=torch.float32, device=h.device)
    with torch.no_grad(), torch.autocast(h.device.type, enabled=False):
        wc = weight.to(cd)
        for s in range(0, h.shape[0], chunk_size):
            logits = (h[s : s + chunk_size].to(cd) @ wc.T).float()
            tc = t[s : s + chunk_size]
            nats = F.cross_entropy(logits, tc.clamp(min=0), reduction="none")
            out[s : s + chunk_size] = nats * (tc != ignore_index)
    return out.view(targets.shape)


def cce_available() -> bool:
    try:
        import cut_cross_entropy  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_loss_impl(impl: str, device_type: str) -> str:
    """`auto` -> `cce` on CUDA when `cut-cross-entropy` is installed, else `chunked`."""
    if impl not in LOSS_IMPLS:
        raise ValueError(f"loss must be one of {LOSS_IMPLS}, got {impl!r}")
    if impl == "auto":
        return "cce" if device_type == "cuda" and cce_available() else "chunked"
    if impl == "cce":
        if device_type != "cuda":
            raise ValueError("--loss cce needs CUDA (the cut-cross-entropy kernel is Triton)")
        if not cce_available():
            raise ImportError("--loss cce: pip install cut-cross-entropy")
    return impl


def lm_loss(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    targets: torch.Tensor,
    *,
    impl: str = "chunked",
    chunk_size: int = 4096,
    ignore_index: int = -1,
) -> torch.Tensor:
    """Mean next-token cross-entropy from final hidden states (B, T, C) and the head weight (V, C)."""
    if impl == "chunked":
        return chunked_cross_entropy(
            hidden, weight, targets, chunk_size=chunk_size, ignore_index=ignore_index
        )
    if impl == "cce":
        from cut_cross_entropy import linear_cross_entropy

        cd = _compute_dtype(hidden)
        return linear_cross_entropy(
            hidden.to(cd), weight.to(cd), targets, ignore_index=ignore_index, reduction="mean"
        )
    if impl == "plain":
        logits = (hidden @ weight.T).float()
        return F.cross_entropy(
            logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=ignore_index
        )
    raise ValueError(f"unknown loss impl {impl!r}")
