import json
import random
import shutil

import pytest

from cppllm.bugs.__main__ import main as bugs_main
from cppllm.bugs.sft import reasoning
from cppllm.eval.bugfix import load_nullfix, main, nullfix_prompt

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("nullbench")
    args = ["make", "--kinds", "null_deref", "--n", "2", "--split", "bench", "--out", str(out), "--seed", "5"]
    assert bugs_main([*args, "--workers", "2", "--no-progress"]) == 0
    return out


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_nullfix_uses_only_held_out_null_items_and_shows_the_report(bench):
    items = load_nullfix(bench)
    assert len(items) == 2 and {it["family"] for it in items} <= {"bst", "config_parser"}
    prompt = nullfix_prompt(items[0])
    assert items[0]["debug"]["text"].splitlines()[0] in prompt
    assert next(iter(items[0]["files"].values())).rstrip() in prompt


def test_fixed_functions_pass_buggy_ones_fail_and_reasoning_is_scored(bench, tmp_path, capsys):
    items = load_nullfix(bench)
    good = [
        {
            "task_id": it["id"],
            "generation": f"<think>{reasoning(it, random.Random(1))}</think>\n"
            f"```cpp\n{it['fault']['fixed_function']}```",
        }
        for it in items
    ]
    path = _write(tmp_path / "good.jsonl", good)
    assert main(["--bench", "nullfix", "--data", str(bench), "--load-generations", str(path)]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["pass_at_k"] == {"pass@1": 1.0}
    assert res["grounded_reasoning_rate"] == 1.0 and res["well_formed_reasoning_rate"] == 1.0

    bad = []
    for it in items:
        ((name, code),) = it["files"].items()
        lo, hi = it["fault"]["function"]
        buggy_fn = "\n".join(code.split("\n")[lo - 1 : hi])
        bad.append({"task_id": it["id"], "generation": f"Looks fine to me.\n```cpp\n{buggy_fn}\n```"})
    bad.append({"task_id": items[0]["id"], "generation": "no idea"})
    path = _write(tmp_path / "bad.jsonl", bad)
    assert main(["--bench", "nullfix", "--data", str(bench), "--load-generations", str(path)]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["pass_at_k"]["pass@1"] == 0.0
    assert res["status"].get("sanitizer") == 2 and res["status"].get("no_code") == 1
    assert res["grounded_reasoning_rate"] == 0.0
