"""Bug-fix benchmarks: HumanEvalFix-C++ and nullfix, scored by building and running the fix in the sandbox.

HumanEvalFix-C++ (HumanEvalPack, Muennighoff et al., arXiv:2308.07124): 164 problems, each a buggy C++
function with its tests. Loaded from the Hugging Face dataset `bigcode/humanevalpack` (config `cpp`) or a
local `.jsonl` in that layout. The prompt follows bigcode-evaluation-harness' HumanEvalFixTests "instruct"
prompt: declaration + buggy solution + tests, the instruction `Fix bugs in ENTRY_POINT.`, then the
declaration again for the model to continue. As the harness accepts, a generation may be the body after
that prompt (cut where the function's braces close) or a whole fixed function (anything from `int main` on
is dropped); the program is the harness' C++ import helper + the function + the tests, built with
`g++ -std=c++17` and run in the sandbox; exit status 0 passes. (`<boost/any.hpp>`, in the harness' helper,
is included only where installed.)

nullfix: the null-pointer items of the held-out families of `python -m cppllm.bugs make` (kind
`null_deref`, split `bench`). The model gets the buggy file and its sanitizer report; its answer holds a
reasoning block and the fixed code (a function, spliced over the one of the same name, or a whole file).
A fix passes when the program builds, passes its tests and is ASan/UBSan clean. Also reported: the
grounded-reasoning rate (the reasoning names the faulting line number or function) and the well-formed
rate (a reasoning block is present, closed, 20-4000 characters, and not just code).

Every failure (no code, compile error, failing test, sanitizer report, timeout, output flood, rejected
include) is a scored failure with its reason; a malformed generations file is an error naming the line.

    python -m cppllm.eval.bugfix --bench humanevalfix --data humanevalpack.jsonl --load-generations g.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cppllm.eval.humaneval import Execution, execute, load_generations, pass_at_k

HF_DATASET = "bigcode/humanevalpack"
HF_CONFIG = "cpp"
HEP_REQUIRED = ("task_id", "declaration", "buggy_solution", "canonical_solution", "test", "entry_point")
BENCHES = ("humanevalfix", "nullfix")

# bigcode-evaluation-harness' IMPORT_HELPER["cpp"], prepended to every program.
CPP_IMPORTS = "\n".join(
    [
        "using namespace std;",
        "#include<stdlib.h>",
        "#include<algorithm>",
        "#include<cmath>",
        "#include<math.h>",
        "#include<numeric>",
        "#include<stdio.h>",
        "#include<vector>",
        "#include<set>",
        "#include<map>",
        "#include<queue>",
        "#include<stack>",
        "#include<list>",
        "#include<deque>",
        "#if __has_include(<boost/any.hpp>)",
        "#include<boost/any.hpp>",
        "#endif",
        "#include<string>",
        "#include<climits>",
        "#include<cstring>",
        "#include<iostream>",
        "#include<sstream>",
        "#include<fstream>",
    ]
)


@dataclass(frozen=True, kw_only=True)
class FixProblem:
    task_id: str
    declaration: str
    buggy_solution: str
    canonical_solution: str
    test: str
    entry_point: str


def load_humanevalfix(
    source: str | os.PathLike = HF_DATASET, *, limit: int | None = None, cache_dir: str | None = None
) -> list[FixProblem]:
    """HumanEvalPack C++ problems from a local `.jsonl` or the Hugging Face dataset (config `cpp`)."""
    path = Path(source)
    if path.suffix in (".jsonl", ".json") or path.is_file():
        if not path.is_file():
            raise FileNotFoundError(f"no HumanEvalPack file at {path}")
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    else:
        from datasets import load_dataset

        rows = list(load_dataset(str(source), HF_CONFIG, split="test", cache_dir=cache_dir))
    out = []
    for i, row in enumerate(rows):
        missing = [k for k in HEP_REQUIRED if k not in row]
        if missing:
            raise ValueError(f"{source}: record {i} lacks {missing} (HumanEvalPack layout)")
        out.append(FixProblem(**{k: row[k] for k in HEP_REQUIRED}))
    return out[:limit] if limit is not None else out


def fix_prompt(p: FixProblem) -> str:
    """The harness' HumanEvalFixTests instruct prompt (context, instruction, then the declaration)."""
    context = p.declaration + p.buggy_solution + "\n" + p.test
    return (context + "\n" + f"Fix bugs in {p.entry_point}." + "\n\n" + p.declaration).strip()


