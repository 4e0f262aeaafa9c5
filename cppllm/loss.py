"""The language-model loss and bits per byte, in one place below `model`, `train` and `eval`.

Memory-lean loss: cross-entropy of `hidden @ W.T` without the full (N, V) fp32 logits.

The LM head's logits are the largest activation of a small model (N = B*T rows, V = vocab columns, fp32
for a stable softmax). `chunked_cross_entropy` walks N in chunks and, like Liger-Kernel's fused linear
cross-entropy, computes the gradients of hidden states and head weight in the forward pass, chunk by
chunk, so neither the forward nor the backward ever holds more than one (chunk, V) block of logits.
On CUDA, Apple's `cut-cross-entropy` kernel (arXiv 2411.09009) is used instead when installed.

Per-token nats (`token_nats`) have one code path, used by the GPT's eval forward, the trainer's validation
and every eval task. Bits per byte = (sum over targets of -ln p(target)) / (ln 2 * sum of the targets'
UTF-8 byte lengths). Unlike per-token loss it does not depend on the tokenizer, so models with different
vocabularies compare (nanochat, and The Pile's bits-per-byte, arXiv 2101.00027). Special tokens (BOS, EOS,
FIM sentinels) carry no bytes and are left out of both sums, as are ignored targets (-1).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F

LOSS_IMPLS = ("auto", "chunked", "cce", "plain")


def _compute_dtype(h: torch.Tensor) -> torch.dtype:
    if torch.is_autocast_enabled(h.device.type):
        return torch.get_autocast_dtype(h.device.type)
    return h.dtype


# One reusable (rows, V) fp32 logits block per CPU device: PyTorch's CPU allocator hands large blocks back
# to the OS, and re-faulting a fresh block every chunk and step costs about an eighth of the block's matmul
# on the dev box (benchmarks/bench_model.py). CUDA's caching allocator already reuses memory.
_CPU_WORKSPACE: dict[torch.device, torch.Tensor] = {}
_CPU_WORKSPACE_MAX_BYTES = 256 << 20  # the block outlives the call: bound what it keeps


def _logits(hc: torch.Tensor, wc: torch.Tensor) -> torch.Tensor:
    """(n, V) fp32 logits of hc (n, C) @ wc.T (V, C); on CPU in fp32, written into a reused block."""
    n, v = hc.shape[0], wc.shape[0]
    if hc.device.type != "cpu" or hc.dtype != torch.float32 or n * v * 4 > _CPU_WORKSPACE_MAX_BYTES:
        return (hc @ wc.T).float()
    buf = _CPU_WORKSPACE.get(hc.device)
    if buf is None or buf.numel() < n * v:
        buf = _CPU_WORKSPACE[hc.device] = torch.empty(n * v, dtype=torch.float32)
    return torch.mm(hc, wc.T, out=buf[: n * v].view(n, v))


def release_workspace() -> None:
    """Free the CPU logits block kept between calls (it is re-created on the next call)."""
    _CPU_WORKSPACE.clear()


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
        # The mean's 1/n_valid scales the small (n, C) side of each gradient matmul, never the (n, V)
        # block; fp16 (whose range could underflow) divides the summed gradients once at the end.
        fold = cd != torch.float16
        inv_n = 1.0 / n_valid.to(torch.float32) if fold else None
        with torch.autocast(h.device.type, enabled=False):
            for s in range(0, h.shape[0], chunk_size):
                hs = h[s : s + chunk_size]
                hc = hs.to(cd)  # (n, C)
                n = hc.shape[0]
                tgt = targets[s : s + chunk_size].clamp(min=0)
                valid = valid_all[s : s + chunk_size]
                logits = _logits(hc, wc)  # (n, V) fp32: the only logits alive at any time
                # log-softmax in place (one row-wise pass, no copy), then the picked log-probabilities
                logp = torch.ops.aten._log_softmax.out(logits, -1, False, out=logits)
                loss -= (logp.gather(1, tgt[:, None]).squeeze(1) * valid).sum()
                if need_grad:
                    probs = logp.exp_()  # softmax, in place
                    probs[torch.arange(n, device=h.device), tgt] -= 1.0
                    if any_ignored:
                        probs.index_fill_(0, (~valid).nonzero().squeeze(1), 0.0)
                    g = probs.to(cd)
                    grad_hc = grad_h[s : s + chunk_size]
                    if h.dtype == cd:
                        torch.mm(g, wc, out=grad_hc)
                    else:
                        grad_hc.copy_(g @ wc)
                    hw = hc
                    if fold:  # scaled in the hidden states' precision, then cast
                        grad_hc.mul_(inv_n.to(grad_hc.dtype))
                        hw = (hs * inv_n.to(hs.dtype)).to(cd)
                    if grad_w is None:
                        grad_w = (g.T @ hw).float()
                    elif cd == torch.float32:
                        grad_w.addmm_(g.T, hw)  # in place: no (V, C) temporary per chunk
                    else:
                        grad_w += (g.T @ hw).float()
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


def token_nats(
    hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, *, chunk_size: int = 4096
) -> torch.Tensor:
    """Per-target cross-entropy in nats, shaped like `targets` (B, T); 0 where `targets == -1`; no grad."""
    return chunked_cross_entropy(hidden, weight, targets, chunk_size=chunk_size, reduction="none")


class Scorer(Protocol):
    """Anything that gives per-target nats (B, T) for inputs x and targets y (B, T): a `GPT`, or the
    trainer's wrapped module (so DDP/FSDP2 hooks run)."""

    def token_nats(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor: ...


@torch.no_grad()
def bpb_sums(
    model: Scorer,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    token_bytes: np.ndarray | torch.Tensor,
    device: torch.device | str,
) -> tuple[float, int]:
    """(summed nats, summed bytes) over `batches` of (x, y) (B, T); sums add up across ranks."""
    device = torch.device(device)
    tb = torch.as_tensor(np.asarray(token_bytes), dtype=torch.int64, device=device)
    nats = torch.zeros((), dtype=torch.float64, device=device)
    nbytes = torch.zeros((), dtype=torch.int64, device=device)
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        loss = model.token_nats(x, y).double()  # (B, T)
        b = target_bytes(y, tb)
        nats += (loss * (b > 0)).sum()
        nbytes += b.sum()
    return float(nats), int(nbytes)


def target_bytes(y: torch.Tensor, token_bytes: torch.Tensor) -> torch.Tensor:
    """UTF-8 bytes of each target (B, T) int64: 0 for special tokens, ignored (-1) and out-of-vocab ids."""
    in_vocab = (y >= 0) & (y < len(token_bytes))
    return torch.where(in_vocab, token_bytes[y.clamp(0, len(token_bytes) - 1)], torch.zeros_like(y))


def bits_per_byte(
    model: torch.nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    token_bytes: np.ndarray | torch.Tensor,
    device: torch.device | str,
) -> float:
    """Bits per UTF-8 byte of the targets in `batches` (special tokens excluded); `token_bytes` from
    `CppTokenizer.token_bytes()`."""
    was_training = model.training
    model.eval()
    try:
        nats, nbytes = bpb_sums(model, batches, token_bytes, device)
    finally:
        model.train(was_training)
    if nbytes == 0:
        raise ValueError("no target bytes to score (empty batches, or only special tokens)")
    return nats / (math.log(2) * nbytes)


def token_logprobs(
    hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, *, ignore_index: int = -1
) -> tuple[torch.Tensor, torch.Tensor]:
    """(log-probabilities of `targets`, differentiable; entropy of each position's distribution, no grad).

    hidden (B, T, C), weight (V, C), targets (B, T) -> two (B, T) fp32 tensors, 0 where `targets` is
    `ignore_index`. Full fp32 logits: meant for policy-gradient losses on short replies (RL).
    """
    logits = (hidden @ weight.T).float()  # (B, T, V)
    logp_all = torch.log_softmax(logits, dim=-1)
    valid = targets != ignore_index
    logp = logp_all.gather(-1, targets.clamp(min=0)[..., None]).squeeze(-1) * valid
    with torch.no_grad():
        entropy = -(logp_all.exp() * logp_all).sum(-1) * valid
    return logp, entropy
