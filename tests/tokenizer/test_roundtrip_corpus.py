"""Lossless round trip on every file of the embedded corpus (slow; the fast suite checks a sample)."""

from __future__ import annotations

import itertools

import pytest

from cppllm.tokenizer.data import iter_docs


@pytest.mark.slow
def test_every_embedded_file_round_trips(tiny_tokenizer):
    from cppllm.tokenizer.tokenizer import CppTokenizer

    hf = CppTokenizer.load_json(tiny_tokenizer.to_json(), engine="hf")
    n = 0
    docs = iter_docs("embedded")
    while batch := list(itertools.islice(docs, 500)):
        texts = [d.text for d in batch]
        for d, ids, ids_hf in zip(
            batch, tiny_tokenizer.encode_batch(texts), hf.encode_batch(texts), strict=True
        ):
            assert tiny_tokenizer.decode(ids) == d.text, d.key
            assert ids == ids_hf, d.key
        n += len(batch)
    assert n > 100
