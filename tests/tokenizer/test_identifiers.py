"""Identifier splitting shared by BM25 terms and the embedder's input normalisation."""

from __future__ import annotations

from cppllm.index.chunks import code_tokens
from cppllm.tokenizer.identifiers import identifier_parts, split_identifiers


def test_identifier_parts():
    assert identifier_parts("getNumElements") == ["get", "num", "elements"]
    assert identifier_parts("HTTPServer_v2") == ["http", "server", "v", "2"]
    assert identifier_parts("push_back") == ["push", "back"]


def test_split_identifiers_keeps_the_code_around_them():
    assert split_identifiers("SmallVector<T>::push_back(x); // Returns N") == (
        "small vector<t>::push back(x); // returns n"
    )
    assert split_identifiers("__x + 42") == "x + 42"


def test_bm25_terms_use_the_same_parts():
    w = "getNumElements"
    assert code_tokens(w) == [w.lower(), *identifier_parts(w)]
    assert split_identifiers(w).split() == identifier_parts(w)
