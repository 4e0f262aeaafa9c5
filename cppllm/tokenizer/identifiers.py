"""Identifiers split into words: `getNumElements` -> get num elements, `push_back` -> push back.

Shared by BM25 (its terms, `cppllm.index.chunks.code_tokens`) and the embedder's optional input
normalisation (`EmbedConfig.split_identifiers`), so both see the same words of a code identifier that a
natural-language query would use.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
_SUBWORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def identifier_parts(word: str) -> list[str]:
    """Lower-cased camelCase / snake_case parts of one identifier (`HTTPServer_v2` -> http server v 2)."""
    return [p.lower() for piece in word.split("_") for p in _SUBWORD.findall(piece)]


def split_identifiers(text: str) -> str:
    """`text` with every identifier replaced by its lower-cased parts joined by spaces; other characters
    (operators, punctuation, whitespace) kept, so code stays readable: `v.push_back(x)` -> `v.push back(x)`."""
    return WORD.sub(lambda m: " ".join(identifier_parts(m.group())) or m.group(), text)
