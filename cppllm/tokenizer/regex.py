"""The C++ pre-tokenization regex: where BPE merges may never cross.

Byte-level BPE (Sennrich et al., arXiv:1508.07909; byte-level as in GPT-2) first cuts the text into
*pre-tokens* with a regex and only learns merges inside a pre-token. General-purpose regexes (tiktoken's
`cl100k_base`) are tuned for prose: they glue any run of punctuation together (`)->`), keep at most three
digits per number and know nothing of C++ literals. This regex is tuned for normalized C++ (no
indentation, one statement per line). Each piece is one alternative, tried in this order at each position
(the first that matches wins, so longer operators come before their prefixes). ``NL`` below is
the line break(s) that follow a token, with the next line's indentation: they are glued to the token
(``;\n``, ``{\n``, ``endif\n``), which alone saves about one token per line of normalized code.

1. ``NEWLINE``: a line break with the horizontal whitespace around it (trailing spaces, blank lines and
   the next line's indentation, ``"  \n\n    "``), for text that is not normalized.
2. ``RULE``: a decorative rule, four or more of the same character among ``- = * / # ~ + . ! < >``
   (``//------``, ``/*******``, `` =====``), with its line break: one piece, so BPE learns runs of 8, 16 or
   64 characters; without it ``--`` and ``==`` are operators and ``*`` a single, and a comment rule cost
   9-40 tokens against cl100k's 1-2 (dev projects: +0.4% bytes/token).
3. ``COMMENT``: comment openers and closers ``//`` ``///`` ``//!`` ``/*`` ``/**`` ``/*!`` ``*/``; the
   comment body is cut like any other text.
4. ``DIRECTIVE``: ``#`` plus a preprocessor directive name (``#include``, ``# define``, ``#pragma``);
   only known names, so ``#x`` (stringizing) and ``a ## b`` stay as they are.
5. ``STRING_PREFIX``: an encoding-prefixed or raw literal opener: ``u8"`` ``L'`` ``U"`` ``R"(``
   ``LR"xyz(``.
6. ``ESCAPE``: an escape sequence inside a literal (``\n``, ``\x1f``, ``\0``, ``\u00e9``).
7. ``NUMBER``: a C++ preprocessing number (the standard's pp-number): a digit or ``.digit``, then digits,
   letters, ``_``, ``.``, digit separators ``'`` and exponent signs ``e+ e- p+ p-``: ``1'000'000``,
   ``0x1Fu``, ``0b1010``, ``0777``, ``1.0e-5f``, ``0x1.8p+3``, ``10ull`` are one piece each.
8. ``IDENT``: an identifier or keyword (letters of any script, digits, ``_``), or a qualified name
   ``std::chrono::duration`` (``::`` between identifiers is part of the name, kept whole).
   Numbers and identifiers take an optional leading space and one optional single-character punctuator
   (`` *p``, ``.size``, ``(x``, ``&x``, ``<T``, ``!ok``, ``-1``): like GPT-2's `` word``, this lets BPE
   learn the few very frequent pairs without ever cutting a multi-character operator, since that
   punctuator is glued only when a letter or digit follows it directly.
9. ``OPERATOR``: every multi-character C++ operator and punctuator, whole, longest first: ``->*``
   ``<=>`` ``<<=`` ``>>=`` ``...`` ``->`` ``.*`` ``::`` ``<<`` ``>>`` (see :data:`SHR_MODES`) ``<=``
   ``>=`` ``==`` ``!=`` ``&&`` ``||`` ``++`` ``--`` ``+=`` ``-=`` ``*=`` ``/=`` ``%=`` ``&=`` ``|=``
   ``^=`` ``##``, with an optional leading space.
10. ``BRACKETS``: a run of the single-character punctuators ``( ) [ ] { } ; ,`` and quotes, spaces
    allowed between them: ``();`` ``) {`` ``});`` ``", "``. Each is a whole punctuator, so BPE may merge
    them freely; they end most lines of C++.
11. ``SINGLE``: any other punctuation character, alone (``=``, ``<``, ``*``, ``?``, ``:``).
12. ``SPACE``: other horizontal whitespace; like GPT-2 a run of spaces leaves its last space to the
    next piece (``"a   b"`` -> ``a``, ``"  "``, `` b``).
13. ``OTHER``: any other character (emoji, symbols, control bytes); byte-level BPE encodes it.

Pieces are Oniguruma syntax (what HF ``tokenizers`` compiles). The split is lossless by construction:
unmatched text would still become its own pre-token. `python -m cppllm.tokenizer.report` measured the
choices made here (numbers in the README).
"""

