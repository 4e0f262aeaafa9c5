"""Exact dedup: identical normalized texts collapse to one copy, the same one whatever the task layout."""

from __future__ import annotations

import random

import pytest
from datatrove.data import Document

from cppllm.pipeline.dedup.exact import ExactDedupFilter, ExactDedupFind, ExactDedupSignature, find_duplicates


def _docs() -> list[Document]:
    texts = ["int a;\n", "int b;\n", "int a;\n", "int c;\n", "int a;\n", "int b;\n"]
    sources = ["the-stack", "libstdcxx", "libstdcxx", "x", "torch-include", "x"]
    return [
        Document(text=t, id=f"{s}/f{i}.h", metadata={"source": s})
        for i, (t, s) in enumerate(zip(texts, sources, strict=True))
    ]


def _run(docs: list[Document], work, tasks: int, buckets: int, priority: dict) -> list[str]:
    """Split docs over `tasks` tasks in two 'sources', run the three stages, return surviving ids."""
    shards = {(p, r): [] for p in ("00", "01") for r in range(tasks)}
    for i, d in enumerate(docs):
        shards[("00" if i % 2 else "01", i % tasks)].append(d)
    for (prefix, rank), part in shards.items():
        list(ExactDedupSignature(work, prefix=prefix, source_priority=priority).run(iter(part), rank, tasks))
    for b in range(buckets):
        list(ExactDedupFind(work).run(None, b, buckets))
    kept = []
    for (_, rank), part in shards.items():
        f = ExactDedupFilter(work)
        kept += [d.id for d in f.run(iter(part), rank, tasks)]
    return sorted(kept)


@pytest.mark.parametrize(("tasks", "buckets"), [(1, 1), (2, 3), (3, 2)])
def test_same_survivors_for_any_layout(tmp_path, tasks, buckets):
    priority = {"libstdcxx": 100, "torch-include": 90}
    kept = _run(_docs(), tmp_path, tasks, buckets, priority)
    # "int a;" survives in libstdcxx (highest priority); "int b;" too; "int c;" is unique
    assert kept == ["libstdcxx/f1.h", "libstdcxx/f2.h", "x/f3.h"]


@pytest.mark.parametrize(("tasks", "buckets"), [(1, 1), (2, 3), (3, 2)])
def test_higher_priority_survives_where_its_id_is_not_the_smallest(tmp_path, tasks, buckets):
    # "int a;": libstdcxx/f2.h < the-stack/f0.h < torch-include/f4.h by id, torch-include ranks first;
    # "int b;": libstdcxx/f1.h has the smaller id, x/f5.h the higher priority
    priority = {"torch-include": 100, "x": 50, "libstdcxx": 10}
    kept = _run(_docs(), tmp_path, tasks, buckets, priority)
    assert kept == ["torch-include/f4.h", "x/f3.h", "x/f5.h"]


def test_without_priorities_smallest_id_wins(tmp_path):
    kept = _run(_docs(), tmp_path, 2, 2, {})
    assert kept == ["libstdcxx/f1.h", "libstdcxx/f2.h", "x/f3.h"]


def test_filter_counts_drop_reason(tmp_path):
    docs = _docs()
    list(ExactDedupSignature(tmp_path).run(iter(docs)))
    list(ExactDedupFind(tmp_path).run(None))
    f = ExactDedupFilter(tmp_path)
    kept = list(f.run(iter(docs)))
    assert len(kept) == 3
    assert f.stats["dropped_exact_duplicate"].total == 3


def test_find_duplicates_is_order_independent():
    rows = [(b"h" * 16, 0, f"id{i}") for i in range(5)] + [(b"g" * 16, 1, "z"), (b"g" * 16, 2, "y")]
    for _ in range(5):
        random.shuffle(rows)
        assert sorted(find_duplicates(rows)) == ["id1", "id2", "id3", "id4", "z"]
