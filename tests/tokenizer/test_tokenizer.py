from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cppllm.tokenizer.special import N_SPECIAL, SPECIAL_IDS, SPECIAL_TOKENS
from cppllm.tokenizer.tokenizer import CppTokenizer, train_tokenizer


def test_special_tokens_have_fixed_ids(tiny_tokenizer):
    for name, content in SPECIAL_TOKENS.items():
        assert tiny_tokenizer.special_id(name) == SPECIAL_IDS[name]
        assert tiny_tokenizer.id_to_token(SPECIAL_IDS[name]) == content
    assert (tiny_tokenizer.bos_id, tiny_tokenizer.eos_id, tiny_tokenizer.pad_id) == (0, 1, 2)
    assert tiny_tokenizer.special_id("fim_middle") == SPECIAL_IDS["FIM_MIDDLE"]
    with pytest.raises(KeyError, match="unknown special token"):
        tiny_tokenizer.special_id("NOPE")


@pytest.mark.parametrize("content", list(SPECIAL_TOKENS.values()))
def test_text_that_looks_like_a_special_token_never_encodes_to_it(tiny_tokenizer, content):
    text = f'// see {content} here\nconst char* s = "{content}";{content}'
    ids = tiny_tokenizer.encode(text)
    assert not set(ids) & set(range(N_SPECIAL))
    assert tiny_tokenizer.decode(ids) == text
    for batch_ids in tiny_tokenizer.encode_batch([text, content]):
        assert not set(batch_ids) & set(range(N_SPECIAL))


def test_decode_renders_specials_inserted_by_code(tiny_tokenizer):
    ids = [tiny_tokenizer.bos_id, *tiny_tokenizer.encode("int x;"), tiny_tokenizer.eos_id]
    assert tiny_tokenizer.decode(ids) == "<|bos|>int x;<|eos|>"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_round_trip_arbitrary_unicode(tiny_tokenizer, text):
    assert tiny_tokenizer.decode(tiny_tokenizer.encode(text)) == text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(list("{}()<>;:=+-*/&|^%!~?.,#'\"\\ \t\n\r_aZ09xeE")), max_size=120))
def test_round_trip_punctuation_soup(tiny_tokenizer, chars):
    text = "".join(chars)
    assert tiny_tokenizer.decode(tiny_tokenizer.encode(text)) == text


def test_round_trip_corpus_sample(tiny_tokenizer, cpp_sample):
    texts = list(cpp_sample.values())
    batch = tiny_tokenizer.encode_batch(texts)
    for text, ids in zip(texts, batch, strict=True):
        assert ids == tiny_tokenizer.encode(text)
        assert tiny_tokenizer.decode(ids) == text


def test_token_bytes_sum_to_utf8_length(tiny_tokenizer, cpp_sample):
    tb = tiny_tokenizer.token_bytes()
    assert tb.shape == (tiny_tokenizer.vocab_size,) and tb.dtype.kind == "i"
    assert (tb[:N_SPECIAL] == 0).all() and (tb[N_SPECIAL:] >= 1).all()
    for text in list(cpp_sample.values())[:10] + ["héllo 😀 wörld"]:
        ids = tiny_tokenizer.encode(text)
        assert int(tb[np.array(ids)].sum()) == len(text.encode("utf-8"))
        assert b"".join(tiny_tokenizer.token_to_bytes(i) for i in ids) == text.encode("utf-8")


def test_save_load_identity(tiny_tokenizer, tmp_path, cpp_sample):
    path = tiny_tokenizer.save(tmp_path / "tok")
    assert path.name == "tokenizer.json" and json.loads(path.read_text())["model"]["type"] == "BPE"
    for where in (tmp_path / "tok", path):
        loaded = CppTokenizer.load(where)
        assert loaded.hash() == tiny_tokenizer.hash()
        assert loaded.vocab_size == tiny_tokenizer.vocab_size
        text = next(iter(cpp_sample.values()))
        assert loaded.encode(text) == tiny_tokenizer.encode(text)
        # Loading restores the special-token isolation (not stored in tokenizer.json by HF).
        assert SPECIAL_IDS["EOS"] not in loaded.encode("<|eos|>")
    assert not list((tmp_path / "tok").glob(".tokenizer.*")), "temp file left behind"


