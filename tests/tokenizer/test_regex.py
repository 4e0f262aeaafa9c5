from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cppllm.tokenizer.regex import SHR_MODES, cpp_pattern, pretokenize

OPERATORS = (  # noqa: SIM905
    "-> ->* .* :: <=> <<= >>= ... ## && || ++ -- += -= *= /= %= &= |= ^= << <= >= == != "
    "{ } [ ] ( ) ; : ? . , + - * / % ^ & | ~ ! = < > #"
).split()


@pytest.mark.parametrize("op", OPERATORS)
def test_every_operator_is_kept_whole(op):
    # Between identifiers, with and without spaces: the operator is one pre-token of its own.
    assert pretokenize(f"a{op}b") == ["a", op, "b"]
    assert pretokenize(f"a {op} b") == ["a", f" {op}", " b"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("std::vector<int>", ["std", "::", "vector", "<", "int", ">"]),
        ("p->*pm", ["p", "->*", "pm"]),
        ("o.*pm", ["o", ".*", "pm"]),
        ("f(args...)", ["f", "(", "args", "...", ")"]),
        ("x <<= 2", ["x", " <<=", " 2"]),
        ("a <=> b", ["a", " <=>", " b"]),
        ("i++;", ["i", "++", ";"]),
        ("--i", ["--", "i"]),
        ("#define CAT(a, b) a ## b", ["#define", " CAT", "(", "a", ",", " b", ")", " a", " ##", " b"]),
        ("#define S(x) #x", ["#define", " S", "(", "x", ")", " #", "x"]),
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
    assert pretokenize(f"x={num};") == ["x", "=", num, ";"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ('u8"abc"', ['u8"', "abc", '"']),
        ('L"wide"', ['L"', "wide", '"']),
        ("u'c'", ["u'", "c", "'"]),
        ("U'c'", ["U'", "c", "'"]),
        ("L'a'", ["L'", "a", "'"]),
        ('R"(raw)"', ['R"(', "raw", ')"']),
        ('u8R"xy(raw)xy"', ['u8R"xy(', "raw", ")", "xy", '"']),
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
        ("#include <vector>", ["#include", " <", "vector", ">"]),
        ("#pragma once", ["#pragma", " once"]),
        ("#if defined(X)", ["#if", " defined", "(", "X", ")"]),
        ("#ifdef X", ["#ifdef", " X"]),
        ("#ifndef X", ["#ifndef", " X"]),
        ("#endif", ["#endif"]),
        ("#elif X", ["#elif", " X"]),
        ("#  define Y 1", ["#  define", " Y", " 1"]),
        ("#include_next <x.h>", ["#include_next", " <", "x", ".", "h", ">"]),
        ("#iffy", ["#", "iffy"]),  # not a directive name
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
        ("a;\nb", ["a", ";", "\n", "b"]),
        ("a;\n    b", ["a", ";", "\n    ", "b"]),
        ("a;  \n\n  b", ["a", ";", "  \n\n  ", "b"]),
        ("a;\r\n\tb", ["a", ";", "\r\n\t", "b"]),
        ("a   b", ["a", "  ", " b"]),
        ("{\n}\n", ["{", "\n", "}", "\n"]),
    ],
)
def test_newlines_and_indentation(text, expected):
    assert pretokenize(text) == expected


def test_closing_punctuation_runs_are_whole_punctuators():
    assert pretokenize("f(g(x));") == ["f", "(", "g", "(", "x", "));"]
    assert pretokenize("};") == ["};"]
    assert pretokenize("a[i]);") == ["a", "[", "i", "]);"]


def test_shr_modes():
    nested = "std::vector<std::vector<int>> v; x >> 2; y >>= 1;"
    whole, split, closer = (pretokenize(nested, m) for m in ("whole", "split", "closer"))
    assert ">>" in whole and " >>" in whole
    assert ">>" not in split and " >>" not in split and split.count(">") == 3  # 2 nested + 1 shift
    assert ">>" in closer and " >>= " not in closer and " >>=" in closer
    for pieces in (whole, split, closer):
        assert "".join(pieces) == nested
    with pytest.raises(ValueError, match="unknown shr"):
        cpp_pattern("nope")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.sampled_from(SHR_MODES))
def test_split_is_lossless(text, shr):
    assert "".join(pretokenize(text, shr)) == text
