"""Generated function-completion tasks: a doc comment and a signature; tests that check the body.

Each task asks for a two-argument integer function whose doc comment says, in words, what it returns
("Return the larger of x and y."). Function names are neutral (`blend`, `fold`), so the words are the only
clue. Operation, function name, argument names and type are drawn per task from
`random.Random(f"{seed}:{split}:{i}")`, the test inputs too; expected values are computed here in Python.
Held-out tasks (`split="heldout"`) are combinations of (operation, name, arguments, type) that no training
task has: new prompts of the same skill (in distribution, not other projects).

    python -m cppllm.train.rl.complete --out data/rl_tasks --n-train 400 --n-heldout 40

writes `DIR/train.jsonl`, `DIR/heldout.jsonl` (rows: id, prompt, tests, includes, split, solution, body, combo) and
`DIR/sft/chats.jsonl` (the training tasks as chats with the reference solution, for a warm-up SFT).
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from pathlib import Path

from cppllm.atomic import write_text

# (doc template, C++ expression, python function); {a}/{b} are the argument names
OPS: list[tuple[str, str, Callable[[int, int], int]]] = [
    ("Return the sum of {a} and {b}.", "{a} + {b}", lambda a, b: a + b),
    ("Return {a} minus {b}.", "{a} - {b}", lambda a, b: a - b),
    ("Return the product of {a} and {b}.", "{a} * {b}", lambda a, b: a * b),
    ("Return the larger of {a} and {b}.", "{a} > {b} ? {a} : {b}", max),
    ("Return the smaller of {a} and {b}.", "{a} < {b} ? {a} : {b}", min),
    ("Return twice {a} plus {b}.", "2 * {a} + {b}", lambda a, b: 2 * a + b),
    ("Return {a} plus three times {b}.", "{a} + 3 * {b}", lambda a, b: a + 3 * b),
    ("Return the square of {a} plus {b}.", "{a} * {a} + {b}", lambda a, b: a * a + b),
    ("Return {a} minus twice {b}.", "{a} - 2 * {b}", lambda a, b: a - 2 * b),
    ("Return the sum of {a} and {b}, plus one.", "{a} + {b} + 1", lambda a, b: a + b + 1),
]
ARGS = [("a", "b"), ("x", "y"), ("m", "n"), ("p", "q"), ("u", "v"), ("i", "j")]
FUNCTIONS = ["blend", "fold", "mix", "merge", "combine", "join", "pair", "calc", "apply", "value"]
TYPES = ("int", "long")


def _draw(rng: random.Random) -> tuple[int, str, tuple[str, str], str]:
    return rng.randrange(len(OPS)), rng.choice(FUNCTIONS), rng.choice(ARGS), rng.choice(TYPES)


def make_task(i: int, seed: int, split: str, exclude: frozenset = frozenset()) -> dict:
    """Task `i` of `split`; a draw in `exclude` (the training combinations) is redrawn."""
    rng = random.Random(f"{seed}:{split}:{i}")
    combo = _draw(rng)
    while combo in exclude:
        combo = _draw(rng)
    op, name, (a, b), ty = combo
    doc, expr, fn = OPS[op]
    signature = f"{ty} {name}({ty} {a}, {ty} {b})"
    prompt = f"// {doc.format(a=a, b=b)}\n{signature}"
    checks = []
    for _ in range(3):
        x, y = rng.randint(-9, 9), rng.randint(-9, 9)
        checks.append(f"    if ({name}({x}, {y}) != {fn(x, y)}) return 1;")
    tests = "\nint main() {\n" + "\n".join(checks) + "\n    return 0;\n}\n"
    body = f"    return {expr.format(a=a, b=b)};"
    solution = f"{signature} {{\n{body}\n}}"
    return {
        "id": f"complete-{split}-{seed}-{i:05d}",
        "prompt": prompt,
        "tests": tests,
        "includes": "",
        "split": split,
        "solution": solution,
        "body": body,
        "combo": [op, name, a, ty],
    }


def _partner(a: str) -> str:
    return dict(ARGS)[a]


def sft_chat(row: dict) -> dict:
    from cppllm.train.rl.tasks import complete_task

    return {
        "messages": [
            {"role": "user", "content": complete_task(row).prompt},
            {"role": "assistant", "content": f"```cpp\n{row['body']}\n```"},
        ]
    }


def write_tasks(out: Path, *, n_train: int, n_heldout: int, seed: int) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    train = [make_task(i, seed, "train") for i in range(n_train)]
    seen = frozenset(
        (r["combo"][0], r["combo"][1], (r["combo"][2], _partner(r["combo"][2])), r["combo"][3]) for r in train
    )
    held = [make_task(i, seed, "heldout", seen) for i in range(n_heldout)]
    write_text(out / "train.jsonl", "".join(json.dumps(r) + "\n" for r in train))
    write_text(out / "heldout.jsonl", "".join(json.dumps(r) + "\n" for r in held))
    (out / "sft").mkdir(exist_ok=True)
    write_text(out / "sft" / "chats.jsonl", "".join(json.dumps(sft_chat(r)) + "\n" for r in train))
    return {"train": len(train), "heldout": len(held)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cppllm.train.rl.complete", description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="folder for train.jsonl, heldout.jsonl, sft/chats.jsonl")
    p.add_argument("--n-train", type=int, default=400, help="training tasks")
    p.add_argument("--n-heldout", type=int, default=40, help="held-out tasks")
    p.add_argument("--seed", type=int, default=0, help="seed of the task draw")
    args = p.parse_args(argv)
    counts = write_tasks(Path(args.out), n_train=args.n_train, n_heldout=args.n_heldout, seed=args.seed)
    print(f"[complete] {counts['train']} train, {counts['heldout']} held-out tasks in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
