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
    assert r["modes"]["bm25"]["by_repo"]["geo"] == r["modes"]["bm25"]["all"]  # one repository here
    assert "R@1" in capsys.readouterr().out


def test_doc_queries_refused_on_an_index_with_doc_comments(tmp_path, capsys):
    write_repo(tmp_path / "src" / "geo")
    idx = tmp_path / "idx"
    assert index_main(["build", "--source", str(tmp_path / "src"), "--out", str(idx), "--no-progress"]) == 0
    assert main(["--index", str(idx), "--queries", "auto", "--out", str(tmp_path / "r.json")]) == 0
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["queries"] == {"call": 1} and set(r["modes"]) == {"bm25"}
    assert any("--strip-docs" in n for n in r["notes"])


DEV = {
    "src/strings.cpp": """#include <string>

// Counts how many times a character occurs in a string.
int count_char(const std::string& s, char c) {
  int n = 0;
  for (char x : s) n += x == c;
  return n;
}

// Reverses the characters of a string in place.
void reverse_in_place(std::string& s) {
  for (size_t i = 0, j = s.size(); i + 1 < j; ++i, --j) std::swap(s[i], s[j - 1]);
}

int count_spaces(const std::string& s) {
  return count_char(s, ' ');
}
""",
}


def test_fusion_tuned_on_a_dev_index_of_other_repositories(tmp_path, embedder_ckpt, capsys):
    from cppllm.eval.retrieval import fusion_grid
    from cppllm.index import open_index
    from cppllm.index.fusion import Fusion

    write_repo(tmp_path / "src" / "geo")
    write_repo(tmp_path / "devsrc" / "strs", DEV)
    idx, dev = tmp_path / "idx", tmp_path / "dev"
    for src, out in ((tmp_path / "src", idx), (tmp_path / "devsrc", dev)):
        assert index_main(["build", "--run", str(embedder_ckpt), "--source", str(src), "--out", str(out),
                           "--strip-docs", "--no-progress"]) == 0  # fmt: skip
    out = tmp_path / "r.json"
    argv = ["--index", str(idx), "--dev-index", str(dev), "--write-fusion", "--out", str(out)]
    assert main(argv) == 0
    r = json.loads(out.read_text())
    f = r["fusion"]
    assert f["tuned_on"]["repositories"] == ["strs"] and f["tuned_on"]["queries"] == {"call": 1, "doc": 2}
    grid = f["tuned_on"]["grid"]
    assert len(grid) == len(fusion_grid()) and f["tuned_on"]["dev_mrr"] == max(g["mrr"] for g in grid)
    # the chosen fusion is the first grid entry with the best dev MRR
    best = next(g for g in grid if g["mrr"] == f["tuned_on"]["dev_mrr"])
    assert (f["method"], f["dense_weight"]) == (best["method"], best["dense_weight"])
    assert set(r["modes"]) == {"dense", "bm25", "hybrid", "hybrid_rrf"}
    assert "tuned on ['strs']" in capsys.readouterr().err
    # written into the measured index: open_index(...).search now fuses that way
    assert open_index(idx).fusion == Fusion(method=f["method"], dense_weight=f["dense_weight"])
    # never tuned on the measured repositories, nor without the same embedder
    with pytest.raises(ValueError, match="shares repositories"):
        main(["--index", str(idx), "--dev-index", str(idx)])
    bm_only = tmp_path / "bm"
    assert index_main(["build", "--source", str(tmp_path / "devsrc"), "--out", str(bm_only), "--strip-docs",
                       "--no-progress"]) == 0  # fmt: skip
    with pytest.raises(ValueError, match="embedder"):
        main(["--index", str(idx), "--dev-index", str(bm_only)])
    with pytest.raises(SystemExit):
        main(["--index", str(idx), "--write-fusion"])


