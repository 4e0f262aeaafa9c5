from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cppllm.tokenizer.regex import SHR_MODES, cpp_pattern, pretokenize

MULTI_OPS = "-> ->* .* :: <=> <<= >>= ... ## && || ++ -- += -= *= /= %= &= |= ^= << <= >= == != >>".split()  # noqa: SIM905
SINGLE_OPS = list("{}[]();:?.,+-*/%^&|~!=<>#")


def boundaries(pieces: list[str]) -> set[int]:
    return set(itertools.accumulate(len(p) for p in pieces))


def assert_not_cut(text: str, start: int, length: int, shr: str = "closer") -> None:
    cuts = boundaries(pretokenize(text, shr))
    inside = [c for c in cuts if start < c < start + length]
    assert not inside, f"{text!r} cut inside {text[start : start + length]!r}: {pretokenize(text, shr)}"


@pytest.mark.parametrize("shr", ["whole", "closer"])
@pytest.mark.parametrize("op", MULTI_OPS)
def test_every_multichar_operator_is_one_piece(op, shr):
    texts = [f"a{op}b", f"a {op} b", f"x{op}(y)", f"({op}"]
    if not op.startswith("."):  # `1.*2` lexes as pp-number `1.` then `*` in C++ too
        texts.append(f"1{op}2")
    for text in texts:
        assert_not_cut(text, text.index(op), len(op), shr)
    # Standalone between spaces, the operator (with its leading space) is a piece of its own.
    if op != ">>" or shr == "whole":
        assert f" {op}" in pretokenize(f"a {op} b", shr)


@pytest.mark.parametrize("op", SINGLE_OPS)
def test_single_punctuators_never_glue_into_a_multichar_operator(op):
    # A single punctuator may lead an identifier (`.size`, `*p`) but is never merged with the next
    # operator character into something that is not a C++ operator.
    pieces = pretokenize(f"a {op} b")
    assert "".join(pieces) == f"a {op} b"
    assert any(p.strip() == op or p.strip() == f"{op}b" or p.strip() == f"{op} b" for p in pieces), pieces


@pytest.mark.parametrize(
    "text, expected",
    [
        ("std::vector<int>", ["std::vector", "<int", ">"]),
        ("::std::size_t", ["::", "std::size_t"]),
        ("p->*pm", ["p", "->*", "pm"]),
        ("p->first", ["p", "->", "first"]),
        ("o.*pm", ["o", ".*", "pm"]),
        ("f(args...)", ["f", "(args", "...", ")"]),
        ("x <<= 2", ["x", " <<=", " 2"]),
        ("a <=> b", ["a", " <=>", " b"]),
        ("i++;", ["i", "++", ";"]),
        ("--i", ["--", "i"]),
        ("a&&b", ["a", "&&", "b"]),
        ("*this", ["*this"]),
        ("x.size();", ["x", ".size", "();"]),
        ("#define CAT(a, b) a ## b", ["#define", " CAT", "(a", ",", " b", ")", " a", " ##", " b"]),
        ("#define S(x) #x", ["#define", " S", "(x", ")", " #x"]),
    ],
)
def test_operators_in_context(text, expected):
    assert pretokenize(text) == expected


@pytest.mark.parametrize(
    "ident", ["x", "_", "__glibcxx_assert", "snake_case_name", "_Tp", "CamelCase2", "αβγ", "naïve"]
)
def test_identifiers_are_one_pretoken(ident):
    assert pretokenize(ident) == [ident]
    assert pretokenize(f"int {ident};") == ["int", f" {ident}", ";"]


