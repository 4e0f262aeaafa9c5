"""Compile rate of sampled completions: the seed's "sample 100 completions, try g++ -fsyntax-only".

Each prompt (a held-out file cut at its opening or at a function header, `cppllm.eval.prompts`) is
continued by the model's sampler (`cppllm.model.generate`, KV cache, temperature / top-p). The completion is
cut at `<eos>` or where its braces balance (the function body closes, or the first declaration ends); a
completion that ran out of tokens is cut back to its last `;`, `{` or `}` (else its last complete line). The translation unit is the
prompt + the cut completion + closers for the scopes and `#if`s the prompt left open (namespaces, classes,
include guards). Units are checked in the sandbox (`cppllm.eval.syntax_check`).

Reported: the compile rate with a 95% Wilson score interval (Wilson 1927; Brown, Cai & DasGupta 2001),
the first error's category for each failure, and the same check on the file's real continuation (the
reference rate: how many prompts can compile at all, the ceiling for the model). Each unit is checked
with its prompt's build-context flags (`Prompt.flags`, `cppllm.eval.context`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cppllm.cppscan import closers, cut_balanced, scan, strip_comments
from cppllm.eval.prompts import Prompt
from cppllm.eval.syntax_check import CompileChecker, CompileResult


@dataclass(frozen=True, kw_only=True)
class Completion:
    text: str
    finished: bool  # ended by <eos> or a stop string, not by the token limit


class Completer(Protocol):
    """Continues text prompts: the model sampler, or any callable with this signature (tests)."""

    def __call__(
        self, prompts: Sequence[str], *, max_new_tokens: int, seed: int, stop_strings: Sequence[str] = ()
    ) -> list[Completion]: ...


class ModelCompleter:
    """`Completer` over a GPT and a `CppTokenizer`: batched sampling with `cppllm.model.generate`.

    Prompts are `<bos>` + their tokens; a prompt longer than the context keeps its last tokens (and loses
    `<bos>`, as a training window in the middle of a file does).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        temperature: float = 0.8,
        top_p: float | None = 0.95,
        top_k: int | None = None,
        batch_size: int = 8,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.temperature = temperature
        self.top_p = top_p
        self.top_k = top_k
        self.batch_size = batch_size
        self.progress = progress

    @property
    def context(self) -> int:
        return self.model.config.max_seq_len

    def fit(self, ids: list[int], max_new_tokens: int) -> list[int]:
        """Left-truncate prompt ids to leave room for `max_new_tokens`."""
        room = self.context - max_new_tokens
        if room < 1:
            raise ValueError(
                f"max_new_tokens={max_new_tokens} leaves no room in a {self.context}-token context"
            )
        return ids if len(ids) <= room else ids[-room:]

    def complete_ids(
        self,
        prompts: Sequence[list[int]],
        *,
        max_new_tokens: int,
        seed: int,
        stop_strings: Sequence[str] = (),
    ) -> list[Completion]:
        """Sample continuations of token-id prompts (already fitted to the context)."""
        from cppllm.model.generate import generate

        out: list[Completion] = []
        decode = self.tokenizer.decode
        for b in range(0, len(prompts), self.batch_size):
            batch = list(prompts[b : b + self.batch_size])
            new = generate(
                self.model,
                batch,
                max_new_tokens,
                temperature=self.temperature,
                top_k=self.top_k,
                top_p=self.top_p,
                eos_id=self.tokenizer.eos_id,
                stop_strings=stop_strings,
                decode=decode if stop_strings else None,
                seed=seed + b,
                pad_id=self.tokenizer.pad_id,
            )
            for ids in new:
                text = decode(ids)
                stopped = any(s in text for s in stop_strings)
                out.append(Completion(text=text, finished=len(ids) < max_new_tokens or stopped))
            if self.progress is not None:
                self.progress(len(batch))
        return out

    def __call__(
        self, prompts: Sequence[str], *, max_new_tokens: int, seed: int, stop_strings: Sequence[str] = ()
    ) -> list[Completion]:
        ids = [self.fit([self.tokenizer.bos_id, *self.tokenizer.encode(p)], max_new_tokens) for p in prompts]
        return self.complete_ids(ids, max_new_tokens=max_new_tokens, seed=seed, stop_strings=stop_strings)


_EMPTY = CompileResult(ok=False, category="empty", seconds=0.0)


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion (n=0 gives (0, 1))."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, center - half)
    hi = 1.0 if successes == n else min(1.0, center + half)
    return lo, hi