_FENCE = re.compile(r"```[ \t]*(?:c\+\+|cpp|cc|c)?[ \t]*\n(.*?)(?:```|\Z)", re.S | re.I)


def code_of(text: str) -> str:
    """The first fenced code block of `text`, or `text` itself when it has none."""
    m = _FENCE.search(text)
    return m.group(1) if m else text


def close_first_block(code: str) -> str:
    """The body up to where the function's braces close (the harness' `remove_last_block` for C++)."""
    depth = 1
    for i, c in enumerate(code):
        depth += c == "{"
        depth -= c == "}"
        if depth == 0:
            return code[: i + 1]
    return code[: code.rfind("}") + 1] if "}" in code else code


def fix_program(p: FixProblem, generation: str) -> str:
    """The program for one generation: imports + fixed function + tests."""
    prompt = fix_prompt(p)
    gen = generation[len(prompt) :] if generation.startswith(prompt) else generation
    gen = code_of(gen)
    signature = re.compile(rf"\b{re.escape(p.entry_point)}\s*\([^;{{}}]*\)\s*\{{")
    if signature.search(gen):
        func = gen.split("int main")[0]  # a whole function (maybe with its includes)
    else:
        func = p.declaration.rstrip() + close_first_block(gen.rstrip())
    return CPP_IMPORTS + "\n" + func.split("int main")[0].strip() + "\n" + p.test


def _pass_at(per_task: list[tuple[int, int]], ks: Sequence[int]) -> dict[str, float | None]:
    out = {}
    for k in ks:
        ok = [(n, c) for n, c in per_task if n >= k]
        out[f"pass@{k}"] = (
            float(np.mean([pass_at_k(n, c, k) for n, c in ok])) if ok and len(ok) == len(per_task) else None
        )
    return out


def score_humanevalfix(
    problems: Sequence[FixProblem],
    generations: dict[str, list[str]],
    checker,
    *,
    ks: Sequence[int] = (1,),
    jobs: int | None = None,
) -> dict[str, Any]:
    """pass@k of the generations (task_id -> list) on `problems`; missing tasks count as 0 samples."""
    jobs_list = [(p, g) for p in problems for g in generations.get(p.task_id, [])]
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        runs: list[Execution] = list(pool.map(lambda pg: execute(fix_program(*pg), checker), jobs_list))
    per_task, status, k = [], Counter(), 0
    rows = []
    for p in problems:
        n = len(generations.get(p.task_id, []))
        mine = runs[k : k + n]
        k += n
        status.update(r.status for r in mine)
        per_task.append((n, sum(r.passed for r in mine)))
        rows.append(
            {"task_id": p.task_id, "n": n, "passed": per_task[-1][1], "status": [r.status for r in mine]}
        )
    return {
        "bench": "humanevalfix",
        "n_problems": len(problems),
        "n_with_generations": sum(n > 0 for n, _ in per_task),
        "pass_at_k": _pass_at(per_task, ks),
        "status": dict(status),
        "problems": rows,
    }


# ---- nullfix ---------------------------------------------------------------------------------------

NULLFIX_INSTRUCTION = (
    "This program crashes under AddressSanitizer/UBSan. Explain the cause, then give the fixed function."
)
# `<think>` tags, or the chat template's reasoning markers (cppllm.tokenizer.chat) decoded as text.
_THINK = re.compile(r"(?:<think>|<\|thought_start\|>)(.*?)(</think>|<\|thought_end\|>|\Z)", re.S)


