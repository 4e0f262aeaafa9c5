import json
from math import comb

import pytest

from cppllm.eval.completion import Completion
from cppllm.eval.humaneval import (
    FIELDS,
    evaluate_humaneval,
    load_problems,
    pass_at_k,
    program,
    truncate_at_stop,
)
from cppllm.eval.sandbox import SandboxLimits
from cppllm.eval.syntax_check import CompileChecker, CompileConfig


@pytest.fixture(scope="module")
def problems(fixtures_dir):
    return load_problems(fixtures_dir / "eval" / "humaneval-cpp-mini.jsonl")


def test_fixture_has_the_multipl_e_record_format(fixtures_dir, problems):
    rows = [
        json.loads(x) for x in (fixtures_dir / "eval" / "humaneval-cpp-mini.jsonl").read_text().splitlines()
    ]
    assert all(set(r) == set(FIELDS) and r["language"] == "cpp" and r["stop_tokens"] == ["\n}"] for r in rows)
    assert [p.name for p in problems][0] == "HumanEval_0_has_close_elements"
    assert problems[0].prompt.startswith("#include<assert.h>\n#include<bits/stdc++.h>\n")
    assert problems[0].tests.startswith("}\nint main() {\n    auto candidate = has_close_elements;")


def test_pass_at_k_is_the_unbiased_estimator():
    for n, c, k in [(10, 3, 1), (10, 3, 5), (5, 0, 2), (20, 19, 10), (4, 1, 2)]:
        assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k))
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(3, 3, 3) == 1.0
    with pytest.raises(ValueError):
        pass_at_k(2, 1, 5)


def test_program_is_prompt_plus_completion_cut_at_the_stop_token_plus_tests(problems):
    p = problems[1]
    assert truncate_at_stop("  return 1;\n}\nint extra() {", ["\n}"]) == "  return 1;"
    assert program(p, "  return 0.5f;\n}\nint x;") == p.prompt + "  return 0.5f;" + p.tests


def test_hf_dataset_is_loaded_by_config_and_split(monkeypatch):
    import datasets

    seen = {}

    def fake_load(path, name, split, cache_dir=None):
        seen.update(path=path, name=name, split=split)
        return [
            {
                "name": "HumanEval_9",
                "prompt": "int f() {\n",
                "tests": "}\nint main(){}\n",
                "stop_tokens": ["\n}"],
            }
        ]

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    (p,) = load_problems()
    assert seen == {"path": "nuprl/MultiPL-E", "name": "humaneval-cpp", "split": "test"}
    assert p.name == "HumanEval_9" and p.stop_tokens == ("\n}",)


def test_bad_records_are_a_clear_error(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps({"name": "x", "prompt": "p"}) + "\n")
    with pytest.raises(ValueError, match="lacks"):
        load_problems(f)


def test_completions_are_compiled_and_run_in_the_sandbox(problems):
    gcd = problems[2]
    answers = [
        "  while (b) { long t = a % b; a = b; b = t; }\n  return a;\n}\nint junk(",  # passes
        "  return 1;\n}",  # compiles, wrong answer: assert fails
        "  return a +;\n}",  # compile error
        "  while (true) {}\n}",  # never ends: killed by the limits
    ]

    def complete(prompts, *, max_new_tokens, seed, stop_strings=()):
        assert stop_strings == ["\n}"]
        return [Completion(text=a, finished=True) for a in answers]

    with CompileChecker(CompileConfig(std="c++17")) as checker:
        out = evaluate_humaneval(
            [gcd],
            complete,
            checker,
            n_samples=4,
            ks=(1, 2, 10),
            jobs=2,
            run_limits=SandboxLimits(wall_s=3, cpu_s=1),
        )
    assert out["problems"][0]["status"] == ["passed", "failed", "compile_error", "timeout"]
    assert out["pass_at_k"] == {"pass@1": 0.25, "pass@2": pytest.approx(0.5)}  # k=10 > n is not reported
    assert out["status"] == {"passed": 1, "failed": 1, "compile_error": 1, "timeout": 1}
    # Three of the four programs built (the endless loop compiled too): the compile rate is 3/4.
    assert out["compile"]["ok"] == 3 and out["compile"]["n"] == 4
    assert out["compile"]["errors"] == {"compile_error": 1}
