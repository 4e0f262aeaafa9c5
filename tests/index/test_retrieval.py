"""The retrieval eval (cppllm.eval.retrieval) on a small fixture repository."""

from __future__ import annotations

import json

import pytest

from cppllm.eval.retrieval import main, score
from cppllm.index.__main__ import main as index_main

from .conftest import write_repo


def test_score_by_hand():
    ranked = [[3, 1, 2], [5, 4], [7, 8, 9, 10, 11, 12]]
    m = score(ranked, [1, 6, 12])
    assert (
        m["recall@1"] == 0
        and m["recall@5"] == pytest.approx(1 / 3)
        and m["recall@10"] == pytest.approx(2 / 3)
    )
    assert m["mrr"] == pytest.approx((1 / 2 + 1 / 6) / 3)


def test_auto_queries_dense_bm25_hybrid(tmp_path, embedder_ckpt, capsys):
    write_repo(tmp_path / "src" / "geo")
    idx = tmp_path / "idx"
    assert index_main(["build", "--run", str(embedder_ckpt), "--source", str(tmp_path / "src"), "--out", str(idx),
                       "--strip-docs", "--no-progress"]) == 0  # fmt: skip
    chunks = [json.loads(x) for x in (idx / "chunks.jsonl").read_text().splitlines()]
    # doc comments are not indexed, not even a member's inside its class chunk
    assert not any("Splits a string" in c["text"] or "Area of the circle" in c["text"] for c in chunks)
    circle = next(c for c in chunks if c["name"] == "Circle")
    assert "double area() const;" in circle["text"] and "void scale(double f)" in circle["text"]
    out = tmp_path / "r.json"
    assert main(["--index", str(idx), "--queries", "auto", "--out", str(out)]) == 0
    r = json.loads(out.read_text())
    # doc queries: Circle::area is only documented on its declaration (no chunk), the other four are
    assert r["queries"] == {"call": 1, "doc": 4} and r["queries_without_target"] == 0
    assert set(r["modes"]) == {"dense", "bm25", "hybrid"}
    # the call site `join_strings(parts, ", ")` names its target: BM25 ranks it first
    assert r["modes"]["bm25"]["call"]["recall@1"] == 1.0
    for mode in r["modes"].values():
        assert 0.0 <= mode["all"]["mrr"] <= 1.0 and mode["all"]["recall@10"] >= mode["all"]["recall@1"]
    assert r["held_out"] is None  # the fixture embedder has no pair statistics: said, not guessed
    assert "R@1" in capsys.readouterr().out


def test_doc_queries_refused_on_an_index_with_doc_comments(tmp_path, capsys):
    write_repo(tmp_path / "src" / "geo")
    idx = tmp_path / "idx"
    assert index_main(["build", "--source", str(tmp_path / "src"), "--out", str(idx), "--no-progress"]) == 0
    assert main(["--index", str(idx), "--queries", "auto", "--out", str(tmp_path / "r.json")]) == 0
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["queries"] == {"call": 1} and set(r["modes"]) == {"bm25"}
    assert any("--strip-docs" in n for n in r["notes"])