def load_nullfix(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The held-out null-pointer items of a `cppllm.bugs make` folder (or items.jsonl)."""
    from cppllm.bugs.make import read_jsonl

    path = Path(path)
    items_path = path / "items.jsonl" if path.is_dir() else path
    if not items_path.is_file():
        raise FileNotFoundError(f"no items at {items_path} (python -m cppllm.bugs make --split bench ...)")
    items = [it for it in read_jsonl(items_path) if it["kind"] == "null_deref" and it.get("split") == "bench"]
    if not items:
        raise ValueError(f"{items_path} has no null_deref items of the held-out (bench) families")
    return items


def nullfix_prompt(item: dict[str, Any]) -> str:
    """User-turn text for one item (the same layout as the SFT user turn, a fixed instruction)."""
    from cppllm.bugs.sft import user_turn

    text = user_turn(item, random.Random(0))
    return NULLFIX_INSTRUCTION + text[text.index("\n\n") :]


def split_answer(generation: str, reasoning: str | None = None) -> tuple[str | None, bool, str]:
    """(reasoning, closed, code) of an answer: a `<think>` (or `<|thought_start|>`) block, else the text
    before the first code fence, else the row's separate `reasoning` field; and the code in the first fence
    (or the rest)."""
    if reasoning is not None:
        return reasoning, True, code_of(generation)
    m = _THINK.search(generation)
    if m:
        rest = generation[m.end() :]
        return m.group(1).strip(), bool(m.group(2)), code_of(rest) if rest.strip() else ""
    fence = generation.find("```")
    if fence > 0:
        return generation[:fence].strip() or None, True, code_of(generation[fence:])
    return None, True, code_of(generation)


def well_formed(reasoning: str | None, closed: bool) -> bool:
    if not reasoning or not closed or not 20 <= len(reasoning) <= 4000:
        return False
    letters = sum(c.isalpha() or c.isspace() for c in reasoning)
    return letters / len(reasoning) > 0.6 and "```" not in reasoning


def grounded(reasoning: str | None, item: dict[str, Any]) -> bool:
    """The reasoning names the faulting line (number) or the faulting function."""
    if not reasoning:
        return False
    fault = item["fault"]
    names = {fault["symbol"], fault["symbol"].rsplit("::", 1)[-1]} - {""}
    line = str(fault["line"])
    return bool(re.search(rf"(?<![\w.]){line}(?!\d)", reasoning)) or any(
        re.search(rf"\b{re.escape(n)}\b", reasoning) for n in names
    )


def apply_fix(item: dict[str, Any], code: str) -> str | None:
    """The buggy file with the generated function(s) spliced in (or the generated whole file)."""
    from cppllm.bugs.locate import functions, replace_function

    ((name, buggy),) = item["files"].items()
    if not code.strip():
        return None
    if re.search(r"\bint\s+main\s*\(", code):
        return code
    new_funcs = functions(code)
    if not new_funcs:
        return None
    source, matched = buggy, False
    for nf in new_funcs:
        targets = [s for s in functions(source) if s.short == nf.short]
        if not targets:
            continue
        matched = True
        fault_line = item["fault"].get("fix_line") or item["fault"]["line"]
        target = next((s for s in targets if s.start <= fault_line <= s.end), targets[0])
        text = "\n".join(code.split("\n")[nf.start - 1 : nf.end])
        source = replace_function(source, target, text)
    return source if matched else None  # an unchanged function is run (and fails), not skipped


def score_nullfix(
    items: Sequence[dict[str, Any]],
    generations: dict[str, list[dict[str, Any]]],
    *,
    ks: Sequence[int] = (1,),
    jobs: int | None = None,
) -> dict[str, Any]:
    """pass@k, grounded- and well-formed-reasoning rates of answers (task_id -> [{text, reasoning}])."""
    from cppllm.bugs.verify import run_program, sanitizer_checker

    checker = sanitizer_checker()

    def one(job):
        item, ans = job
        reasoning, closed, code = split_answer(ans["text"], ans.get("reasoning"))
        source = apply_fix(item, code)
        if source is None:
            status = "no_code"
        else:
            ((name, _),) = item["files"].items()
            status = run_program(source, name, checker).status
        return status, grounded(reasoning, item), well_formed(reasoning, closed)

    jobs_list = [(it, a) for it in items for a in generations.get(it["id"], [])]
    try:
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            runs = list(pool.map(one, jobs_list))
    finally:
        checker.close()
    per_task, rows, k = [], [], 0
    for it in items:
        n = len(generations.get(it["id"], []))
        mine = runs[k : k + n]
        k += n
        per_task.append((n, sum(s == "passed" for s, _, _ in mine)))
        rows.append(
            {"task_id": it["id"], "n": n, "passed": per_task[-1][1], "status": [s for s, _, _ in mine]}
        )
    total = max(1, len(runs))
    return {
        "bench": "nullfix",
        "n_problems": len(items),
        "n_with_generations": sum(n > 0 for n, _ in per_task),
        "families": sorted({it["family"] for it in items}),
        "pass_at_k": _pass_at(per_task, ks),
        "grounded_reasoning_rate": sum(g for _, g, _ in runs) / total if runs else None,
        "well_formed_reasoning_rate": sum(w for _, _, w in runs) / total if runs else None,
        "status": dict(Counter(s for s, _, _ in runs)),
        "problems": rows,
    }


# What follows the nullfix prompt for a plain completion model: it writes its reasoning, then the code.
NULLFIX_ANSWER_LEAD = "\n\nReasoning:\n"


def run_task(task: str, completer, args, prompt_rows: list[dict[str, str]]) -> dict[str, Any]:
    """A `python -m cppllm.eval` task: sample answers with the run's model, score them (eval.json section)."""
    n = args.humaneval_samples
    ks = [k for k in _ks(args.pass_k) if k <= n]
    if task == "humanevalfix":
        from cppllm.eval.syntax_check import CompileChecker, CompileConfig

        problems = load_humanevalfix(args.humanevalfix_source, limit=args.bugfix_limit)
        prompt_rows += [
            {"set": "humanevalfix", "text": p.declaration + p.buggy_solution + p.canonical_solution + p.test}
            for p in problems
        ]
        prompts = [fix_prompt(p) for p in problems for _ in range(n)]
        comps = completer(
            prompts,
            max_new_tokens=args.max_new_tokens,
            seed=args.seed,
            stop_strings=["\nint main", "\n#undef"],
        )
        gens: dict[str, list] = {}
        for i, c in enumerate(comps):
            gens.setdefault(problems[i // n].task_id, []).append(c.text)
        with CompileChecker(CompileConfig(compiler=args.compiler, std="c++17")) as checker:
            result = score_humanevalfix(problems, gens, checker, ks=ks, jobs=args.jobs)
    else:
        if not args.nullfix_data:
            raise FileNotFoundError(
                "nullfix needs --nullfix-data (python -m cppllm.bugs make --split bench ...)"
            )
        items = load_nullfix(args.nullfix_data)[: args.bugfix_limit]
        prompt_rows += [{"set": "nullfix", "text": next(iter(it["files"].values()))} for it in items]
        prompts = [nullfix_prompt(it) + NULLFIX_ANSWER_LEAD for it in items for _ in range(n)]
        comps = completer(prompts, max_new_tokens=2 * args.max_new_tokens, seed=args.seed)
        gens = {}
        for i, c in enumerate(comps):
            gens.setdefault(items[i // n]["id"], []).append({"text": c.text, "reasoning": None})
        result = score_nullfix(items, gens, ks=ks, jobs=args.jobs)
    result["samples"] = [
        {"prompt_tail": prompts[i][-300:], "generation": comps[i].text[:800]}
        for i in range(min(2, len(comps)))
    ]
    return result


def _ks(text: str) -> list[int]:
    return [int(k) for k in text.split(",") if k.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cppllm.eval.bugfix", description=__doc__.split("\n")[0])
    ap.add_argument("--bench", choices=BENCHES, required=True, help="humanevalfix or nullfix")
    ap.add_argument(
        "--data",
        help="humanevalfix: HumanEvalPack .jsonl or HF id (default bigcode/humanevalpack); "
        "nullfix: a `cppllm.bugs make` folder or items.jsonl",
    )
    ap.add_argument("--load-generations", required=True, help="JSONL: task_id + generation|generations")
    ap.add_argument("--k", default="1", help="comma-separated k of pass@k")
    ap.add_argument("--limit", type=int, default=None, help="first N problems only")
    ap.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel builds")
    ap.add_argument("--out", type=Path, help="also write the full result JSON here")
    args = ap.parse_args(argv)
    try:
        gens = load_generations(args.load_generations)
        if args.bench == "humanevalfix":
            from cppllm.eval.syntax_check import CompileChecker, CompileConfig

            problems = load_humanevalfix(args.data or HF_DATASET, limit=args.limit)
            texts = {t: [a["text"] for a in answers] for t, answers in gens.items()}
            with CompileChecker(CompileConfig(std="c++17")) as checker:
                result = score_humanevalfix(problems, texts, checker, ks=_ks(args.k), jobs=args.jobs)
        else:
            if not args.data:
                ap.error("nullfix needs --data (a `python -m cppllm.bugs make` folder)")
            items = load_nullfix(args.data)[: args.limit]
            result = score_nullfix(items, gens, ks=_ks(args.k), jobs=args.jobs)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    unknown = sorted(set(gens) - {r["task_id"] for r in result["problems"]})
    if unknown:
        result["unknown_task_ids"] = unknown[:20]
    if args.out:
        from cppllm.atomic import write_text

        write_text(args.out, json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "problems"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
