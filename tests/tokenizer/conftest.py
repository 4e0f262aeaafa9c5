"""Shared tokenizer fixtures: one tiny tokenizer trained once per session on real C++, and the normalized
half-sample the superword and merge tests train on, as text and as `(project, text)` documents."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_tokenizer(cpp_sample):
    from cppllm.tokenizer.tokenizer import train_tokenizer

    return train_tokenizer(list(cpp_sample.values()), vocab_size=1024)


@pytest.fixture(scope="session")
def texts(cpp_sample) -> list[str]:
    from cppllm.pipeline.clean.normalize import normalize

    return [normalize(t) for t in list(cpp_sample.values())[::2]]  # half the sample: quicker tests


@pytest.fixture(scope="session")
def docs(texts) -> list[tuple[str, str]]:
    """The texts as documents of three projects, in turn."""
    return [(f"project{i % 3}", t) for i, t in enumerate(texts)]
