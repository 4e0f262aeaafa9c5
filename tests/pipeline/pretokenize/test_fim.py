"""FIM: exact PSM/SPM layouts, rates, UTF-8 safety, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cppllm.pipeline.pretokenize.fim import (
    FIMConfig,
    apply_fim,
    assemble,
    doc_rng,
    encode_documents,
    fim_split,
)
from cppllm.tokenizer.special import BOS_ID, EOS_ID, FIM_MIDDLE_ID, FIM_PREFIX_ID, FIM_SUFFIX_ID

PRE, MID, SUF = FIM_PREFIX_ID, FIM_MIDDLE_ID, FIM_SUFFIX_ID


def char_encode(text: str) -> list[int]:
    """One id per code point, far above the special ids, so layouts can be checked token by token."""
    return [1000 + ord(c) for c in text]


def char_batch(texts: list[str]) -> list[list[int]]:
    return [char_encode(t) for t in texts]


def test_psm_layout_token_by_token():
    cfg = FIMConfig()
    out = assemble("psm", [[10, 11], [20], [30, 31, 32]], cfg)
    assert out == [BOS_ID, PRE, 10, 11, SUF, 30, 31, 32, MID, 20, EOS_ID]


def test_spm_layout_token_by_token():
    # bigcode Megatron-LM's SPM ("variant 2"): <pre> <suf> suffix <mid> prefix middle
    cfg = FIMConfig()
    out = assemble("spm", [[10, 11], [20], [30, 31, 32]], cfg)
    assert out == [BOS_ID, PRE, SUF, 30, 31, 32, MID, 10, 11, 20, EOS_ID]


def test_plain_document_is_framed():
    assert assemble(None, [[5, 6, 7]], FIMConfig()) == [BOS_ID, 5, 6, 7, EOS_ID]
    assert assemble(None, [[5]], FIMConfig(), bos_id=None, eos_id=None) == [5]


@pytest.mark.parametrize("mode", ["psm", "spm"])
def test_apply_fim_pieces_come_from_the_text(mode):
    text = "int main() {\n  return 42;\n}\n"
    cfg = FIMConfig(fim_rate=1.0, spm_rate=1.0 if mode == "spm" else 0.0)
    for seed in range(20):
        split = fim_split(text, doc_rng(seed, "d"), cfg)
        assert split is not None and split.mode == mode
        assert split.prefix + split.middle + split.suffix == text
        ids = apply_fim(text, char_encode, doc_rng(seed, "d"), cfg)
        p, m, s = (char_encode(x) for x in (split.prefix, split.middle, split.suffix))
        if mode == "psm":
            assert ids == [BOS_ID, PRE, *p, SUF, *s, MID, *m, EOS_ID]
        else:
            assert ids == [BOS_ID, PRE, SUF, *s, MID, *p, *m, EOS_ID]


def test_zero_rate_disables_fim():
    cfg = FIMConfig(fim_rate=0.0)
    texts = [f"void f{i}() {{}}" for i in range(200)]
    ids, modes = encode_documents(texts, [str(i) for i in range(200)], char_batch, cfg)
    assert modes == [None] * 200
    assert ids == [[BOS_ID, *char_encode(t), EOS_ID] for t in texts]


def test_rates_within_statistical_bounds():
    n = 4000
    texts = ["x" * 50] * n
    ids = [f"doc-{i}" for i in range(n)]
    _, modes = encode_documents(texts, ids, char_batch, FIMConfig(fim_rate=0.5, spm_rate=0.25, seed=3))
    n_fim = sum(m is not None for m in modes)
    n_spm = sum(m == "spm" for m in modes)
    # 5 sigma binomial bounds: fails only if the rates are wrong
    assert abs(n_fim - 0.5 * n) < 5 * math.sqrt(n * 0.25)
    assert abs(n_spm - 0.25 * n_fim) < 5 * math.sqrt(n_fim * 0.25 * 0.75)


def test_boundaries_are_uniform_over_characters():
    text = "abcdefghij"  # 11 boundary positions
    cfg = FIMConfig(fim_rate=1.0)
    cuts = np.zeros(len(text) + 1)
    for i in range(3000):
        s = fim_split(text, doc_rng(0, str(i)), cfg)
        cuts[len(s.prefix)] += 1
        cuts[len(s.prefix) + len(s.middle)] += 1
    expected = 6000 / 11
    assert np.all(np.abs(cuts - expected) < 5 * math.sqrt(expected))


def test_deterministic_per_document_and_seed():
    texts = [f"// file {i}\nint x{i} = {i};\n" for i in range(50)]
    ids = [f"repo/f{i}.cpp" for i in range(50)]
    cfg = FIMConfig(seed=7)
    a = encode_documents(texts, ids, char_batch, cfg)
    b = encode_documents(texts[::-1], ids[::-1], char_batch, cfg)  # order and batching do not matter
    assert a[0] == b[0][::-1]
    c = encode_documents(texts, ids, char_batch, FIMConfig(seed=8))
    assert a[0] != c[0]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=40), st.integers(0, 2**32))
def test_splits_never_cut_a_utf8_character(text, seed):
    split = fim_split(text, doc_rng(seed, "u"), FIMConfig(fim_rate=1.0))
    assert split.prefix + split.middle + split.suffix == text
    for piece in (split.prefix, split.middle, split.suffix):
        piece.encode("utf-8")  # a cut surrogate pair or partial character would raise here


def test_utf8_pieces_round_trip_through_real_bytes():
    text = '// 日本語 コメント 🚀 é\nauto s = u8"ñ";\n'
    cfg = FIMConfig(fim_rate=1.0)
    for i in range(100):
        s = fim_split(text, doc_rng(i, "x"), cfg)
        joined = b"".join(p.encode("utf-8") for p in (s.prefix, s.middle, s.suffix))
        assert joined.decode("utf-8") == text


def test_rates_are_validated():
    with pytest.raises(ValueError, match="fim_rate"):
        FIMConfig(fim_rate=1.5)
    with pytest.raises(ValueError, match="spm_rate"):
        FIMConfig(spm_rate=-0.1)
