"""The program families, by id, and which of them are held out for the benchmarks.

Splits are by family: items of a `BENCH_FAMILIES` family go to the nullfix benchmark and never into
training data (`to-sft` refuses them), so a model is scored on program shapes it has not been trained on.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable

from cppllm.bugs.families_linked import bst, linked_list
from cppllm.bugs.families_objects import matrix, registry, resource_pool, ring_buffer
from cppllm.bugs.families_text import config_parser, strings
from cppllm.bugs.template import Draft

FAMILIES: dict[str, Callable[[random.Random], Draft]] = {
    "linked_list": linked_list,
    "bst": bst,
    "strings": strings,
    "config_parser": config_parser,
    "registry": registry,
    "matrix": matrix,
    "resource_pool": resource_pool,
    "ring_buffer": ring_buffer,
}
BENCH_FAMILIES = frozenset({"bst", "config_parser"})
SPLITS = ("train", "bench", "all")


def split_of(family: str) -> str:
    return "bench" if family in BENCH_FAMILIES else "train"


def families_for(split: str) -> list[str]:
    """Family ids of a split (`train`, `bench` or `all`), in a fixed order."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid: {', '.join(SPLITS)}")
    return [f for f in FAMILIES if split == "all" or split_of(f) == split]


@functools.cache
def kinds_of(family: str) -> frozenset[str]:
    """The bug kinds a family's template has sites for, over its structural variants (a few fixed seeds)."""
    return frozenset().union(*(FAMILIES[family](random.Random(s)).kinds() for s in range(8)))
