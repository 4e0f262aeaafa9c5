from __future__ import annotations

import gzip
import json

import pytest

from cppllm.pipeline.split import assign_split
from cppllm.tokenizer.data import (
    Doc,
    balanced_cap,
    hash01,
    is_heldout,
    is_raw_source,
    iter_docs,
    sample_docs,
    sample_texts,
    split_docs,
    write_docs_parquet,
)


@pytest.fixture
def docs() -> list[Doc]:
    return [Doc(f"src/dir/f{i}.cpp", f"int f{i}() {{ return {i}; }}\n" * (1 + i % 5)) for i in range(200)]


def test_parquet_jsonl_and_source_tree_inputs(tmp_path, docs):
    write_docs_parquet(docs[:120], tmp_path / "out" / "docs" / "00000.parquet")
    with open(tmp_path / "out" / "docs" / "00001.jsonl", "w") as f:
        for d in docs[120:160]:
            f.write(
                json.dumps({"text": d.text, "id": "x", "metadata": {"source": "src", "path": d.key[4:]}})
                + "\n"
            )
    with gzip.open(tmp_path / "out" / "docs" / "00002.jsonl.gz", "wt") as f:
        for d in docs[160:]:
            f.write(json.dumps({"text": d.text, "id": d.key}) + "\n")
    got = list(iter_docs(tmp_path / "out"))
    assert got == docs
    assert not is_raw_source(tmp_path / "out")

    tree = tmp_path / "tree"
    (tree / "include").mkdir(parents=True)
    (tree / "include" / "a.hpp").write_text("#pragma once\nint a;\n")
    (tree / "include" / "vector").write_text("// -*- C++ -*-\n#include <bits/stl_vector.h>\n")
    (tree / "README.md").write_text("# not code\n")
    (tree / "blob.cpp").write_bytes(b"\x00\x01binary")
    assert is_raw_source(tree)
    assert [d.key for d in iter_docs(tree)] == ["tree/include/a.hpp", "tree/include/vector"]


def test_missing_and_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(iter_docs(tmp_path / "nope"))
    (tmp_path / "bad.jsonl").write_text('{"text": "ok"}\nnot json\n')
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        list(iter_docs(tmp_path / "bad.jsonl"))


def test_heldout_split_is_deterministic_and_disjoint(docs):
    held = [d.key for d in split_docs(docs, "heldout", 0.2)]
    train = [d.key for d in split_docs(docs, "train", 0.2)]
    assert set(held).isdisjoint(train) and len(held) + len(train) == len(docs)
    assert 15 < len(held) < 65  # about 20 %
    assert held == [d.key for d in docs if is_heldout(d.key, 0.2)]
    with pytest.raises(ValueError):
        list(split_docs(docs, "test"))


