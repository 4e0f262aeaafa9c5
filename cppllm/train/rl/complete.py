"""Generated function-completion tasks: a doc comment and a signature; tests that check the body.

Each task asks for a two-argument integer function whose doc comment says, in words, what it returns
("Return the larger of x and y."). Names are neutral (`calc_17`), so the words are the only clue. The
operation set, types and argument names are drawn per task from `random.Random(f"{seed}:{i}")`; the
expected values in the tests are computed here in Python. Held-out tasks (`split="heldout"`) use
argument-name pairs never seen in training, so they are new prompts of the same skill.

    python -m cppllm.train.rl.complete --out data/rl_tasks --n-train 400 --n-heldout 40

writes `DIR/train.jsonl`, `DIR/heldout.jsonl` (rows: id, prompt, tests, includes, split, solution) and
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
TRAIN_NAMES = [("a", "b"), ("x", "y"), ("m", "n"), ("p", "q"), ("u", "v"), ("i", "j")]
HELDOUT_NAMES = [("s", "t"), ("lhs", "rhs"), ("first", "second")]
TYPES = ("int", "long")


def make_task(i: int, seed: int, split: str) -> dict:
    rng = random.Random(f"{seed}:{split}:{i}")
    doc, expr, fn = OPS[rng.randrange(len(OPS))]
    a, b = rng.choice(TRAIN_NAMES if split == "train" else HELDOUT_NAMES)
    ty = rng.choice(TYPES)
    name = f"calc_{i}" if split == "train" else f"calc_h{i}"
    signature = f"{ty} {name}({ty} {a}, {ty} {b})"
    prompt = f"// {doc.format(a=a, b=b)}\n{signature}"
    checks = []
    for _ in range(3):
        x, y = rng.randint(-9, 9), rng.randint(-9, 9)
        checks.append(f"    if ({name}({x}, {y}) != {fn(x, y)}) return 1;")
    tests = "\nint main() {\n" + "\n".join(checks) + "\n    return 0;\n}\n"
    solution = f"{signature} {{\n    return {expr.format(a=a, b=b)};\n}}"
    return {
        "id": f"complete-{split}-{seed}-{i:05d}",
        "prompt": prompt,
        "tests": tests,
        "includes": "",
        "split": split,
        "solution": solution,
    }


def sft_chat(row: dict) -> dict:
    from cppllm.train.rl.tasks import complete_task

    return {
        "messages": [
            {"role": "user", "content": complete_task(row).prompt},
            {"role": "assistant", "content": f"```cpp\n{row['solution']}\n```"},
        ]
    }


def write_tasks(out: Path, *, n_train: int, n_heldout: int, seed: int) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    train = [make_task(i, seed, "train") for i in range(n_train)]
    held = [make_task(i, seed, "heldout") for i in range(n_heldout)]
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
