"""Fixtures of the synthetic-data tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _sandbox_policy():
    """The test candidates are ours: where this machine cannot isolate model-written programs they run with
    `unsafe_no_sandbox` (tests/eval/test_sandbox.py tests the refusal itself)."""
    from dataclasses import replace

    from cppllm.eval.sandbox import get_policy, isolation_record, set_policy

    before = get_policy()
    if isolation_record()["programs"] == "refused":
        set_policy(replace(before, unsafe_no_sandbox=True))
    yield
    set_policy(before)
