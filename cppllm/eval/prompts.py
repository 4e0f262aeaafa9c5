"""Evaluation prompts cut from held-out files: file openings and function headers.

The held-out files are the documents of the validation `.bin` split (whole repositories the model never
trained on, see `cppllm.pipeline.split`), decoded with the tokenizer. FIM-formatted documents are skipped
(their text is permuted); `<bos>`/`<eos>` framing is stripped. Two prompt kinds:

- `file_opening`: a file's preamble (licence comment, include guard, `#include`s, ...) up to where its
  first top-level declaration starts; the model writes the first declaration.
- `function_header`: a file up to and including the `{` of a function definition; the model writes the
  body. The original body is kept as the reference.

Selection is deterministic: a seeded generator over the candidates in document order. Torch-free, so the
decontamination step can build the same prompt sets.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from cppllm.cppscan import _directive_end, find_functions, scan
from cppllm.tokenizer.special import BOS_ID, EOS_ID, FIM_MIDDLE_ID, FIM_PREFIX_ID, FIM_SUFFIX_ID

Kind = Literal["file_opening", "function_header"]
KINDS: tuple[Kind, ...] = ("file_opening", "function_header")
_SEMI_AFTER = re.compile(r"[ \t]*;")
_FIM_IDS = np.array([FIM_PREFIX_ID, FIM_MIDDLE_ID, FIM_SUFFIX_ID])


@dataclass(frozen=True, kw_only=True)
class HeldOutDoc:
    index: int  # document index in the val split
    text: str
    metadata: dict | None = None  # the pipeline's metadata (`path`, `build_context`), when found


@dataclass(frozen=True, kw_only=True)
class Prompt:
    kind: Kind
    doc: int  # index of the held-out document
    text: str  # the prompt: the file up to the cut
    reference: str  # what the file really continues with (the body / first declaration)
    flags: tuple[str, ...] = ()  # compiler flags of the file's build context (`cppllm.eval.context`)
    context: str = "none"  # `in_context`, `no_context`, or `none` (not looked up)

    @property
    def in_body(self) -> bool:
        """The prompt ends inside a function body (its completion ends where that body closes)."""
        return self.kind == "function_header"

    def to_dict(self) -> dict:
        return asdict(self)


def unfim(ids: list[int], decode) -> str | None:
    """The original text of a FIM document (framing already removed), or None if it is not well formed.

    PSM is `<pre> prefix <suf> suffix <mid> middle`, SPM `<pre> <suf> suffix <mid> prefix middle`
    (`cppllm.pipeline.pretokenize.fim.assemble`); each piece was tokenized on its own at character boundaries, so
    decoding the pieces separately gives the exact text.
    """
    if not ids or ids[0] != FIM_PREFIX_ID or ids.count(FIM_SUFFIX_ID) != 1 or ids.count(FIM_MIDDLE_ID) != 1:
        return None
    suf, mid = ids.index(FIM_SUFFIX_ID), ids.index(FIM_MIDDLE_ID)
    if not suf < mid or ids.count(FIM_PREFIX_ID) != 1:
        return None
    if suf == 1:  # SPM: prefix and middle follow <mid> back to back
        return decode(ids[mid + 1 :]) + decode(ids[suf + 1 : mid])
    return decode(ids[1:suf]) + decode(ids[mid + 1 :]) + decode(ids[suf + 1 : mid])


def load_heldout(
    prefix: str | os.PathLike, decode, *, max_docs: int | None = None, max_chars: int = 200_000
) -> tuple[list[HeldOutDoc], dict[str, int]]:
    """Held-out documents of a `.bin/.idx` split as plain text, decoded with `decode(ids) -> str`.

    FIM-formatted documents are put back in order (`unfim`), so a small val split still yields prompts.
    Returns (documents, counts) with counts of `docs`, `restored_fim`, `skipped_fim` (malformed FIM),
    `skipped_too_long`, `skipped_empty`, `kept`.
    """
    from cppllm.pipeline.pretokenize.indexed import IndexedReader

    reader = IndexedReader(prefix)
    docs: list[HeldOutDoc] = []
    counts = {
        "docs": len(reader),
        "restored_fim": 0,
        "skipped_fim": 0,
        "skipped_too_long": 0,
        "skipped_empty": 0,
        "kept": 0,
    }
    for i in range(len(reader)):
        ids = np.asarray(reader[i])
        if ids.size and ids[0] == BOS_ID:
            ids = ids[1:]
        if ids.size and ids[-1] == EOS_ID:
            ids = ids[:-1]
        if ids.size == 0:
            counts["skipped_empty"] += 1
            continue
        if ids.size > 4 * max_chars:  # surely too long (a character is at most 4 tokens' bytes)
            counts["skipped_too_long"] += 1
            continue
        if np.isin(ids, _FIM_IDS).any():
            text = unfim(ids.tolist(), decode)
            if text is None:
                counts["skipped_fim"] += 1
                continue
            counts["restored_fim"] += 1
        else:
            text = decode(ids.tolist())
        if len(text) > max_chars:
            counts["skipped_too_long"] += 1
            continue
        docs.append(HeldOutDoc(index=i, text=text))
        if max_docs is not None and len(docs) >= max_docs:
            break
    counts["kept"] = len(docs)
    return docs, counts


def file_opening(text: str) -> tuple[str, str] | None:
    """(preamble, first top-level declaration) of a file, or None without a non-empty preamble.

    The preamble ends where the first top-level declaration or statement starts (comments and
    preprocessor lines before it belong to the preamble).
    """
    boundary = 0  # end of the last preamble item (directive line)
    depth = 0
    first: int | None = None
    end: int | None = None
    for ev in scan(text):
        if ev.kind.startswith("#"):
            if first is None:
                boundary = _directive_end(text, ev.pos)
            continue
        if first is None:
            first = ev.pos
        if ev.kind == "{":
            depth += 1
        elif ev.kind == "}":
            depth -= 1
            if depth <= 0:
                end = ev.pos + 1
                semi = _SEMI_AFTER.match(text, end)  # `class X { ... };`
                end = semi.end() if semi else end
                break
        elif ev.kind == ";" and depth == 0:
            end = ev.pos + 1
            break
    if first is None or end is None:
        return None
    # The declaration starts on the first code line after the last directive before it.
    cut = _code_line_start(text, boundary, first)
    preamble = text[:cut]
    if not preamble.strip():
        return None
    return preamble, text[cut:end]


def _code_line_start(text: str, lo: int, first_event: int) -> int:
    """Start of the line holding the first code character in text[lo:first_event] (comments skipped)."""
    pos = lo
    while pos < first_event:
        nl = text.find("\n", pos)
        line_end = first_event if nl < 0 or nl > first_event else nl
        line = text[pos:line_end].strip()
        if line and not line.startswith(("//", "/*", "*")):
            return pos
        if nl < 0 or nl >= first_event:
            break
        pos = nl + 1
    return text.rfind("\n", 0, first_event) + 1


def candidates(
    doc: HeldOutDoc, *, max_functions: int = 3, min_body_chars: int = 8, max_body_chars: int = 4000
) -> list[Prompt]:
    """The prompts one document offers: its opening and up to `max_functions` function headers."""
    out: list[Prompt] = []
    opening = file_opening(doc.text)
    if opening is not None:
        out.append(Prompt(kind="file_opening", doc=doc.index, text=opening[0], reference=opening[1]))
    fns = [
        f
        for f in find_functions(doc.text)
        if min_body_chars <= f.close - f.open <= max_body_chars and "\n" in doc.text[f.open : f.close]
    ]
    if len(fns) > max_functions:  # spread the picks over the file
        step = len(fns) / max_functions
        fns = [fns[int(k * step)] for k in range(max_functions)]
    for f in fns:
        out.append(
            Prompt(
                kind="function_header",
                doc=doc.index,
                text=doc.text[: f.open + 1],
                reference=doc.text[f.open + 1 : f.close + 1],
            )
        )
    return out


def cut_prompts(
    docs: Sequence[HeldOutDoc],
    n: int,
    *,
    seed: int = 0,
    kinds: Sequence[Kind] = KINDS,
    max_functions_per_doc: int = 3,
) -> list[Prompt]:
    """`n` prompts from held-out documents, split evenly over `kinds`, deterministic for a seed."""
    pool: dict[str, list[Prompt]] = {k: [] for k in kinds}
    for doc in docs:
        for p in candidates(doc, max_functions=max_functions_per_doc):
            if p.kind in pool:
                pool[p.kind].append(p)
    rng = np.random.default_rng(seed)
    want = {k: n // len(kinds) + (i < n % len(kinds)) for i, k in enumerate(kinds)}
    # A kind with too few candidates hands its share to the others.
    spare = sum(max(0, want[k] - len(pool[k])) for k in kinds)
    for k in kinds:
        want[k] = min(want[k], len(pool[k]))
    for k in kinds:
        extra = min(spare, len(pool[k]) - want[k])
        want[k] += extra
        spare -= extra
    chosen: list[Prompt] = []
    for k in kinds:
        if want[k]:
            picks = sorted(rng.choice(len(pool[k]), size=want[k], replace=False).tolist())
            chosen.extend(pool[k][i] for i in picks)
    return chosen
