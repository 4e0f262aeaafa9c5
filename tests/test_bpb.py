"""Bits per byte: matches the formula, leaves special tokens out, and equals a hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cppllm.loss import bits_per_byte, bpb_sums
from cppllm.model.config import get_preset
from cppllm.model.gpt import GPT
from cppllm.tokenizer.special import BOS_ID, EOS_ID, N_SPECIAL

V = 64


def _model() -> GPT:
    return GPT(get_preset("tiny", vocab_size=V, n_layer=1, n_embd=32, n_head=2, n_kv_head=1, head_dim=16))


def _token_bytes() -> np.ndarray:
    tb = np.arange(V, dtype=np.int32) % 4 + 1  # 1..4 bytes per token
    tb[:N_SPECIAL] = 0
    return tb


def test_uniform_model_gives_log2_vocab_bits_per_token():
    model = _model()
    with torch.no_grad():
        model.lm_head.weight.zero_()  # tied: all logits 0 -> uniform over V
    x = torch.randint(N_SPECIAL, V, (2, 8))
    y = torch.randint(N_SPECIAL, V, (2, 8))
    tb = _token_bytes()
    n_bytes = int(tb[y.numpy()].sum())
    expected = y.numel() * math.log2(V) / n_bytes
    assert bits_per_byte(model, [(x, y)], tb, "cpu") == pytest.approx(expected, rel=1e-6)


def test_matches_hand_computation_and_skips_special_targets():
    model = _model().eval()
    g = torch.Generator().manual_seed(0)
    x = torch.randint(N_SPECIAL, V, (3, 10), generator=g)
    y = torch.randint(N_SPECIAL, V, (3, 10), generator=g)
    y[0, 3], y[1, 0], y[2, 9] = BOS_ID, EOS_ID, -1  # no bytes: excluded
    tb = _token_bytes()
    with torch.no_grad():
        logits = model(x)
    nats = F.cross_entropy(logits.view(-1, V), y.view(-1).clamp(min=0), reduction="none")
    keep = (y.view(-1) >= N_SPECIAL).float()
    bytes_ = torch.as_tensor(tb)[y.view(-1).clamp(min=0)].float() * keep
    expected = float((nats * keep).sum() / (math.log(2) * bytes_.sum()))
    batches = [(x[:2], y[:2]), (x[2:], y[2:])]
    assert bits_per_byte(model, batches, tb, "cpu") == pytest.approx(expected, rel=1e-5)
    s_nats, s_bytes = bpb_sums(model, batches, tb, "cpu")
    assert s_bytes == int(bytes_.sum())
    assert model.training is False


def test_no_bytes_is_an_error():
    model = _model()
    y = torch.full((1, 4), EOS_ID)
    with pytest.raises(ValueError, match="no target bytes"):
        bits_per_byte(model, [(y, y)], _token_bytes(), "cpu")
