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


@pytest.mark.slow
def test_32k_tokenizer_engines_identical_on_every_raw_and_normalized_file():
    """README claim: with the 32K tokenizer, tiktoken's engine and HF's give the same ids on every
    embedded file, raw and normalized (the tiny tokenizer above has far fewer merges to disagree on)."""
    from cppllm.pipeline.clean.normalize import normalize
    from cppllm.tokenizer.data import split_docs
    from cppllm.tokenizer.tokenizer import CppTokenizer, train_tokenizer

    train, size = [], 0
    for d in split_docs(iter_docs("embedded"), "train"):  # 20 MB of normalized text, as bench_tokenizer
        train.append(normalize(d.text))
        size += len(train[-1].encode())
        if size >= 20e6:
            break
    tok = train_tokenizer(train, 32000)
    assert tok.vocab_size == 32000 and tok.engine == "tiktoken"
    hf = CppTokenizer.load_json(tok.to_json(), engine="hf")
    n = 0
    docs = iter_docs("embedded")
    while batch := list(itertools.islice(docs, 500)):
        for texts in ([d.text for d in batch], [normalize(d.text) for d in batch]):
            for d, ids, ids_hf in zip(batch, tok.encode_batch(texts), hf.encode_batch(texts), strict=True):
                assert ids == ids_hf, d.key
            n += len(texts)
    assert n > 10_000  # every file, twice
