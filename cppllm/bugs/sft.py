"""`python -m cppllm.bugs to-sft DIR --out sft.jsonl`: verified items as chat conversations for SFT.

One JSON object per line, the layout the training stages read:

    {"messages": [{"role": "system", "content": ...},
                  {"role": "user", "content": ...},
                  {"role": "assistant", "content": ..., "reasoning": ...}]}

User turn: the buggy file, the build command, the debug context (compiler diagnostics, the failed check,
or the sanitizer report) and a short instruction. Assistant turn: `reasoning` assembled from the item's
verified facts only (the report's headline and location, the faulting line and its function, why this kind
of bug fails, what the fix changes), with wording drawn per item from several phrasings, so no two items
share one template string; `content` is the fixed code.

Content format (`--format`): `function` (default) is the whole fixed function, in a ```cpp block: a
function is self-contained, compiles in place of the old one and is what the nullfix scorer splices back;
`diff` is the unified diff from the buggy to the fixed file. Items of held-out (benchmark) families are
never written: they belong to the nullfix benchmark.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from cppllm.atomic import write_text

FORMATS = ("function", "diff")

SYSTEM = (
    "You are a careful C++ engineer. Read the code and the debug output, find the root cause, "
    "and answer with the corrected code."
)

INSTRUCTIONS = {
    "sanitizer": [
        "This program crashes under AddressSanitizer/UBSan. Find the bug and fix it.",
        "The sanitizer report below comes from running the tests. What is wrong, and what is the fix?",
        "Fix the memory/undefined-behaviour bug that the sanitizer reports.",
        "Our test binary dies with the report below. Please debug and fix it.",
    ],
    "test_failure": [
        "A test fails with the output below. Find the bug and fix it.",
        "The checks in main() fail. Debug the program and fix the faulty function.",
        "Here is the failing test output. Locate the bug and correct it.",
    ],
    "compiler": [
        "This file no longer compiles. Fix the error.",
        "g++ rejects this code with the diagnostic below. Fix it.",
        "Make this translation unit compile again; the compiler output is below.",
    ],
}

WHY = {
    "null_deref.missing_check": [
        "`{symbol}` dereferences its pointer without checking it, and the tests reach it with a null pointer.",
        "nothing in `{symbol}` handles the null case before the pointer is used.",
    ],
    "null_deref.lookup": [
        "the lookup in `{symbol}` returns nullptr when the key is absent, and that result is used unchecked.",
        "`{symbol}` trusts a lookup result that can be null: a missing key makes it dereference nullptr.",
    ],
    "null_deref.find": [
        "`find()` returns `end()` for a missing key and `{symbol}` dereferences that iterator; for an "
        "unordered_map the end iterator holds a null node.",
        "the iterator from `find()` is used without comparing it to `end()` first.",
    ],
    "null_deref.reset": [
        "the unique_ptr is reset before it is read, so the access goes through a null pointer.",
        "after `reset()` the smart pointer is empty, yet `{symbol}` still dereferences it.",
    ],
    "null_deref.move": [
        "a moved-from unique_ptr is null; `{symbol}` reads through it after handing it away.",
        "the value is read after `std::move` transferred ownership, when the pointer is already null.",
    ],
    "null_deref.uninit_ptr": [
        "the pointer member is never initialized by the constructor, so it holds garbage that is "
        "dereferenced as if it were valid.",
        "the constructor leaves the raw pointer member uninitialized; the null test cannot catch garbage.",
    ],
    "use_after_free": [
        "the object is freed and then read: the access goes to memory that was already released.",
        "memory is used after `delete` (or after its owner released it), a heap-use-after-free.",
    ],
    "off_by_one": [
        "a bound is off by one, so the code touches one element past the valid range.",
        "the loop or size computation is one too far/short at the boundary.",
    ],
    "wrong_operator": [
        "the comparison/operator is the wrong one, so the condition picks the wrong elements.",
        "the operator at that spot inverts or shifts the intended condition.",
    ],
    "wrong_variable": [
        "the expression uses the wrong variable; a similarly named one was meant.",
        "one variable is used where another was intended, so the result is computed from the wrong value.",
    ],
    "missing_return": [
        "control can reach the end of the non-void function `{symbol}` without a return statement.",
        "one path of `{symbol}` falls off the end without returning a value, which is undefined behaviour.",
    ],
    "uninitialized": [
        "a variable is read before it is ever initialized, so it starts from garbage.",
        "the accumulator/member is never given an initial value.",
    ],
    "integer_overflow": [
        "the arithmetic is done in `int` and overflows for these inputs (signed overflow is undefined).",
        "the product/sum exceeds the range of a 32-bit int before it is widened.",
    ],
    "compile_error.drop_semicolon": [
        "the statement on line {line} lost its terminating `;`, so the parser only notices at the next token.",
        "a semicolon is missing at the end of line {line}; g++ reports it where the next statement begins.",
    ],
    "compile_error.misspell_identifier": [
        "a name on line {line} is misspelt, so it refers to nothing that is declared.",
        "the identifier on that line has a typo; the compiler even suggests the intended name.",
    ],
    "compile_error.drop_paren": [
        "a closing parenthesis is missing on line {line}, which leaves the expression unbalanced.",
        "the call/expression on that line never closes its `(`.",
    ],
    "compile_error": [
        "the edit at that line broke the syntax or refers to a name that does not exist.",
        "that line no longer forms valid C++, which is exactly where the compiler stops.",
    ],
}

EVIDENCE = {
    "sanitizer": [
        "The sanitizer reports `{message}` at {file}:{rline}{in_symbol}.",
        "The report says `{message}`; the first frame in our code is {file}:{rline}{in_symbol}.",
        "Reading the report: `{message}`, raised at {file}:{rline}{in_symbol}.",
    ],
    "test_failure": [
        "The failing check is at {file}:{rline}: `{message}`.",
        "main() stops at {file}:{rline} with `{message}`.",
        "Test output: `{message}` (at {file}:{rline}).",
    ],
    "compiler": [
        "The compiler stops at {file}:{rline}: `{message}`.",
        "g++ reports `{message}` at {file}:{rline}.",
    ],
}

LOCATE = [
    "The faulty line is {line} in `{symbol}`: `{code}`.",
    "Line {line}, inside `{symbol}`, reads `{code}`.",
    "Looking at `{symbol}`, line {line} is `{code}`.",
]
LOCATE_SAME = [
    "That is the line at fault itself.",
    "So the report points straight at the bug.",
]
LOCATE_ELSEWHERE = [
    "The report line is where it shows; the cause is earlier, at line {line}.",
    "The failure surfaces there, but the root cause is at line {line} in `{symbol}`.",
]
FIX = [
    "The fix {change}.",
    "To fix it, the code {change}.",
    "Fix: {change}.",
]


def _changes(diff: str) -> tuple[list[str], list[str]]:
    removed = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return [r for r in removed if r], [a for a in added if a]


def describe_change(diff: str) -> str:
    removed, added = _changes(diff)

    def quote(lines: list[str]) -> str:
        return " ".join(f"`{x}`" for x in lines)

    if removed and added and len(removed) == len(added) == 1:
        return f"changes `{removed[0]}` to `{added[0]}`"
    if added and not removed:
        return f"adds {quote(added)}"
    if removed and not added:
        return f"removes {quote(removed)}"
    return f"replaces {quote(removed)} with {quote(added)}"


def reasoning(item: dict[str, Any], rng: random.Random) -> str:
    """Grounded reasoning for one item, phrased from the item's facts with `rng`-drawn wording."""
    fault, rep, debug = item["fault"], item.get("report") or {}, item["debug"]
    dtype = debug["type"]
    symbol = fault["symbol"] or "the function"
    rline = rep.get("line") or fault["line"]
    rsym = rep.get("symbol") or ""
    facts = dict(
        file=fault["file"],
        line=fault["line"],
        symbol=symbol,
        code=fault["code"],
        message=(rep.get("message") or debug["text"].splitlines()[0] if debug["text"] else "").strip()[:200],
        rline=rline,
        in_symbol=f" in `{rsym}`" if rsym else "",
    )
    parts = [rng.choice(EVIDENCE[dtype]).format(**facts), rng.choice(LOCATE).format(**facts)]
    same = rline == fault["line"]
    parts.append(rng.choice(LOCATE_SAME if same else LOCATE_ELSEWHERE).format(**facts))
    why = WHY.get(item["subkind"]) or WHY[item["kind"]]
    lead = rng.choice(["It fails because ", "The cause: ", "Why: ", "This goes wrong because "])
    text = rng.choice(why).format(**facts)
    parts.append(lead + text[0].lower() + text[1:] if lead != "The cause: " else lead + text)
    parts.append(rng.choice(FIX).format(change=describe_change(item["diff"])))
    return " ".join(parts)


