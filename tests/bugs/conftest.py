"""A small verified item set, made once per test session (it builds and runs programs in the sandbox)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bugs"


@pytest.fixture(scope="session")
def made(tmp_path_factory) -> Path:
    if shutil.which("g++") is None:
        pytest.skip("g++ not installed")
    from cppllm.bugs.__main__ import main

    out = tmp_path_factory.mktemp("bugs")
    kinds = "null_deref,use_after_free,wrong_operator,compile_error"
    rc = main(
        [
            "make",
            "--kinds",
            kinds,
            "--n",
            "1",
            "--out",
            str(out),
            "--workers",
            "2",
            "--seed",
            "3",
            "--corpus",
            str(FIXTURES / "corpus"),
            "--no-progress",
        ]
    )
    assert rc == 0
    return out