def test_sample_is_deterministic_within_budget_and_never_heldout(tmp_path, docs):
    write_docs_parquet(docs, tmp_path / "docs.parquet")
    held_texts = {d.text for d in docs if is_heldout(d.key, 0.2)}
    train_total = sum(len(d.text) for d in docs if not is_heldout(d.key, 0.2))
    stats: dict = {}
    a = list(sample_texts(tmp_path / "docs.parquet", max_chars=train_total // 3, heldout=0.2, stats=stats))
    b = list(sample_texts(tmp_path / "docs.parquet", max_chars=train_total // 3, heldout=0.2))
    c = list(sample_texts(tmp_path / "docs.parquet", max_chars=train_total // 3, heldout=0.2, seed=1))
    assert a == b != c
    assert stats["docs"] == len(a) and stats["chars"] == sum(map(len, a))
    assert train_total // 6 < stats["chars"] <= train_total // 3 + max(map(len, a))
    everything = list(sample_texts(tmp_path / "docs.parquet", max_chars=None, heldout=0.2))
    assert sum(map(len, everything)) == train_total
    assert not held_texts & set(everything) - {d.text for d in docs if not is_heldout(d.key, 0.2)}


def test_balanced_cap_fills_the_budget():
    assert balanced_cap([10, 100, 100], 110) == 50  # the small one whole, the others 50 each
    assert balanced_cap([10, 100, 100], 30) == 10
    assert balanced_cap([10, 100, 100], 210) is None  # everything fits: no cap
    assert balanced_cap([], 5) is None


def test_sample_balances_projects_within_the_budget(tmp_path):
    """A project much larger than the others does not make most of the sample (a per-project cap)."""
    big = [Doc(f"big/f{i}.cpp", f"int big{i}() {{ return {i}; }}\n" * 20) for i in range(300)]
    small = [Doc(f"small/f{i}.cpp", f"int small{i}() {{ return {i}; }}\n" * 20) for i in range(30)]
    write_docs_parquet(big + small, tmp_path / "docs.parquet")
    small_chars = sum(len(d.text) for d in small)
    budget = 2 * small_chars  # the small project is taken whole, the big one fills the rest

    def sampled(**kw) -> tuple[list[str], dict]:
        stats: dict = {}
        return list(sample_texts(tmp_path / "docs.parquet", heldout=0.0, stats=stats, **kw)), stats

    balanced, stats = sampled(max_chars=budget)
    small_texts = {d.text for d in small}
    assert small_texts <= set(balanced)
    assert stats["projects_capped"] == 1 and stats["project_cap"] == budget - small_chars
    assert budget <= stats["chars"] <= budget + len(big[0].text)  # shares filled, one file past at most
    uniform, stats = sampled(max_chars=budget, max_project_chars=None)
    assert len(small_texts & set(uniform)) < 0.5 * len(small)  # a fifth of it, as of the big one
    assert "project_cap" not in stats
    capped, stats = sampled(max_chars=None, max_project_chars=10_000)  # a fixed cap, no budget
    per_project = {p: sum(len(t) for t in capped if t.startswith(f"int {p}")) for p in ("big", "small")}
    assert stats["project_cap"] == 10_000 and all(6000 < n < 14_000 for n in per_project.values())
    with pytest.raises(ValueError, match="max_project_chars"):
        sampled(max_chars=budget, max_project_chars="most")


def test_every_project_gets_its_share_whatever_is_read_first(tmp_path):
    """A project read early whose files would all pass a rate of 50% stops at its share instead of filling
    the budget and leaving nothing for the projects read after it."""
    salt = "cppllm-tokenizer-sample-0"
    line = "int f() { return 0; }\n" * 4
    # project "a" (read first) holds only files that its 50% rate samples, so it draws all of them
    lucky = [k for k in (f"a/f{i}.cpp" for i in range(400)) if hash01(k, salt) < 0.5][:100]
    early = [Doc(k, line) for k in lucky]
    late = [Doc(f"z/f{i}.cpp", line) for i in range(100)]
    write_docs_parquet(early + late, tmp_path / "docs.parquet")
    budget = len(line) * 100  # both projects capped at half of it: rate 0.5 each
    stats: dict = {}
    docs = list(sample_docs(tmp_path / "docs.parquet", max_chars=budget, heldout=0.0, stats=stats))
    chars = {p: sum(len(t) for q, t in docs if q == p) for p in ("a", "z")}
    assert stats["project_cap"] == budget // 2
    assert chars["a"] <= budget // 2 + len(line)  # stopped at its share, one file past it at most
    assert chars["z"] > budget // 4  # the late project has its part (about half of its share or more)
    assert stats["chars"] <= budget + 2 * len(line)


def test_sample_normalizes_on_request(tmp_path):
    tree = tmp_path / "t"
    tree.mkdir()
    for i in range(30):
        (tree / f"f{i}.cpp").write_text(f"int f{i}() {{\n    return {i};   \n}}\n")
    texts = list(sample_texts(tree, max_chars=None, heldout=0.0, normalize=True))
    assert len(texts) == 30 and all("\n    " not in t and "   \n" not in t for t in texts)


def test_model_val_repositories_stay_out_of_training(tmp_path):
    """With the .bin writer's (val_fraction, seed), no document of a val repository is trained on."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {
            "text": f"int r{r}_f{i}() {{ return {i}; }}\n",
            "id": f"{r}/{i}",
            "source": "s",
            "path": f"src/r{r}_f{i}.cpp",
            "repo": f"org/r{r}",
        }
        for r in range(40)
        for i in range(3)
    ]
    (tmp_path / "docs").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "docs" / "00000.parquet")
    val = {row["text"] for row in rows if assign_split(row, 0.25, seed=7) == "val"}
    assert 0 < len(val) < len(rows)
    stats: dict = {}
    kept = set(sample_texts(tmp_path, max_chars=None, heldout=0.0, stats=stats, exclude_val=(0.25, 7)))
    assert kept == {row["text"] for row in rows} - val  # whole repositories out, every other doc in
    assert stats["val_docs_excluded"] == len(val) and len(val) % 3 == 0
    assert len(set(sample_texts(tmp_path, max_chars=None, heldout=0.0))) == len(rows)  # off by default
    budget: dict = {}  # a budget ends the sampling pass early: the count still covers the whole corpus
    small = list(sample_texts(tmp_path, max_chars=200, heldout=0.0, stats=budget, exclude_val=(0.25, 7)))
    assert small and not set(small) & val
    assert budget["val_docs_excluded"] == len(val)