def user_turn(item: dict[str, Any], rng: random.Random) -> str:
    ((name, code),) = item["files"].items()
    debug = item["debug"]
    ctx = debug["text"]
    if debug.get("warnings") and debug["type"] != "compiler":
        ctx = f"{debug['warnings']}\n{ctx}"
    return (
        f"{rng.choice(INSTRUCTIONS[debug['type']])}\n\n`{name}`:\n```cpp\n{code.rstrip()}\n```\n\n"
        f"Build and run: `{item['build']}`\n\nOutput:\n```\n{ctx.rstrip()}\n```"
    )


def assistant_content(item: dict[str, Any], fmt: str) -> str:
    fixed_fn = item["fault"].get("fixed_function") or ""
    if fmt == "function" and fixed_fn:
        return f"```cpp\n{fixed_fn.rstrip()}\n```"
    return f"```diff\n{item['diff'].rstrip()}\n```"


def to_conversation(item: dict[str, Any], fmt: str = "function") -> dict[str, Any]:
    rng = random.Random(item["id"])
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": user_turn(item, rng)},
            {
                "role": "assistant",
                "content": assistant_content(item, fmt),
                "reasoning": reasoning(item, rng),
            },
        ]
    }


def to_sft(items: list[dict[str, Any]], out: Path, fmt: str = "function") -> dict[str, int]:
    """Write the training conversations; benchmark-split items are skipped and counted."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    rows, held_out = [], 0
    for it in items:
        if it.get("split") == "bench":
            held_out += 1
            continue
        rows.append(json.dumps(to_conversation(it, fmt), ensure_ascii=False))
    write_text(out, "".join(r + "\n" for r in rows))
    return {"conversations": len(rows), "skipped_benchmark_items": held_out}
