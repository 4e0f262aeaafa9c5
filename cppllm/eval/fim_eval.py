"""Fill-in-the-middle quality: hide part of a held-out function, let the model fill it, score the fill.

Following the FIM evaluations of Bavarian et al. (arXiv:2207.14255) and SantaCoder (arXiv:2301.03988), a
middle span of a held-out function is hidden: one line of its body, a nested `{...}` block's contents, or
the whole body. The model sees the rest of the file in exactly the training format of
`cppllm.pipeline.pretokenize.fim` (pieces tokenized separately, `<bos>` first):

    PSM: <bos> <fim_prefix> prefix <fim_suffix> suffix <fim_middle>        -> middle <eos>
    SPM: <bos> <fim_prefix> <fim_suffix> suffix <fim_middle> prefix        -> middle <eos>

A prefix/suffix too long for the context keeps the tokens nearest the hole. Scores: exact match (after
stripping surrounding whitespace), edit similarity (1 - Levenshtein distance / longer length), and the
compile rate of the reassembled file (prefix + fill + suffix), counted over the samples whose original file
compiles (the others cannot tell a good fill from a bad one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from cppllm.cppscan import find_functions, scan
from cppllm.eval.completion import rate_summary
from cppllm.eval.prompts import HeldOutDoc
from cppllm.pipeline.pretokenize.fim import FIMConfig, assemble

SpanKind = Literal["line", "block", "body"]
SPAN_KINDS: tuple[SpanKind, ...] = ("line", "block", "body")


@dataclass(frozen=True, kw_only=True)
class FIMTask:
    doc: int
    span: SpanKind
    prefix: str
    middle: str
    suffix: str


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions of characters), one numpy row at a time."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    bv = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    j = np.arange(len(b) + 1, dtype=np.int64)
    row = j.copy()
    for i, ch in enumerate(a, start=1):
        sub = row[:-1] + (bv != ord(ch))
        cand = np.empty_like(row)
        cand[0] = i
        cand[1:] = np.minimum(sub, row[1:] + 1)
        # insertions along the row: row[j] = min_k<=j (cand[k] + j - k)
        row = np.minimum.accumulate(cand - j) + j
    return int(row[-1])


def edit_similarity(pred: str, ref: str) -> float:
    """1 - levenshtein / max(len): 1.0 for identical strings (both empty included), 0.0 for disjoint."""
    pred, ref = pred.strip(), ref.strip()
    longest = max(len(pred), len(ref))
    return 1.0 if longest == 0 else 1.0 - levenshtein(pred, ref) / longest


def exact_match(pred: str, ref: str) -> bool:
    return pred.strip() == ref.strip()


def _spans(text: str, fn) -> dict[SpanKind, list[tuple[int, int]]]:
    """Candidate hidden spans inside one function: lines, nested block contents, the body."""
    lo, hi = fn.open + 1, fn.close
    lines: list[tuple[int, int]] = []
    pos = text.find("\n", lo)
    while 0 <= pos < hi:
        end = text.find("\n", pos + 1)
        if end < 0 or end >= hi:
            break
        if text[pos + 1 : end].strip() and text[pos + 1 : end].strip() not in ("{", "}"):
            lines.append((pos + 1, end + 1))  # the line with its newline
        pos = end
    blocks: list[tuple[int, int]] = []
    stack: list[int] = []
    for ev in scan(text[: hi + 1]):
        if ev.pos <= fn.open:
            continue
        if ev.kind == "{":
            stack.append(ev.pos)
        elif ev.kind == "}" and stack:
            start = stack.pop()
            if text[start + 1 : ev.pos].strip():
                blocks.append((start + 1, ev.pos))
    body = [(lo, hi)] if text[lo:hi].strip() else []
    return {"line": lines, "block": blocks, "body": body}


def make_tasks(
    docs: Sequence[HeldOutDoc], n: int, *, seed: int = 0, max_middle_chars: int = 1500
) -> list[FIMTask]:
    """`n` FIM tasks, span kinds in turn (line, block, body), from functions chosen with a seeded rng."""
    rng = np.random.default_rng(seed)
    pool: dict[SpanKind, list[tuple[int, int, int]]] = {k: [] for k in SPAN_KINDS}  # (doc pos, start, end)
    for d, doc in enumerate(docs):
        for fn in find_functions(doc.text):
            for kind, spans in _spans(doc.text, fn).items():
                pool[kind].extend((d, s, e) for s, e in spans if e - s <= max_middle_chars)
    order = {k: rng.permutation(len(pool[k])).tolist() for k in SPAN_KINDS}
    tasks: list[FIMTask] = []
    seen: set[tuple[int, int, int]] = set()
    turn = 0
    while len(tasks) < n and any(order.values()):
        kind = SPAN_KINDS[turn % len(SPAN_KINDS)]
        turn += 1
        if not order[kind]:
            continue
        d, s, e = pool[kind][order[kind].pop()]
        if (d, s, e) in seen:  # a one-statement body is also a line
            continue
        seen.add((d, s, e))
        text = docs[d].text
        tasks.append(
            FIMTask(doc=docs[d].index, span=kind, prefix=text[:s], middle=text[s:e], suffix=text[e:])
        )
    return tasks


def fim_prompt(
    task: FIMTask, mode: Literal["psm", "spm"], encode, budget: int, cfg: FIMConfig = FIMConfig()
) -> list[int]:
    """Token ids of the FIM prompt (training format, no `<eos>`), prefix/suffix cut to `budget` tokens."""
    pre, suf = encode(task.prefix), encode(task.suffix)
    room = budget - 4  # <bos> <fim_prefix> <fim_suffix> <fim_middle>
    if len(pre) + len(suf) > room:
        keep_suf = min(len(suf), max(room // 4, room - len(pre)))
        keep_pre = room - keep_suf
        pre, suf = pre[len(pre) - keep_pre :] if keep_pre > 0 else [], suf[:keep_suf]
    return assemble(mode, [pre, [], suf], cfg, eos_id=None)


def evaluate_fim(
    tasks: Sequence[FIMTask],
    completer,
    checker,
    *,
    modes: Sequence[str] = ("psm", "spm"),
    max_new_tokens: int = 128,
    seed: int = 0,
    keep_samples: int = 6,
    jobs: int | None = None,
) -> dict[str, Any]:
    """Fill every task in each mode; the `fim` section of eval.json.

    `completer` is a `ModelCompleter` (its `complete_ids`, `fit` and tokenizer are used).
    """
    encode = completer.tokenizer.encode
    budget = completer.context - max_new_tokens
    ref_results = checker.check_many([t.prefix + t.middle + t.suffix for t in tasks], jobs=jobs)
    out: dict[str, Any] = {
        "n_tasks": len(tasks),
        "spans": dict(Counter(t.span for t in tasks)),
        "reference_compiles": sum(r.ok for r in ref_results),
    }
    samples = []
    for m, mode in enumerate(modes):
        prompts = [fim_prompt(t, mode, encode, budget) for t in tasks]  # type: ignore[arg-type]
        fills = completer.complete_ids(prompts, max_new_tokens=max_new_tokens, seed=seed + 1000 * m)
        em = [exact_match(f.text, t.middle) for f, t in zip(fills, tasks, strict=True)]
        es = [edit_similarity(f.text, t.middle) for f, t in zip(fills, tasks, strict=True)]
        ok_ref = [i for i, r in enumerate(ref_results) if r.ok]
        results = checker.check_many(
            [tasks[i].prefix + fills[i].text + tasks[i].suffix for i in ok_ref], jobs=jobs
        )
        by_span = {}
        for kind in SPAN_KINDS:
            sel = [i for i, t in enumerate(tasks) if t.span == kind]
            if sel:
                by_span[kind] = {
                    "n": len(sel),
                    "exact_match": float(np.mean([em[i] for i in sel])),
                    "edit_similarity": float(np.mean([es[i] for i in sel])),
                }
        out[mode] = {
            "exact_match": float(np.mean(em)) if tasks else None,
            "edit_similarity": float(np.mean(es)) if tasks else None,
            "finished": sum(f.finished for f in fills),
            "compile": rate_summary([r.ok for r in results], [r.category for r in results]),
            "by_span": by_span,
        }
        samples += [
            {
                "mode": mode,
                "span": t.span,
                "prefix_tail": t.prefix[-200:],
                "middle": t.middle[:600],
                "fill": f.text[:600],
                "exact_match": em[i],
                "edit_similarity": es[i],
            }
            for i, (t, f) in enumerate(zip(tasks, fills, strict=True))
            if i < keep_samples // max(1, len(modes))
        ]
    out["samples"] = samples
    return out
