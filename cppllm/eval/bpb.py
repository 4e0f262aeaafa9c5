"""Bits per byte: the model's cross-entropy normalised by the UTF-8 bytes of the text it predicts.

bpb = (sum over targets of -ln p(target)) / (ln 2 * sum of the targets' byte lengths). Unlike per-token
loss it does not depend on the tokenizer, so models with different vocabularies compare (nanochat, and
The Pile's bits-per-byte, arXiv 2101.00027). Special tokens (BOS, EOS, FIM sentinels) carry no bytes and
are left out of both sums, as are ignored targets (-1).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import torch
from torch import nn

from cppllm.train.loss import chunked_cross_entropy


def token_nats(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-target cross-entropy in nats (B, T); 0 where `y == -1`. Never builds the full fp32 logits."""
    if hasattr(model, "token_losses"):  # the trainer's wrapper (goes through DDP/FSDP hooks)
        return model.token_losses(x, y)
    h = model.forward_hidden(x)  # (B, T, C)
    return chunked_cross_entropy(h, model.lm_head.weight, y, reduction="none")


@torch.no_grad()
def bpb_sums(
    model: nn.Module,
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
        loss = token_nats(model, x, y).double()  # (B, T)
        in_vocab = (y >= 0) & (y < len(tb))
        b = torch.where(in_vocab, tb[y.clamp(0, len(tb) - 1)], torch.zeros_like(y))
        counted = b > 0
        nats += (loss * counted).sum()
        nbytes += b.sum()
    return float(nats), int(nbytes)


def bits_per_byte(
    model: nn.Module,
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
