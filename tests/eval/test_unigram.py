import math

import numpy as np
import pytest

from cppllm.eval.unigram import token_counts, unigram_bpb, unigram_log2_probs


def test_unigram_bpb_on_a_toy_corpus_matches_the_hand_computed_value():
    # vocab: 0 = special (0 bytes), 1 = "a" (1 byte), 2 = "bc" (2 bytes), 3 = never seen (3 bytes)
    token_bytes = np.array([0, 1, 2, 3])
    train = np.array([0, 1, 1, 1, 2, 0])  # counts 2, 3, 1, 0; N = 6
    counts = token_counts(train, 4)
    assert counts.tolist() == [2, 3, 1, 0]
    # alpha = 1: p = (3, 4, 2, 1) / 10
    assert np.exp2(unigram_log2_probs(counts)).tolist() == pytest.approx([0.3, 0.4, 0.2, 0.1])
    targets = np.array([1, 2, 0, 3])  # the special target is left out of bits and bytes
    bits = -math.log2(0.4) - math.log2(0.2) - math.log2(0.1)
    assert unigram_bpb(counts, targets, token_bytes) == pytest.approx(bits / (1 + 2 + 3))


def test_token_counts_in_chunks_and_padded_vocab():
    ids = np.arange(1000) % 7
    assert token_counts(ids, 8, chunk=64).tolist() == [143, 143, 143, 143, 143, 143, 142, 0]
    with pytest.raises(ValueError):
        token_counts(np.array([9]), 8)
    # token_bytes shorter than the (padded) model vocabulary
    assert unigram_bpb(np.ones(6), np.array([1]), np.array([0, 1])) == pytest.approx(math.log2(6))
