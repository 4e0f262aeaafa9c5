"""Bigram and unigram sampling baselines for the compile rate: what token statistics alone write.

A model's compile rate means something only next to a baseline that knows the data but not the language:
this one samples each next token from the training split's bigram counts p(next | previous token),
conditioned on the prompt's last token, until `<eos>` or the token budget (the model's settings). It
implements the `Completer` protocol of `cppllm.eval.completion`, so its completions go through the same
cut, closers and compiler as the model's. Counts are sparse (one sorted array of (previous, next) pairs),
so a 64k vocabulary costs memory in proportion to the distinct pairs seen, not V^2. `UnigramCompleter`
ignores the previous token too: every token is drawn from the training split's token frequencies.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cppllm.eval.completion import Completion


class BigramCompleter:
    """`Completer` sampling from bigram counts of `train_ids` (tokens of the training split)."""

    def __init__(self, train_ids: np.ndarray, tokenizer, *, max_tokens: int = 50_000_000) -> None:
        ids = np.asarray(train_ids[:max_tokens], dtype=np.int64)
        if ids.size < 2:
            raise ValueError("the bigram baseline needs at least two training tokens")
        self.tokenizer = tokenizer
        self.vocab = int(ids.max()) + 1
        pairs, counts = np.unique(ids[:-1] * self.vocab + ids[1:], return_counts=True)
        self._prev = pairs // self.vocab
        self._next = pairs % self.vocab
        self._cum = np.cumsum(counts)  # sorted by (prev, next): each prev's slice is contiguous
        self._starts = np.searchsorted(self._prev, np.arange(self.vocab + 1))
        self._unigram = np.bincount(ids, minlength=self.vocab).cumsum()
        self.train_tokens = int(ids.size)

    def _sample(self, prev: int, rng: np.random.Generator) -> int:
        lo, hi = (self._starts[prev], self._starts[prev + 1]) if 0 <= prev < self.vocab else (0, 0)
        if lo == hi:  # never seen as a previous token: fall back to token frequencies
            return int(np.searchsorted(self._unigram, rng.integers(self._unigram[-1]), side="right"))
        base = self._cum[lo - 1] if lo > 0 else 0
        r = base + rng.integers(self._cum[hi - 1] - base)
        return int(self._next[lo + np.searchsorted(self._cum[lo:hi] - base, r - base, side="right")])

    def __call__(
        self, prompts: Sequence[str], *, max_new_tokens: int, seed: int, stop_strings: Sequence[str] = ()
    ) -> list[Completion]:
        tok = self.tokenizer
        out = []
        for i, prompt in enumerate(prompts):
            rng = np.random.default_rng([seed, i])
            prev = ([tok.bos_id, *tok.encode(prompt)])[-1]
            new: list[int] = []
            finished = False
            while len(new) < max_new_tokens:
                prev = self._sample(prev, rng)
                if prev == tok.eos_id:
                    finished = True
                    break
                new.append(prev)
                if stop_strings and any(s in tok.decode(new[-16:]) for s in stop_strings):
                    finished = True
                    break
            out.append(Completion(text=tok.decode(new), finished=finished))
        return out


class UnigramCompleter(BigramCompleter):
    """`Completer` sampling every token from the token frequencies of `train_ids`, prompt ignored."""

    def _sample(self, prev: int, rng: np.random.Generator) -> int:
        return int(np.searchsorted(self._unigram, rng.integers(self._unigram[-1]), side="right"))