def test_load_missing_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no tokenizer"):
        CppTokenizer.load(tmp_path)


def test_hash_is_stable_and_content_sensitive(cpp_sample):
    texts = list(cpp_sample.values())[:20]
    a = train_tokenizer(texts, vocab_size=400)
    b = train_tokenizer(texts, vocab_size=400)
    c = train_tokenizer(texts, vocab_size=420)
    assert a.hash() == b.hash() != c.hash()
    assert len(a.hash()) == 64


def test_train_small_from_strings_and_vocab_floor():
    tok = train_tokenizer(["int main() { return 0; }\n"] * 50, vocab_size=300)
    assert N_SPECIAL + 256 < tok.vocab_size <= 300
    assert tok.decode(tok.encode("int main() { return 0; }\n")) == "int main() { return 0; }\n"
    with pytest.raises(ValueError, match="vocab_size"):
        train_tokenizer(["x"], vocab_size=100)


def test_foreign_tokenizer_is_rejected(tmp_path):
    from tokenizers import Tokenizer, models

    foreign = Tokenizer(models.BPE())
    foreign.add_special_tokens(["<|eos|>", "<|bos|>"])
    foreign.save(str(tmp_path / "tokenizer.json"))
    with pytest.raises(ValueError, match="special token"):
        CppTokenizer.load(tmp_path)


def test_transformers_conversion_same_ids_offline(tiny_tokenizer, tmp_path, cpp_sample):
    from transformers import AutoTokenizer

    tiny_tokenizer.save_transformers(tmp_path / "hf")
    hf = AutoTokenizer.from_pretrained(str(tmp_path / "hf"), local_files_only=True)
    assert (hf.bos_token_id, hf.eos_token_id, hf.pad_token_id) == (0, 1, 2)
    assert hf.convert_tokens_to_ids("<|fim_prefix|>") == SPECIAL_IDS["FIM_PREFIX"]
    texts = list(cpp_sample.values())[:15] + ["x = <|eos|>; // <|fim_middle|>"]
    for text in texts:
        ids = tiny_tokenizer.encode(text)
        assert hf(text, add_special_tokens=True)["input_ids"] == ids
        assert hf.decode(ids) == text


@pytest.fixture(scope="module")
def hf_engine(tiny_tokenizer):
    return CppTokenizer.load_json(tiny_tokenizer.to_json(), engine="hf")


def test_fast_engine_is_in_use(tiny_tokenizer, hf_engine):
    assert tiny_tokenizer.engine == "tiktoken" and hf_engine.engine == "hf"
    with pytest.raises(ValueError, match="engine"):
        CppTokenizer.load_json(tiny_tokenizer.to_json(), engine="nope")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(alphabet=st.characters(codec="utf-8"), max_size=120),
        st.lists(
            st.sampled_from(
                list("{}()<>;:=+-*/&|^%!~?.,#'\"\\ \t\n\r_aZ09xeEu8RL\u00a0\u2028\u0085\u200b\u3000é")
            ),
            max_size=80,
        ).map("".join),
    )
)
def test_engines_give_identical_ids(tiny_tokenizer, hf_engine, text):
    assert tiny_tokenizer.encode(text) == hf_engine.encode(text)


def test_engines_identical_on_corpus_sample(tiny_tokenizer, hf_engine, cpp_sample):
    from cppllm.pipeline.clean.normalize import normalize

    texts = list(cpp_sample.values())
    texts += [normalize(t) for t in texts]
    assert tiny_tokenizer.encode_batch(texts) == hf_engine.encode_batch(texts)


def test_pickle_keeps_ids_and_special_isolation(tiny_tokenizer):
    import pickle

    for engine in ("hf", "tiktoken"):
        tok = pickle.loads(pickle.dumps(CppTokenizer.load_json(tiny_tokenizer.to_json(), engine=engine)))
        assert tok.engine == engine
        text = "x = 1; <|eos|> <|fim_prefix|>"
        assert tok.encode(text) == tiny_tokenizer.encode(text)
        assert not set(tok.encode(text)) & set(range(N_SPECIAL))
