"""Agent fixtures: the planted-bug repository under tests/fixtures/agent, a tiny chat tokenizer, and the
sandbox policy for our own test programs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ..synth.conftest import scripted_server  # noqa: F401  (a real loopback server answering from a script)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "agent"


@pytest.fixture(autouse=True)
def _sandbox_policy(trusted_programs):
    """The programs these tests run are ours (see `trusted_programs` in tests/conftest.py)."""
    yield


@pytest.fixture
def ring_repo(tmp_path) -> Path:
    """A copy of the ring-buffer repository (Makefile, src/, tests/) whose `Ring::sum` overflows the heap."""
    if shutil.which("g++") is None or shutil.which("make") is None:
        pytest.skip("g++/make not installed")
    dst = tmp_path / "ringrepo"
    shutil.copytree(FIXTURES / "ringrepo", dst)
    return dst


@pytest.fixture(scope="session")
def chat_tok(cpp_sample):
    from cppllm.tokenizer.tokenizer import train_tokenizer

    return train_tokenizer(list(cpp_sample.values())[:20], 600)


@pytest.fixture(scope="session")
def bench_items(tmp_path_factory) -> Path:
    """A verified item of the held-out families (a null dereference), made once."""
    if shutil.which("g++") is None or shutil.which("make") is None:
        pytest.skip("g++/make not installed")
    from cppllm.bugs.__main__ import main

    out = tmp_path_factory.mktemp("agentbench")
    argv = ["make", "--kinds", "null_deref", "--n", "1", "--split", "bench", "--seed", "0"]
    assert main([*argv, "--out", str(out), "--workers", "2", "--no-progress"]) == 0
    return out
