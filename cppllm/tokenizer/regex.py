"""The C++ pre-tokenization regex: where BPE merges may never cross.

Byte-level BPE (Sennrich et al., arXiv:1508.07909; byte-level as in GPT-2) first cuts the
text into *pre-tokens* with a regex and only learns merges inside a pre-token. General-purpose regexes
(tiktoken's `cl100k_base`) are tuned for prose: they glue any run of punctuation together (`)){`), keep
at most three digits per number and know nothing of C++ literals. This regex is tuned for normalized C++
source. Every piece below is one alternative, tried in this order at each position (first match wins,
so longer operators come before their prefixes):

1. ``NEWLINE``: a newline with the whitespace around it, i.e. trailing spaces of the line, any blank
   lines, and the indentation of the next line (``"  \\n\\n    "``). One pre-token per line break makes
   "newline + indentation" a single learnable token.
2. ``COMMENT``: comment openers and closers ``//`` ``///`` ``//!`` ``/*`` ``/**`` ``/*!`` ``*/``; the
   comment body is then cut like any other text.
3. ``DIRECTIVE``: a preprocessor directive with its ``#`` (``#include``, ``# define``, ``#pragma``):
   ``#`` followed by a known directive name only, so ``#x`` / ``a ## b`` in macro bodies stay operators.
4. ``STRING_PREFIX``: a string or character literal opener with its encoding prefix and raw-string
   delimiter: ``u8"`` ``L'`` ``U"`` ``R"(`` ``LR"xyz(``; raw-string closers ``)"`` follow from (7).
5. ``ESCAPE``: an escape sequence inside a literal (``\\n``, ``\\x1F``, ``\\0``, ``\\u00e9``).
6. ``NUMBER``: a C++ preprocessing number (the standard's pp-number): starts with a digit or ``.digit``
   and runs over digits, letters, ``_``, ``.``, digit separators ``'`` and exponent signs ``e+ e- p+ p-``.
   So ``1'000'000``, ``0x1Fu``, ``0b1010``, ``0777``, ``1.0e-5f``, ``0x1.8p+3``, ``10ull`` are one
   pre-token each (an optional leading space joins it).
7. ``IDENT``: an identifier or keyword (letters, digits, ``_``, any script), with an optional leading
   space: `` foo``, ``__glibcxx_assert``, `` αβ``.
8. ``OPERATOR``: every C++ operator and punctuator kept whole (longest first): ``->*`` ``<=>`` ``<<=``
   ``>>=`` ``...`` ``->`` ``.*`` ``::`` ``<<`` ``>>`` (see :data:`SHR_MODES`) ``<=`` ``>=`` ``==`` ``!=``
   ``&&`` ``||`` ``++`` ``--`` ``+=`` ``-=`` ``*=`` ``/=`` ``%=`` ``&=`` ``|=`` ``^=`` ``##``, then the
   single characters, with an optional leading space. Runs of *closing* punctuation (``);`` ``)){``
   ``};`` ``">``) form one pre-token: they are whole punctuators side by side, never a split operator,
   and they are the most frequent line endings in C++.
9. ``SPACE``: other horizontal whitespace; like GPT-2, a run of spaces leaves its last space to the
   next pre-token (``"a   b"`` -> ``a``, ``"  "``, `` b``).
10. ``OTHER``: any other character (emoji, symbols, control bytes) on its own; byte-level BPE encodes it.

Pieces are written in Oniguruma syntax (what HF ``tokenizers`` compiles) and are also valid for Python's
``regex`` module. The split is lossless: unmatched text would still become its own pre-token.
"""

from __future__ import annotations

import functools

NEWLINE = r"[^\S\r\n]*(?:\r?\n[^\S\r\n]*)+"
COMMENT = r"//[/!]?|/\*[*!]?|\*/"
DIRECTIVES = (  # noqa: SIM905
    "include_next include import define undef ifdef ifndef if elifdef elifndef elif else endif error "
    "warning pragma line embed module export"
).split()
DIRECTIVE = r"#[ \t]*(?:" + "|".join(DIRECTIVES) + r")(?![\w])"
STRING_PREFIX = r" ?(?:u8|u|U|L)?R\"[^()\\\s\"]{0,16}\(| ?(?:u8|u|U|L)[\"']"
ESCAPE = r"\\(?:x[0-9A-Fa-f]+|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[0-7]{1,3}|[^\r\n0-7xuU])"
NUMBER = r" ?\.?[0-9](?:[eEpP][+-]|'[0-9A-Za-z_]|[0-9A-Za-z_.])*"
IDENT = r" ?[\p{L}\p{M}_$][\p{L}\p{M}\p{N}_$]*"
_MULTI_OPS_LONG = [r"->\*", r"<=>", r"<<=", r">>=", r"\.\.\.", r"->", r"\.\*", r"::", r"<<"]
_MULTI_OPS_SHORT = [
    r"<=", r">=", r"==", r"!=", r"&&", r"\|\|", r"\+\+", r"--", r"\+=", r"-=", r"\*=", r"/=", r"%=",
    r"&=", r"\|=", r"\^=", r"##",
]  # fmt: skip
CLOSERS = r")\]};,\"'"  # inside a character class
SINGLE = r"[^\s\p{L}\p{N}]"
SPACE = r"[^\S\r\n]+(?!\S)|[^\S\r\n]+"
OTHER = r"."

# How `>>` is cut (measured both ways by `python -m cppllm.tokenizer.report --shr-compare`):
# "whole":  `>>` is one operator (right shift; also closes `vector<vector<int>>` in one pre-token);
# "split":  `>>` is never a pre-token; every `>` stands alone, so nested templates close `>` `>`;
# "closer": `>` joins the runs of closing punctuation, so `>>` `>>;` `>>>` `>();` are one pre-token each.
SHR_MODES = ("whole", "split", "closer")
DEFAULT_SHR = "whole"


@functools.cache
def cpp_pattern(shr: str = DEFAULT_SHR) -> str:
    """The full alternation for one `>>` policy (see :data:`SHR_MODES`)."""
    if shr not in SHR_MODES:
        raise ValueError(f"unknown shr mode {shr!r}; expected one of {SHR_MODES}")
    ops = list(_MULTI_OPS_LONG)
    if shr == "whole":
        ops.append(r">>")
    ops += _MULTI_OPS_SHORT
    closers = CLOSERS + (">" if shr == "closer" else "")
    pieces = [
        NEWLINE,
        r" ?(?:" + COMMENT + r")",
        DIRECTIVE,
        STRING_PREFIX,
        ESCAPE,
        NUMBER,
        IDENT,
        r" ?(?:" + "|".join(ops) + r")",
        r" ?[" + closers + r"]{2,}",
        r" ?" + SINGLE,
        SPACE,
        OTHER,
    ]
    return "|".join(f"(?:{p})" for p in pieces)


CPP_PATTERN = cpp_pattern()


def pretokenize(text: str, shr: str = DEFAULT_SHR) -> list[str]:
    """Cut `text` into pre-tokens exactly as the tokenizer does (HF `tokenizers`' Oniguruma engine)."""
    return [piece for piece, _ in _splitter(shr).pre_tokenize_str(text)]


@functools.cache
def _splitter(shr: str):
    from tokenizers import Regex, pre_tokenizers

    return pre_tokenizers.Split(Regex(cpp_pattern(shr)), behavior="isolated", invert=False)
