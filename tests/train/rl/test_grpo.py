"""GRPO advantages and the DAPO-style clipped loss against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from cppllm.train.rl.grpo import group_advantages, grpo_loss, informative_groups


def test_group_advantages_by_hand():
    # group 1: [1, 0, 0, 0]: mean 0.25, unbiased std sqrt((0.5625 + 3 * 0.0625) / 3) = 0.5
    # group 2: [2, 2, 2, 2]: all equal -> 0
    adv = group_advantages(torch.tensor([1.0, 0, 0, 0, 2, 2, 2, 2]), 4)
    want = [0.75 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001, 0, 0, 0, 0]
    assert adv.tolist() == pytest.approx(want, abs=1e-6)
    # without the std division only the group mean is subtracted
    assert group_advantages(torch.tensor([3.0, 1.0]), 2, scale=False).tolist() == [1.0, -1.0]
    with pytest.raises(ValueError, match="groups of 3"):
        group_advantages(torch.zeros(4), 3)


def test_informative_groups():
    r = torch.tensor([1.0, 0, 1, 1, 0.5, 0.5])
    assert informative_groups(r, 2).tolist() == [True, False, False]


def test_clipped_loss_by_hand():
    # seq 0 (adv +1): ratios 1.5 (clipped to 1.28), 0.9, [7 masked]; seq 1 (adv -1): 0.5 (clipped to 0.8), 1.1, 1.0
    ratio = torch.tensor([[1.5, 0.9, 7.0], [0.5, 1.1, 1.0]])
    old = torch.zeros(2, 3)
    logp = torch.log(ratio).requires_grad_()
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    loss, st = grpo_loss(logp, old, torch.tensor([1.0, -1.0]), mask, eps_low=0.2, eps_high=0.28)
    # -(1.28) - 0.9 + 0.8 + 1.1 + 1.0 = 0.72 over 5 tokens
    assert loss.item() == pytest.approx(0.72 / 5)
    assert (st.tokens, st.clipped, st.clipped_low, st.clipped_high) == (5, 2, 1, 1)
    loss.backward()
    # clipped tokens get no gradient; an unclipped one gets -adv * ratio / n_tokens; masked ones none
    g = logp.grad
    assert g[0, 0].item() == 0 and g[1, 0].item() == 0 and g[0, 2].item() == 0
    assert g[0, 1].item() == pytest.approx(-0.9 / 5)
    assert g[1, 1].item() == pytest.approx(1.1 / 5)


def test_clip_is_one_sided():
    # a ratio below 1 - eps_low with a positive advantage is not clipped (min keeps the unclipped term)
    logp = torch.log(torch.tensor([[0.5]]))
    loss, st = grpo_loss(logp, torch.zeros(1, 1), torch.tensor([1.0]), torch.ones(1, 1))
    assert loss.item() == pytest.approx(-0.5) and st.clipped == 0


def test_token_level_normalization_over_micro_batches():
    # two micro-batches of 1 and 3 tokens: with n_tokens = 4 their sum is the mean over all 4 tokens
    a = grpo_loss(torch.zeros(1, 1), torch.zeros(1, 1), torch.tensor([2.0]), torch.ones(1, 1), n_tokens=4)[0]
    b = grpo_loss(torch.zeros(1, 3), torch.zeros(1, 3), torch.tensor([-1.0]), torch.ones(1, 3), n_tokens=4)[0]
    assert (a + b).item() == pytest.approx((-2 + 3 * 1) / 4)  # not the mean of sequence means (-2 + 1) / 2


def test_kl_penalty_k3():
    logp = torch.zeros(1, 2)
    ref = torch.tensor([[math.log(2.0), 0.0]])
    loss, st = grpo_loss(logp, logp, torch.tensor([0.0]), torch.ones(1, 2), ref_logp=ref, beta=0.5)
    k3 = 2.0 - math.log(2.0) - 1  # exp(d) - d - 1 at d = log 2
    assert st.kl == pytest.approx(k3)
    assert loss.item() == pytest.approx(0.5 * k3 / 2)
    # beta 0 leaves the KL out of the loss
    assert grpo_loss(logp, logp, torch.tensor([0.0]), torch.ones(1, 2), ref_logp=ref)[0].item() == 0