def trim_to_statement(completion: str, prompt: str = "") -> str:
    """`completion` cut after its last `;`, `{` or `}` (outside comments/literals), else after its last
    complete line; '' when it has neither.

    A `{` is a boundary too: the scopes it opens are closed like the prompt's (`closers`). Without it, a
    truncated file opening that opened `namespace at {` and started a long declaration (the reference of a
    file opening is a whole top-level declaration, often the rest of the file, which never fits the token
    budget) was cut to nothing and counted `empty` without being compiled.
    """
    last = -1
    for ev in scan(prompt + completion):
        if ev.pos >= len(prompt) and ev.kind in (";", "{", "}"):
            last = ev.pos - len(prompt)
    if last >= 0:
        return completion[: last + 1]
    nl = completion.rfind("\n")
    return completion[:nl] if nl >= 0 else ""


def assemble_unit(
    prompt: Prompt | str, completion: Completion | str, *, in_body: bool | None = None
) -> tuple[str, str]:
    """(translation unit, how the completion ended: `balanced` | `eos` | `truncated` | `empty`).

    `empty`: nothing but comments, preprocessor lines and blanks remains of the completion (`<eos>` at
    once, or a truncated one with no code on a complete line); it counts as a failure without being
    compiled. Anything else is compiled, so a failure gets the compiler's category.
    """
    if isinstance(prompt, Prompt):
        text, body = prompt.text, prompt.in_body if in_body is None else in_body
    else:
        text, body = prompt, bool(in_body)
    comp = completion if isinstance(completion, Completion) else Completion(text=completion, finished=True)
    cut, was_cut = cut_balanced(text, comp.text, in_body=body)
    if was_cut:
        end = "balanced"
    elif comp.finished:
        end = "eos"
    else:
        cut, end = trim_to_statement(comp.text, text), "truncated"
    if not strip_comments(cut):
        end = "empty"
    joined = text + cut
    return joined + closers(joined), end


def rate_summary(oks: Sequence[bool], categories: Sequence[str]) -> dict[str, Any]:
    """n, ok, rate, 95% Wilson interval, and the failures' first-error categories."""
    n, k = len(oks), sum(oks)
    lo, hi = wilson_interval(k, n)
    fails = Counter(c for ok, c in zip(oks, categories, strict=True) if not ok)
    return {
        "n": n,
        "ok": k,
        "rate": k / n if n else None,
        "ci95": [lo, hi],
        "errors": dict(fails.most_common()),
    }


def evaluate_compile(
    prompts: Sequence[Prompt],
    completer: Completer,
    checker: CompileChecker,
    *,
    max_new_tokens: int = 256,
    seed: int = 0,
    reference: bool = True,
    keep_samples: int = 8,
    jobs: int | None = None,
) -> dict[str, Any]:
    """Sample one completion per prompt, assemble units, check them; the `compile` section of eval.json."""
    comps = completer([p.text for p in prompts], max_new_tokens=max_new_tokens, seed=seed)
    units, ends = (
        zip(*(assemble_unit(p, c) for p, c in zip(prompts, comps, strict=True)), strict=True)
        if prompts
        else ((), ())
    )
    todo = [i for i, e in enumerate(ends) if e != "empty"]
    checked = iter(
        checker.check_many([units[i] for i in todo], jobs=jobs, flags=[prompts[i].flags for i in todo])
    )
    results = [next(checked) if e != "empty" else _EMPTY for e in ends]
    out = rate_summary([r.ok for r in results], [r.category for r in results])
    out["ends"] = dict(Counter(ends))
    out["contexts"] = dict(Counter(p.context for p in prompts))
    out["by_kind"] = {}
    for kind in sorted({p.kind for p in prompts}):
        sel = [i for i, p in enumerate(prompts) if p.kind == kind]
        out["by_kind"][kind] = rate_summary([results[i].ok for i in sel], [results[i].category for i in sel])
    if reference:
        refs = [p.text + p.reference + closers(p.text + p.reference) for p in prompts]
        ref_results = checker.check_many(refs, jobs=jobs, flags=[p.flags for p in prompts])
        out["reference"] = rate_summary([r.ok for r in ref_results], [r.category for r in ref_results])
        ok_ref = [i for i, r in enumerate(ref_results) if r.ok]
        out["given_reference_ok"] = rate_summary(
            [results[i].ok for i in ok_ref], [results[i].category for i in ok_ref]
        )
    out["samples"] = [
        {
            "kind": p.kind,
            "prompt_tail": p.text[-400:],
            "completion": c.text[:1200],
            "end": e,
            "ok": r.ok,
            "category": r.category,
            "first_error": next((ln for ln in r.stderr.splitlines() if "error" in ln), "")[:300],
        }
        for p, c, e, r in list(zip(prompts, comps, ends, results, strict=True))[:keep_samples]
    ]
    return out