@pytest.mark.parametrize(
    "num",
    [
        "0", "42", "1'000'000", "0x1Fu", "0XdeadBEEF", "0b1010", "0B1'0000", "0777", "1.0e-5f", "1e+10",
        "3.14159", ".5f", "0x1.8p+3", "10ull", "10ULL", "42uz", "1.0L", "0x7fff'ffffLL", "1.f",
    ],
)  # fmt: skip
def test_number_literals_are_one_pretoken(num):
    assert pretokenize(num) == [num]
    assert pretokenize(f"x = {num};") == ["x", " =", f" {num}", ";"]
    assert pretokenize(f"x={num};") == ["x", f"={num}", ";"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ('u8"abc"', ['u8"', "abc", '"']),
        ('L"wide"', ['L"', "wide", '"']),
        ("u'c'", ["u'", "c", "'"]),
        ("U'c'", ["U'", "c", "'"]),
        ("L'a'", ["L'", "a", "'"]),
        ('R"(raw)"', ['R"(', "raw", ')"']),
        ('u8R"xy(raw)xy"', ['u8R"xy(', "raw", ")xy", '"']),
        ('s = "a\\n";', ["s", " =", ' "', "a", "\\n", '";']),
        ("'\\x1F'", ["'", "\\x1F", "'"]),
        ("'\\0'", ["'", "\\0", "'"]),
    ],
)
def test_string_and_char_literal_prefixes(text, expected):
    assert pretokenize(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("#include <vector>", ["#include", " <vector", ">"]),
        ("#pragma once", ["#pragma", " once"]),
        ("#if defined(X)", ["#if", " defined", "(X", ")"]),
        ("#ifdef X", ["#ifdef", " X"]),
        ("#ifndef X", ["#ifndef", " X"]),
        ("#endif", ["#endif"]),
        ("#elif X", ["#elif", " X"]),
        ("#  define Y 1", ["#  define", " Y", " 1"]),
        ("#include_next <x.h>", ["#include_next", " <x", ".h", ">"]),
        ("#iffy", ["#iffy"]),  # not a directive: `#` leads the identifier like any punctuator
    ],
)
def test_preprocessor_directives(text, expected):
    assert pretokenize(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x; // note", ["x", ";", " //", " note"]),
        ("/// doc", ["///", " doc"]),
        ("//! doc", ["//!", " doc"]),
        ("/* c */", ["/*", " c", " */"]),
        ("/** d */", ["/**", " d", " */"]),
        ("/*! d */", ["/*!", " d", " */"]),
    ],
)
def test_comments(text, expected):
    assert pretokenize(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("//" + "-" * 72 + "\nint x;", ["//", "-" * 72 + "\n", "int", " x", ";"]),
        ("/" * 40 + "\n", ["/" * 40 + "\n"]),
        ("/**" + "*" * 20 + "\n", ["/**", "*" * 20 + "\n"]),
        ("// ====== x", ["//", " ======", " x"]),
        ("x-- - --y; a == b", ["x", "--", " -", " --", "y", ";", " a", " ==", " b"]),  # short runs: operators
    ],
)
def test_decorative_rules_are_one_piece(text, expected):
    assert pretokenize(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # Normalized code: the line break is glued to the token that ends the line.
        ("a;\nb", ["a", ";\n", "b"]),
        ("int f() {\nreturn 0;\n}\n", ["int", " f", "() {\n", "return", " 0", ";\n", "}\n"]),
        ("#endif\n\n#if X\n", ["#endif", "\n\n", "#if", " X\n"]),
        ("x\n\n\ny", ["x\n\n\n", "y"]),
        # Raw code: the next line's indentation joins the line break.
        ("a;\n    b", ["a", ";\n    ", "b"]),
        ("{\n  x;\n}", ["{\n  ", "x", ";\n", "}"]),
        ("a;  \n\n  b", ["a", ";", "  \n\n  ", "b"]),
        ("a;\r\n\tb", ["a", ";\r\n\t", "b"]),
        ("a   b", ["a", "  ", " b"]),
    ],
)
def test_newlines_and_indentation(text, expected):
    assert pretokenize(text) == expected


def test_bracket_runs_are_whole_punctuators():
    assert pretokenize("f(g(x));") == ["f", "(g", "(x", "));"]
    assert pretokenize("};") == ["};"]
    assert pretokenize("a[i]);") == ["a", "[i", "]);"]
    assert pretokenize('f("a", "b");') == ["f", '("', "a", '", "', "b", '");']


def test_shr_modes():
    nested = "std::vector<std::vector<int>> v; x >> 2; y >>= 1; z > 0;"
    whole, split, closer = (pretokenize(nested, m) for m in ("whole", "split", "closer"))
    assert ">>" in whole and " >>" in whole
    assert not any(">>" in p and ">>=" not in p for p in split)
    assert ">>" in closer and " >>" in closer and " >>=" in closer and " >" in closer
    for pieces in (whole, split, closer):
        assert "".join(pieces) == nested
    with pytest.raises(ValueError, match="unknown shr"):
        cpp_pattern("nope")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.sampled_from(SHR_MODES))
def test_split_is_lossless(text, shr):
    assert "".join(pretokenize(text, shr)) == text


@settings(max_examples=200, deadline=None)
@given(
    # (no digits: a pp-number such as `1x.` legitimately swallows a following `.`, as in C++)
    st.lists(st.sampled_from(MULTI_OPS[:-1] + ["x", " ", "(", ")", ";", "\n"]), max_size=30),
    st.sampled_from(["whole", "closer"]),
)
def test_multichar_operators_are_never_cut(parts, shr):
    # Operators separated by non-punctuation can never be cut by the pre-tokenizer.
    text = "x".join(parts)
    pos = 0
    for part in parts:
        if part in MULTI_OPS:
            assert_not_cut(text, pos, len(part), shr)
        pos += len(part) + 1
