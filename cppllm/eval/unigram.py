"""Unigram baseline for bits per byte: what a model that ignores context scores on the same targets.

p(t) = (count_train(t) + alpha) / (N_train + alpha * V), Laplace-smoothed token frequencies of the training
split over the whole vocabulary (special tokens included, as for the model). The baseline's bits per byte
is computed exactly as the model's (`cppllm.loss`): the summed -log2 p(target) over targets that carry
bytes (special tokens excluded), divided by those targets' UTF-8 bytes. A trained model should sit far
below it; a model at or above it has learned nothing beyond token frequencies.
"""

from __future__ import annotations

import numpy as np


def token_counts(ids: np.ndarray, vocab_size: int, *, chunk: int = 1 << 24) -> np.ndarray:
    """Occurrences of every token id in `ids` (a memmap is read in chunks): (vocab_size,) int64."""
    counts = np.zeros(vocab_size, dtype=np.int64)
    for start in range(0, len(ids), chunk):
        part = np.asarray(ids[start : start + chunk], dtype=np.int64)
        if part.size and part.max() >= vocab_size:
            raise ValueError(f"token id {int(part.max())} >= vocab_size {vocab_size}")
        counts += np.bincount(part, minlength=vocab_size)
    return counts


def unigram_log2_probs(counts: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """log2 p(t) of the Laplace-smoothed unigram model: (vocab_size,) float64."""
    counts = np.asarray(counts, dtype=np.float64)
    if alpha <= 0 and (counts == 0).any():
        raise ValueError("alpha must be > 0 when some token never occurs")
    return np.log2(counts + alpha) - np.log2(counts.sum() + alpha * len(counts))


def unigram_bpb(
    counts: np.ndarray, targets: np.ndarray, token_bytes: np.ndarray, alpha: float = 1.0
) -> float:
    """Bits per byte of the unigram model on `targets` (token ids); special tokens (0 bytes) left out."""
    targets = np.asarray(targets, dtype=np.int64).ravel()
    token_bytes = np.asarray(token_bytes, dtype=np.int64)
    if len(token_bytes) < len(counts):  # the model's vocabulary may be padded past the tokenizer's
        token_bytes = np.pad(token_bytes, (0, len(counts) - len(token_bytes)))
    b = token_bytes[targets]
    nbytes = int(b.sum())
    if nbytes == 0:
        raise ValueError("no target bytes to score (empty targets, or only special tokens)")
    bits = -unigram_log2_probs(counts, alpha)[targets]
    return float(bits[b > 0].sum() / nbytes)
