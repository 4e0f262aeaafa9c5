"""Shared tokenizer fixtures: one tiny tokenizer trained once per session on real C++."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_tokenizer(cpp_sample):
    from cppllm.tokenizer.tokenizer import train_tokenizer

    return train_tokenizer(list(cpp_sample.values()), vocab_size=1024)
