"""Hybrid fusion (cppllm.index.fusion) against hand computations, and an index that carries its fusion."""

from __future__ import annotations

import json

import pytest

from cppllm.index import open_index
from cppllm.index.__main__ import main
from cppllm.index.fusion import RRF_K, Fusion, fuse

from .conftest import write_repo

DENSE = ([4, 2, 9], [0.9, 0.5, 0.1])
BM25 = ([2, 7, -1], [12.0, 3.0, 0.0])  # -1: an empty slot (fewer matches than k)


def test_weighted_rrf_by_hand():
    got = dict(fuse(DENSE, BM25, Fusion(method="rrf", dense_weight=0.25), k=10))
    assert got[2] == pytest.approx(0.25 / (RRF_K + 2) + 0.75 / (RRF_K + 1))
    assert got[7] == pytest.approx(0.75 / (RRF_K + 2)) and got[4] == pytest.approx(0.25 / (RRF_K + 1))
    assert -1 not in got and len(got) == 4
    # plain RRF (w = 0.5): the rank order of the unweighted sum
    assert [i for i, _ in fuse(DENSE, BM25, Fusion(), k=2)] == [2, 4]


def test_convex_combination_of_min_max_scores_by_hand():
    got = dict(fuse(DENSE, BM25, Fusion(method="convex", dense_weight=0.4), k=10))
    # dense normalised: 4 -> 1, 2 -> 0.5, 9 -> 0; BM25: 2 -> 1, 7 -> 0
    assert got[2] == pytest.approx(0.4 * 0.5 + 0.6 * 1.0)
    assert got[4] == pytest.approx(0.4) and got[7] == pytest.approx(0.0) and got[9] == pytest.approx(0.0)
    assert fuse(DENSE, BM25, Fusion(method="convex", dense_weight=0.4), k=1) == [(2, pytest.approx(0.8))]


@pytest.mark.parametrize("method", ["rrf", "convex"])
def test_weight_one_is_dense_order_and_zero_is_bm25_order(method):
    assert [i for i, _ in fuse(DENSE, BM25, Fusion(method=method, dense_weight=1.0), k=3)] == [4, 2, 9]
    assert [i for i, _ in fuse(DENSE, BM25, Fusion(method=method, dense_weight=0.0), k=2)] == [2, 7]


def test_bad_fusions_are_refused():
    with pytest.raises(ValueError, match="method"):
        Fusion(method="max")
    with pytest.raises(ValueError, match="dense_weight"):
        Fusion(dense_weight=1.5)
    assert Fusion.from_meta(None) == Fusion(method="rrf", dense_weight=0.5)


def test_hybrid_search_uses_the_fusion_in_index_json(tmp_path, embedder_ckpt):
    write_repo(tmp_path / "src" / "geo")
    idx = tmp_path / "idx"
    assert main(["build", "--run", str(embedder_ckpt), "--source", str(tmp_path / "src"), "--out", str(idx),
                 "--no-progress"]) == 0  # fmt: skip
    q = "double dx dy sqrt distance"
    meta = json.loads((idx / "index.json").read_text())
    for method in ("rrf", "convex"):
        for w, mode in ((0.0, "bm25"), (1.0, "dense")):
            (idx / "index.json").write_text(
                json.dumps({**meta, "fusion": {"method": method, "dense_weight": w}})
            )
            index = open_index(idx)
            assert index.fusion == Fusion(method=method, dense_weight=w)
            alone = [h.id for h in index.search(q, k=3, mode=mode)]
            assert [h.id for h in index.search(q, k=3, mode="hybrid")][: len(alone)] == alone
    # an update (same embedder) keeps the tuned fusion
    assert main(["update", "--index", str(idx), "--source", str(tmp_path / "src"), "--no-progress"]) == 0
    assert open_index(idx).fusion == Fusion(method="convex", dense_weight=1.0)
