"""BPE over counted id sequences ranked by project spread (`merges.py`): the pair many projects use wins,
units are counted as the finished tokenizer encodes them, and stage 1 goes on by spread after its first
tokens."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import regex

from cppllm.tokenizer.merges import learn_merges, spread_score, unit_counts, with_pattern
from cppllm.tokenizer.superbpe import CHUNK_PATTERN
from cppllm.tokenizer.tokenizer import CppTokenizer, train_tokenizer
from cppllm.tokenizer.train import main as train_main


def test_learn_merges_on_id_sequences():
    token_bytes = {1: b"a", 2: b"b", 3: b"c", 4: b"ab"}
    chunks = Counter({("p", (1, 2, 3)): 5, ("p", (1, 2)): 3, ("p", (3, 3)): 1})
    merges = learn_merges(chunks, 2, token_bytes)
    # (1, 2) is already the token "ab": reused, no new slot; then "ab"+"c" is new (id 5)
    assert merges[0] == (1, 2, 4) and merges[1] == (4, 3, 5) and token_bytes[5] == b"abc"
    assert learn_merges(Counter({("p", (1, 3)): 1}), 5, dict(token_bytes), min_frequency=2) == []


def test_pairs_of_one_project_lose_to_pairs_spread_over_projects():
    token_bytes = {1: b"a", 2: b"b", 3: b"c"}
    # (1, 2) is 100 times in one project and twice elsewhere; (2, 3) 10 times in each of three projects
    chunks = Counter({("big", (1, 2)): 100, ("q", (1, 2)): 2})
    chunks.update({(p, (2, 3)): 10 for p in ("big", "q", "r")})
    assert learn_merges(chunks, 1, dict(token_bytes))[0][:2] == (2, 3)  # score 20 against 2
    one_project = Counter({("big", (1, 2)): 100, ("big", (2, 3)): 30})
    assert learn_merges(one_project, 1, dict(token_bytes))[0][:2] == (1, 2)  # plain counts
    assert spread_score({"big": 100, "q": 2}, 3) == 2 and spread_score({"big": 100}, 1) == 100


def test_chunks_are_encoded_whole_as_the_finished_tokenizer_does(texts, docs):
    stage1 = train_tokenizer(texts, 900)
    docs = docs[:40]
    counts = unit_counts(stage1, docs, CHUNK_PATTERN)
    whole = with_pattern(stage1, CHUNK_PATTERN)
    chunk = regex.findall(CHUNK_PATTERN, texts[0])[0]
    assert counts[("project0", tuple(whole.encode(chunk)))] >= 1
    # stage 1's own pieces would give other ids for some chunks: the count must follow the whole chunk
    differ = [
        c for _, t in docs for c in regex.findall(CHUNK_PATTERN, t) if whole.encode(c) != stage1.encode(c)
    ]
    assert differ
    assert all((p, tuple(stage1.encode(c))) not in counts for p, t in docs for c in differ if c in t)


def _write_projects(path, texts: list[str], odd: str, repeats: int) -> None:
    """Three repositories of real C++; the first also uses one made-up name `repeats` times."""
    rows = [{"text": t, "id": str(i), "repo": f"org/p{i % 3}"} for i, t in enumerate(texts)]
    rows.append({"text": f"int {odd};\n" * repeats, "id": "odd", "repo": "org/p0"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_stage1_by_spread_leaves_one_projects_names_out(tmp_path, texts):
    data, odd = tmp_path / "d.jsonl", "zorblax_quuxifier_frobnicate"
    _write_projects(data, texts, odd, 400)
    common = [
        "--data",
        str(data),
        "--vocab-size",
        "900",
        "--quiet",
        "--max-chars",
        "0",
        "--heldout-fraction",
        "0",
    ]
    assert train_main([*common, "--out", str(tmp_path / "plain"), "--spread-from", "0"]) == 0
    assert train_main([*common, "--out", str(tmp_path / "spread"), "--spread-from", "300"]) == 0
    plain, spread = (CppTokenizer.load(tmp_path / d) for d in ("plain", "spread"))
    info = json.loads((tmp_path / "spread" / "tokenizer_train.json").read_text())
    assert (
        info["spread_from"] == 300 and info["spread_scoring"] == "count outside the top project (3 projects)"
    )
    assert json.loads((tmp_path / "plain" / "tokenizer_train.json").read_text())["spread_from"] is None
    assert spread.vocab_size == plain.vocab_size == 900
    # by plain count the name of one project becomes a few tokens; ranked by spread it stays in pieces
    assert len(plain.encode(" " + odd)) <= 3 < 8 <= len(spread.encode(" " + odd))
    code = "".join(texts[:20])
    assert spread.decode(spread.encode(code)) == code
    hf = CppTokenizer.load_json(spread.to_json(), engine="hf")
    assert hf.encode(code) == spread.encode(code)  # the closure merge list: both engines agree
    # --spread-chars bounds the spread part's sample (a sample by rates; at most one document past it)
    assert (
        train_main(
            [*common, "--out", str(tmp_path / "small"), "--spread-from", "300", "--spread-chars", "20000"]
        )
        == 0
    )
    small = json.loads((tmp_path / "small" / "tokenizer_train.json").read_text())
    assert 0 < small["spread_chars"] <= 20000 + max(map(len, texts)) < info["spread_chars"]


# The ablation knobs (bench_tokenizer_variants.py): each must change what it names.


def test_scoring_count_is_classic_bpe():
    token_bytes = {1: b"a", 2: b"b", 3: b"c"}
    chunks = Counter({("big", (1, 2)): 100, ("q", (1, 2)): 2})
    chunks.update({(p, (2, 3)): 10 for p in ("big", "q", "r")})
    assert learn_merges(chunks, 1, dict(token_bytes), scoring="count")[0][:2] == (1, 2)  # 102 against 30
    assert learn_merges(chunks, 1, dict(token_bytes), scoring="spread")[0][:2] == (2, 3)
    with pytest.raises(ValueError, match="scoring"):
        learn_merges(chunks, 1, dict(token_bytes), scoring="counts")


def test_units_not_whole_are_encoded_with_stage1_pieces(texts, docs):
    stage1 = train_tokenizer(texts, 900)
    docs = docs[:40]
    counts = unit_counts(stage1, docs, CHUNK_PATTERN, whole=False)
    whole = with_pattern(stage1, CHUNK_PATTERN)
    differ = {
        c for _, t in docs for c in regex.findall(CHUNK_PATTERN, t) if whole.encode(c) != stage1.encode(c)
    }
    assert differ
    seqs = {seq for _, seq in counts}
    assert all(tuple(stage1.encode(c)) in seqs for c in differ if len(stage1.encode(c)) > 1)


def test_add_superwords_passes_the_knobs_on(texts, docs):
    from cppllm.tokenizer.superbpe import add_superwords

    # one project writes `foo_bar();` 200 times, three projects `x = y;` 20 times each
    toy = [("big", "foo_bar();\n" * 200)] + [(p, "x = y;\n" * 20) for p in ("big", "q", "r")]
    stage1 = train_tokenizer([t for _, t in toy] + texts[:20], 700)
    first = {
        scoring: add_superwords(stage1, toy, 1, scoring=scoring).token_to_bytes(stage1.vocab_size)
        for scoring in ("count", "spread")
    }
    assert first["spread"] in b"x = y;\n" and first["count"] in b"foo_bar();\n"
    base = add_superwords(stage1, docs[:40], 40)
    pieces = add_superwords(stage1, docs[:40], 40, whole=False)
    assert base.vocab_size == pieces.vocab_size
    assert base.to_json() != pieces.to_json()
