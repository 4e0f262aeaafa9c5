"""Judge replies in the sandbox: build with sanitizers, run the tests, syntax-check what did not build.

One reply costs one sandboxed build (ASan + UBSan, `-fno-sanitize-recover=all`, so memory errors and
undefined behaviour end the run with a report) and one sandboxed run under `sanitizer_limits` (resident
memory bounded instead of the address space: ASan reserves terabytes); only a reply whose program does
not build gets a second compile, `-fsyntax-only`, which tells a syntax/type error from a link error.
`sanitizers` is logged in config.json. Replies are judged in parallel threads (each job is its own sandboxed process).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from cppllm.eval import sandbox
from cppllm.eval.humaneval import execute
from cppllm.eval.sandbox import SandboxLimits
from cppllm.eval.syntax_check import CompileChecker, CompileConfig
from cppllm.train.rl.rewards import Reply, Verdict, extract_code
from cppllm.train.rl.tasks import Task

_REPORTS = ("runtime error:", "AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer")


def parse_reply(ids: Sequence[int], tokenizer, *, finished: bool) -> Reply:
    """Split generated assistant ids (after `<|assistant|>`) into reasoning, content and code."""
    from cppllm.tokenizer.special import END_TURN_ID, THOUGHT_END_ID, THOUGHT_START_ID

    ids = list(ids)
    if END_TURN_ID in ids:
        ids = ids[: ids.index(END_TURN_ID)]
    reasoning, closed = None, True
    if THOUGHT_START_ID in ids:
        start = ids.index(THOUGHT_START_ID)
        closed = THOUGHT_END_ID in ids[start:]
        end = ids.index(THOUGHT_END_ID, start) if closed else len(ids)
        reasoning = tokenizer.decode(ids[start + 1 : end])
        ids = ids[:start] + ids[end + 1 :]
    elif THOUGHT_END_ID in ids:
        closed = False  # a close marker without an opening one
    content = tokenizer.decode(ids)
    return Reply(
        reasoning=reasoning,
        thought_closed=closed,
        content=content,
        code=extract_code(content),
        finished=finished,
    )


class Judge:
    """Sandboxed verdicts for (task, reply) pairs, `jobs` at a time."""

    def __init__(self, *, compiler: str = "g++", std: str = "c++17", jobs: int | None = None) -> None:
        self.sanitizers = "address,undefined"
        flags = (f"-fsanitize={self.sanitizers}", "-fno-sanitize-recover=all", "-g", "-O0")
        limits = SandboxLimits(wall_s=20.0, cpu_s=10)
        self.build = CompileChecker(
            CompileConfig(compiler=compiler, std=std, extra_flags=flags, limits=limits)
        )
        self.syntax = CompileChecker(CompileConfig(compiler=compiler, std=std, limits=limits))
        run = SandboxLimits(wall_s=10.0, cpu_s=5)
        self.run_limits = sandbox.sanitizer_limits(run)
        self.jobs = jobs or os.cpu_count() or 1
        self._cache: dict[str, Verdict] = {}
        self._lock = threading.Lock()
        self.hits = 0

    def verdict(self, task: Task, reply: Reply, response_tokens: int = 0) -> Verdict:
        fmt = reply.finished and reply.thought_closed and reply.code is not None
        common = dict(format_ok=fmt, has_code=reply.code is not None, response_tokens=response_tokens)
        if reply.code is None or not reply.code.strip():
            return Verdict(
                **common, syntax_ok=None, builds=None, tests_pass=None, sanitizer_clean=None, status="no_code"
            )
        source = task.program(reply.code)
        key = hashlib.sha256(source.encode("utf-8", "surrogateescape")).hexdigest()
        with self._lock:
            known = self._cache.get(key)
            self.hits += known is not None
        if known is not None:
            return dataclasses.replace(known, **common)
        v = self._run(source, common)
        with self._lock:
            if len(self._cache) >= 50_000:
                self._cache.clear()
            if v.status != "timeout":  # a time-out may be the machine's load, not the program
                self._cache[key] = v
        return v

    def _run(self, source: str, common: dict) -> Verdict:
        ex = execute(source, self.build, self.run_limits)
        if ex.status in ("compile_error", "rejected_include"):
            syntax_ok = self.syntax.check(source).ok
            return Verdict(
                **common,
                syntax_ok=syntax_ok,
                builds=False,
                tests_pass=None,
                sanitizer_clean=None,
                status="link_error" if syntax_ok else ex.status,
            )
        reported = any(r in ex.detail for r in _REPORTS)
        status = "sanitizer" if reported and not ex.passed else ex.status
        return Verdict(
            **common,
            syntax_ok=True,
            builds=True,
            tests_pass=ex.passed,
            sanitizer_clean=not reported if ex.status != "timeout" else None,
            status=status,
        )

    def verdicts(self, pairs: Sequence[tuple[Task, Reply, int]]) -> list[Verdict]:
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            return list(pool.map(lambda p: self.verdict(*p), pairs))

    def close(self) -> None:
        self.build.close()
        self.syntax.close()