def _result(dense: float, bm25: float, hybrid: float, queries: dict) -> dict:
    modes = {m: {"all": {"mrr": v}, "by_repo": {"icu": {"mrr": v / 2}}}
             for m, v in (("dense", dense), ("bm25", bm25), ("hybrid", hybrid))}  # fmt: skip
    return {"repositories": ["icu", "llvm"], "query_source": "auto (seed 0, at most 300 per kind)",
            "queries": queries, "modes": modes,
            "vs_bm25": {"hybrid": {"diff": hybrid - bm25, "ci95": [0.01, 0.05]}},
            "fusion": {"method": "convex", "dense_weight": 0.3, "tuned_on": {"repositories": ["v8"]}}}  # fmt: skip


def test_bench_retrieval_table_rows_on_the_same_queries_only(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "benchmarks" / "bench_retrieval.py"
    spec = importlib.util.spec_from_file_location("bench_retrieval", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_result(0.05, 0.44, 0.44, {"doc": 300})))
    b.write_text(json.dumps(_result(0.2, 0.44, 0.47, {"doc": 300})))
    assert bench.main([f"old={a}", f"new={b}"]) == 0
    rows = [x for x in capsys.readouterr().out.splitlines() if x.startswith("| new")]
    assert rows == [
        "| new | 0.200 | 0.470 (convex w=0.3, tuned on v8) | - | 0.440 | +0.030 (+0.010 .. +0.050) | - | - | - |"
    ]
    assert bench.main(["--by", "repo", f"old={a}", f"new={b}"]) == 0
    rows = [x for x in capsys.readouterr().out.splitlines() if x.startswith("| new")]
    assert rows[0].endswith("| 0.100 | 0.235 | 0.220 | - | - | - |")  # icu, then llvm (no scores)
    b.write_text(json.dumps(_result(0.2, 0.44, 0.47, {"doc": 299})))
    assert bench.main([f"old={a}", f"new={b}"]) == 1  # other queries: not one table


def test_paired_bootstrap_interval():
    from cppllm.eval.retrieval import paired_bootstrap, reciprocal_ranks

    assert reciprocal_ranks([[3, 1], [5], [7, 8, 9]], [1, 6, 9]) == [0.5, 0.0, pytest.approx(1 / 3)]
    better = paired_bootstrap([1.0, 0.5, 1.0, 1.0] * 25, [0.5, 0.5, 0.25, 1.0] * 25)
    assert better["diff"] == pytest.approx(0.3125) and 0 < better["ci95"][0] < 0.3125 < better["ci95"][1]
    assert better["p_not_better"] == 0.0
    same = paired_bootstrap([1.0, 0.0] * 50, [0.0, 1.0] * 50)
    assert same["ci95"][0] < 0 < same["ci95"][1] and 0.3 < same["p_not_better"] < 0.7


def test_the_measured_hybrid_uses_the_fusion_tuned_on_dev(tmp_path, embedder_ckpt, monkeypatch):
    import cppllm.eval.retrieval as retrieval
    from cppllm.index.fusion import Fusion

    write_repo(tmp_path / "src" / "geo")
    write_repo(tmp_path / "devsrc" / "strs", DEV)
    idx, dev = tmp_path / "idx", tmp_path / "dev"
    for src, out in ((tmp_path / "src", idx), (tmp_path / "devsrc", dev)):
        assert index_main(["build", "--run", str(embedder_ckpt), "--source", str(src), "--out", str(out),
                           "--strip-docs", "--no-progress"]) == 0  # fmt: skip
    # a one-entry grid: dense weight 1 keeps the dense order, so the measured hybrid must score as dense
    monkeypatch.setattr(retrieval, "fusion_grid", lambda: [Fusion(method="convex", dense_weight=1.0)])
    r = retrieval.evaluate(idx, "auto", dev_index=dev)
    assert (r["fusion"]["method"], r["fusion"]["dense_weight"]) == ("convex", 1.0)
    assert r["modes"]["hybrid"]["all"] == r["modes"]["dense"]["all"] != r["modes"]["hybrid_rrf"]["all"]
