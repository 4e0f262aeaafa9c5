"""Unit tests of the near-dedup building blocks: shingles, signatures, banding, survivors, datasketch step."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash
from datatrove.data import Document
from hypothesis import given, settings
from hypothesis import strategies as st

from cppllm.pipeline.dedup.near import (
    DatasketchNearDedup,
    NearDedupConfig,
    code_shingles,
    code_tokens,
    datasketch_clusters,
    jaccard,
    minhash_signature,
    optimal_bands,
    shingle_hash,
    shingle_hashes,
)

CODE = """\
template <typename T>
static inline T clamp_value(const T& v, const T& lo, const T& hi) {
  // keep v inside [lo, hi]
  return v < lo ? lo : (hi < v ? hi : v);
}
int main(int argc, char** argv) { return clamp_value(argc, 0, 3) + 0x1f; }
"""


def test_tokens_split_on_non_identifier_characters():
    assert code_tokens("a->b_c(0x1f, std::vector<int>);") == ["a", "b_c", "0x1f", "std", "vector", "int"]
    assert code_tokens("  \n+-*/ ") == []


def test_whitespace_and_punctuation_do_not_change_shingles():
    reformatted = CODE.replace("  ", "\t").replace(") {", ")\n{").replace(" ? ", "?")
    assert reformatted != CODE
    assert code_shingles(reformatted) == code_shingles(CODE)
    assert np.array_equal(shingle_hashes(reformatted), shingle_hashes(CODE))
    assert jaccard(reformatted, CODE) == 1.0


def test_short_file_is_one_shingle_and_empty_has_none():
    assert code_shingles("int x;") == {("int", "x")}
    assert shingle_hashes("int x;").size == 1
    assert shingle_hashes("{ } ;").size == 0


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab_Z09 (){};\n\t<>:")), max_size=120), st.integers(1, 6))
def test_vectorised_shingle_hashes_equal_scalar_reference(text, n):
    toks = code_tokens(text)
    k = min(n, len(toks))
    expected = sorted({shingle_hash(toks[i : i + k]) for i in range(len(toks) - k + 1)}) if k else []
    assert shingle_hashes(text, n).tolist() == expected


@pytest.mark.parametrize("num_perm,seed", [(256, 42), (64, 7)])
def test_signature_equals_datasketch_affine32(num_perm, seed):
    hashes = shingle_hashes(CODE * 3 + "extra tokens to make more shingles " * 50)
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=int, scheme="affine32")
    m.update_batch(hashes.tolist())
    ours = minhash_signature(hashes, num_perm, seed)
    assert ours.dtype == np.uint32
    assert np.array_equal(ours, m.hashvalues)


def test_signature_estimates_jaccard():
    a = " ".join(f"tok{i}" for i in range(2000))
    b = " ".join(f"tok{i}" for i in range(500, 2500))
    sa, sb = minhash_signature(shingle_hashes(a)), minhash_signature(shingle_hashes(b))
    assert abs(np.mean(sa == sb) - jaccard(a, b)) < 0.1


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9])
def test_bands_match_datasketch_optimum(threshold):
    from datasketch.lsh import _optimal_param

    assert optimal_bands(threshold, 256) == _optimal_param(threshold, 256, 0.5, 0.5)


def test_config_derives_and_describes_banding():
    cfg = NearDedupConfig()
    assert (cfg.bands, cfg.rows) == (25, 10)
    assert "threshold 0.7 -> 25 bands x 10 rows" in cfg.describe()
    assert NearDedupConfig(threshold=0.85).rows > cfg.rows
    with pytest.raises(ValueError):
        NearDedupConfig(threshold=1.5)


def _doc(i, text, source):
    return Document(text=text, id=f"d{i}", metadata={"source": source})


def test_datasketch_step_keeps_priority_then_longest_then_smallest_id():
    base = CODE + "".join(f"int var_{i} = compute_{i}(arg_{i}, {i});\n" for i in range(60))
    docs = [
        _doc(0, base + "// crawl copy, the longest of all", "crawl"),
        _doc(1, base, "the-stack-dedup"),
        _doc(2, base + "int more_code = 1;", "the-stack-dedup"),  # curated and longer: survives
        _doc(3, "unrelated " * 50 + "different file entirely", "crawl"),
        _doc(5, "void g() { h(1, 2, 3, 4, 5); }", "crawl"),
        _doc(4, "void g() { h(1, 2, 3, 4, 5); }", "crawl"),  # same priority and length: d4 < d5
        _doc(6, "{ } ;", "crawl"),  # no tokens: never a duplicate
        _doc(7, "{ } ; ;", "crawl"),
    ]
    step = DatasketchNearDedup(NearDedupConfig())
    kept = [d.id for d in step.run(iter(docs))]
    assert kept == ["d2", "d3", "d4", "d6", "d7"]
    stats = step.stats.to_dict()["stats"]
    assert stats["removed_crawl"] == 2
    assert stats["removed_the-stack-dedup"] == 1
    assert stats["clusters"] == 2
    assert stats["dropped_near_duplicate"] == 3  # the drop reason the pipeline summary reports


def test_datasketch_step_refuses_many_tasks():
    with pytest.raises(ValueError, match="tasks=1"):
        list(DatasketchNearDedup().run(iter([_doc(0, CODE, "x")]), rank=0, world_size=2))


def test_priority_map_is_configurable():
    cfg = NearDedupConfig(source_priority={"mine": 5})
    docs = [_doc(0, CODE + " longer longer", "libstdcxx"), _doc(1, CODE, "mine")]
    kept = [d.id for d in DatasketchNearDedup(cfg).run(iter(docs))]
    assert kept == ["d1"]
    assert datasketch_clusters([CODE, CODE + " x", "nothing alike here at all, five six"], cfg) == [[0, 1]]
