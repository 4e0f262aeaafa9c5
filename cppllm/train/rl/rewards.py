"""Verifiable rewards: small pure functions of a reply's `Verdict`, in a registry a user can add to.

A `Verdict` holds what the sandbox found out about one reply (`cppllm.train.rl.judge`): its format, and
whether its program passes `-fsyntax-only`, builds, passes the tests and runs sanitizer-clean. Each
reward function maps a verdict to [0, 1]; the total is their weighted sum, and every component is logged
on its own. A new reward is one decorated function:

    @register("short")
    def short(v: Verdict) -> float:
        return 1.0 if v.response_tokens < 64 else 0.0

and `--reward-weights short=0.1` turns it on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_FENCE = re.compile(r"```[ \t]*(?:c\+\+|cpp|cc|cxx|C\+\+)?[ \t]*\n(.*?)(?:\n```|$)", re.DOTALL)


@dataclass(frozen=True, kw_only=True)
class Reply:
    """A reply split into its parts: reasoning (None without a thought block), content and code."""

    reasoning: str | None
    thought_closed: bool  # a thought block that was opened was also closed
    content: str
    code: str | None  # the first fenced code block, None without one
    finished: bool  # the reply ended its turn (not cut at max_new_tokens)


def extract_code(content: str) -> str | None:
    """The first ```cpp (or bare ```) block's text; an unclosed block runs to the end."""
    m = _FENCE.search(content)
    return m.group(1) if m else None


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """What the sandbox found about a reply. None = not checked (an earlier stage failed)."""

    format_ok: bool  # finished, thought block well formed, code block present
    has_code: bool
    syntax_ok: bool | None
    builds: bool | None
    tests_pass: bool | None
    sanitizer_clean: bool | None  # ran with sanitizers and no report (None: did not build or not run)
    status: str  # no_code | compile_error | link_error | failed | sanitizer | timeout | passed | ...
    response_tokens: int = 0


RewardFn = Callable[[Verdict], float]
REWARDS: dict[str, RewardFn] = {}


def register(name: str) -> Callable[[RewardFn], RewardFn]:
    """Decorator: add a reward function to the registry under `name`."""

    def deco(fn: RewardFn) -> RewardFn:
        REWARDS[name] = fn
        return fn

    return deco


@register("format")
def format_reward(v: Verdict) -> float:
    """The reply ended its turn, any thought block is closed, and it holds a code block."""
    return float(v.format_ok)


@register("syntax")
def syntax_reward(v: Verdict) -> float:
    """The program passes `g++ -fsyntax-only`."""
    return float(bool(v.syntax_ok))


@register("build")
def build_reward(v: Verdict) -> float:
    """The program compiles and links."""
    return float(bool(v.builds))


@register("tests")
def tests_reward(v: Verdict) -> float:
    """The program's tests pass (exit status 0)."""
    return float(bool(v.tests_pass))


@register("sanitizer")
def sanitizer_reward(v: Verdict) -> float:
    """The run raised no sanitizer report (only counts for a program that built and ran)."""
    return float(bool(v.sanitizer_clean))


DEFAULT_WEIGHTS: dict[str, float] = {
    "format": 0.1,
    "syntax": 0.1,
    "build": 0.1,
    "tests": 1.0,
    "sanitizer": 0.1,
}


def parse_weights(spec: str | None) -> dict[str, float]:
    """'tests=1,format=0.2' over the defaults; unknown reward names are an error."""
    weights = dict(DEFAULT_WEIGHTS)
    for item in filter(None, (s.strip() for s in (spec or "").split(","))):
        name, sep, value = item.partition("=")
        if not sep or name not in REWARDS:
            raise ValueError(f"--reward-weights: {item!r}; rewards: {', '.join(sorted(REWARDS))}")
        weights[name] = float(value)
    return weights


def score(v: Verdict, weights: dict[str, float]) -> tuple[float, dict[str, float]]:
    """(weighted total, {name: component value}) of a verdict; every weighted reward is computed."""
    comps = {name: REWARDS[name](v) for name in weights}
    return sum(weights[n] * c for n, c in comps.items()), comps