from __future__ import annotations

import functools

NL = r"(?:\r?\n[^\S\r\n]*)*"
NEWLINE = r"[^\S\r\n]*(?:\r?\n[^\S\r\n]*)+"
RULE = r"-{4,}|={4,}|\*{4,}|/{4,}|#{4,}|~{4,}|\+{4,}|\.{4,}|!{4,}|<{4,}|>{4,}"
COMMENT = r"//[/!]?|/\*[*!]?|\*/"
DIRECTIVES = (  # noqa: SIM905
    "include_next include import define undef ifdef ifndef if elifdef elifndef elif else endif error "
    "warning pragma line embed module export"
).split()
DIRECTIVE = r"#[ \t]*(?:" + "|".join(DIRECTIVES) + r")(?![\w])"
STRING_PREFIX = r" ?(?:u8|u|U|L)?R\"[^()\\\s\"]{0,16}\(| ?(?:u8|u|U|L)[\"']"
ESCAPE = r"\\(?:x[0-9A-Fa-f]+|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[0-7]{1,3}|[^\r\n0-7xuU])"
# One single-character punctuator that may lead a number or identifier (not quotes, `\`, `_`, `$`).
LEAD = r"[^\s\p{L}\p{N}_$'\"\\]"
PP_NUMBER = r"\.?[0-9](?:[eEpP][+-]|'[0-9A-Za-z_]|[0-9A-Za-z_.])*"
_NAME = r"[\p{L}\p{M}_$][\p{L}\p{M}\p{N}_$]*"
QUALIFIED_NAME = _NAME + r"(?:::" + _NAME + r")*"
_MULTI_OPS_LONG = [r"->\*", r"<=>", r"<<=", r">>=", r"\.\.\.", r"->", r"\.\*", r"::", r"<<"]
_MULTI_OPS_SHORT = [
    r"<=", r">=", r"==", r"!=", r"&&", r"\|\|", r"\+\+", r"--", r"\+=", r"-=", r"\*=", r"/=", r"%=",
    r"&=", r"\|=", r"\^=", r"##",
]  # fmt: skip
BRACKETS = r"()\[\]{};,\"'"  # inside a character class
SINGLE = r"[^\s\p{L}\p{N}]"
SPACE = r"[^\S\r\n]+(?!\S)|[^\S\r\n]+"
OTHER = r"."

# How `>>` is cut (measured all ways by `python -m cppllm.tokenizer.report --shr-compare`):
# "whole":  `>>` is one operator (right shift; also closes `vector<vector<int>>` in one piece);
# "split":  `>>` is never one piece; every `>` stands alone, so nested templates close `>` `>`;
# "closer": `>` joins the bracket runs, so `>>` `>>;` `>();` `> {` are one piece each.
SHR_MODES = ("whole", "split", "closer")
DEFAULT_SHR = "closer"


@functools.cache
def cpp_pattern(shr: str = DEFAULT_SHR) -> str:
    """The full alternation for one `>>` policy (see :data:`SHR_MODES`)."""
    if shr not in SHR_MODES:
        raise ValueError(f"unknown shr mode {shr!r}; expected one of {SHR_MODES}")
    ops = _MULTI_OPS_LONG + ([r">>"] if shr == "whole" else []) + _MULTI_OPS_SHORT
    # In "closer" mode a `>` joins only if it does not start `>=` / `>>=` (those stay whole operators).
    brackets = "(?:[" + BRACKETS + "]" + ("|>(?!>*=)" if shr == "closer" else "") + ")"
    pieces = [
        NEWLINE,
        r" ?(?:" + RULE + r")" + NL,
        r" ?(?:" + COMMENT + r")" + NL,
        DIRECTIVE,
        STRING_PREFIX,
        ESCAPE,
        r" ?" + LEAD + "?" + PP_NUMBER + NL,
        r" ?" + LEAD + "?" + QUALIFIED_NAME + NL,
        r" ?(?:" + "|".join(ops) + r")" + NL,
        r" ?" + brackets + r"(?: ?" + brackets + r")*" + NL,
        r" ?" + SINGLE + NL,
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
