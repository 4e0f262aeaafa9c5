"""Superword merges (SuperBPE, second BPE stage): lossless, same ids in both engines, tokens across the
regex's pieces, and fewer tokens than the same vocabulary spent on stage 1 alone."""

from __future__ import annotations

import json
import re

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cppllm.tokenizer.regex import pretokenize
from cppllm.tokenizer.superbpe import CHUNK_PATTERN, add_superwords, chunk_pattern
from cppllm.tokenizer.tokenizer import CppTokenizer, train_tokenizer
from cppllm.tokenizer.train import main as train_main


@pytest.fixture(scope="module")
def super_tok(texts, docs) -> CppTokenizer:
    return add_superwords(train_tokenizer(texts, 900), docs, 300)


def test_superwords_cross_pieces_and_save_tokens(texts, super_tok):
    assert super_tok.vocab_size == 1200 and super_tok.pattern() == CHUNK_PATTERN
    words = [super_tok.decode([i]) for i in range(900, 1200)]
    # a third span several regex pieces (at this tiny vocabulary stage 2 also finishes words stage 1 left)
    assert sum(len(pretokenize(w)) > 1 for w in words) > 60
    plain = train_tokenizer(texts, 1200)  # the same vocabulary, all in stage 1
    assert super_tok.count_tokens(texts) < plain.count_tokens(texts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_lossless_on_any_text(super_tok, text):
    assert super_tok.decode(super_tok.encode(text)) == text


def test_hf_and_tiktoken_engines_agree(texts, super_tok):
    assert super_tok.engine == "tiktoken"
    hf = CppTokenizer.load_json(super_tok.to_json(), engine="hf")
    sample = texts[:30] + ["int main() {\n  return 0;\n}\n", "#include <vector>\r\nx  =  y;;\n\n\n"]
    assert [hf.encode(t) for t in sample] == [super_tok.encode(t) for t in sample]


def test_train_cli_superwords(tmp_path, texts):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": t, "id": str(i)}) + "\n" for i, t in enumerate(texts)))
    out = tmp_path / "tok"
    args = ["--data", str(data), "--vocab-size", "800", "--out", str(out), "--quiet", "--max-chars", "0"]
    assert train_main([*args, "--superwords", "200"]) == 0
    tok = CppTokenizer.load(out)
    info = json.loads((out / "tokenizer_train.json").read_text())
    assert info["superwords"] == 200 and tok.vocab_size == 800 and tok.pattern() == CHUNK_PATTERN
    # a jsonl document without a repository is its own project: pairs are ranked across documents
    assert re.fullmatch(r"count outside the top project \((\d+) projects\)", info["superword_scoring"])


def test_chunks_join_short_lines_losslessly():
    text = "void f()\n{\nreturn 1;\n}\n\nint x;\n};\n}\n}\n}\n}\n}\n}\nlast"
    chunks = regex.findall(chunk_pattern(4), text)
    assert chunks == ["void f()\n{\n", "return 1;\n}\n\n", "int x;\n};\n}\n}\n}\n", "}\n}\n}\n", "last"]
    assert regex.findall(chunk_pattern(0), text)[:3] == ["void f()\n", "{\n", "return 1;\n"]


def test_superwords_span_a_short_line_only_when_asked(texts, docs, super_tok):
    def crosses_lines(tok: CppTokenizer) -> int:  # superwords with a line break inside, text after it
        words = [tok.decode([i]) for i in range(900, tok.vocab_size)]
        return sum(bool(regex.search(r"\n\s*\S", w)) for w in words)

    assert crosses_lines(super_tok) > 5  # `;\n}\n`, `)\n{\n`
    assert crosses_lines(add_superwords(train_tokenizer(texts, 900), docs, 300, short_lines=0)) == 0
