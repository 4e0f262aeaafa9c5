import json
import shutil

import pytest

from cppllm.eval.bugfix import (
    fix_program,
    fix_prompt,
    grounded,
    load_humanevalfix,
    main,
    score_humanevalfix,
    split_answer,
    well_formed,
)
from cppllm.eval.syntax_check import CompileChecker, CompileConfig

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")


@pytest.fixture(scope="module")
def problems(fixtures_dir):
    return load_humanevalfix(fixtures_dir / "eval" / "humanevalpack-cpp-mini.jsonl")


@pytest.fixture(scope="module")
def checker():
    with CompileChecker(CompileConfig(std="c++17")) as c:
        yield c


def test_prompt_is_the_harness_instruct_prompt(problems):
    p = problems[0]
    prompt = fix_prompt(p)
    assert prompt.startswith(p.declaration + p.buggy_solution + "\n#undef NDEBUG")
    assert "\nFix bugs in has_close_elements.\n\n" in prompt
    assert prompt.endswith("bool has_close_elements(vector<float> numbers, float threshold){")


def test_canonical_fixes_pass_and_buggy_code_fails(problems, checker):
    body = {p.task_id: [p.canonical_solution] for p in problems}
    whole = {p.task_id: [f"```cpp\n{p.declaration}{p.canonical_solution}```"] for p in problems}
    both = {t: body[t] + whole[t] for t in body}
    res = score_humanevalfix(problems, both, checker, ks=(1, 2))
    assert res["pass_at_k"] == {"pass@1": 1.0, "pass@2": 1.0}, res["problems"]
    buggy = {p.task_id: [p.buggy_solution] for p in problems}
    res = score_humanevalfix(problems, buggy, checker, ks=(1,))
    assert res["pass_at_k"]["pass@1"] == 0.0 and set(res["status"]) == {"failed"}


def test_hangs_floods_and_escapes_are_scored_failures(problems, checker):
    p = problems[2]
    gens = {
        p.task_id: [
            "    while (true) {}\n}\n",  # loops
            '    for (;;) printf("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");\n}\n',  # floods output
            "    int x = ;\n}\n",  # does not compile
            '```cpp\n#include "/etc/passwd"\nint greatest_common_divisor(int a, int b){ return 1; }\n```',
        ]
    }
    res = score_humanevalfix([p], gens, checker, ks=(1,))
    status = res["problems"][0]["status"]
    assert res["problems"][0]["passed"] == 0
    assert status[0] == "timeout" and status[2] == "compile_error" and status[3] == "rejected_include"
    assert status[1] in ("timeout", "resource_limit", "failed")


def test_whole_function_generation_keeps_no_second_main(problems):
    p = problems[1]
    gen = p.declaration + p.canonical_solution + "int main(){ return 3; }\n"
    prog = fix_program(p, gen)
    assert prog.count("int main") == 1 and prog.endswith(p.test)


def test_cli_prints_pass_at_k_and_names_the_bad_line(problems, fixtures_dir, tmp_path, capsys):
    gens = tmp_path / "g.jsonl"
    gens.write_text(
        "".join(
            json.dumps({"task_id": p.task_id, "generation": p.canonical_solution}) + "\n" for p in problems
        )
    )
    data = str(fixtures_dir / "eval" / "humanevalpack-cpp-mini.jsonl")
    assert main(["--bench", "humanevalfix", "--data", data, "--load-generations", str(gens)]) == 0
    assert json.loads(capsys.readouterr().out)["pass_at_k"] == {"pass@1": 1.0}
    gens.write_text(gens.read_text() + '{"task_id": "CPP/0", "generation": 5}\n')
    assert main(["--bench", "humanevalfix", "--data", data, "--load-generations", str(gens)]) == 2
    assert f"{gens}:5:" in capsys.readouterr().err
    gens.write_text("{not json\n")
    assert main(["--bench", "humanevalfix", "--data", data, "--load-generations", str(gens)]) == 2
    assert f"{gens}:1: not valid JSON" in capsys.readouterr().err


def test_reasoning_checks():
    item = {"fault": {"line": 42, "symbol": "Vault::ops_of"}}
    assert grounded("The report points at line 42, where the iterator is used.", item)
    assert grounded("ops_of dereferences end()", item)
    assert not grounded("Something is wrong with line 420.", item)
    assert not grounded(None, item)
    r, closed, code = split_answer(
        "<think>The lookup can fail at line 42 in ops_of.</think>\n```cpp\nint f(){}\n```"
    )
    assert closed and code == "int f(){}\n" and well_formed(r, closed)
    r, closed, _ = split_answer("<think>never closed ... int f() {")
    assert not well_formed(r, closed)
    assert not well_formed("```cpp\nint x;\n```", True)


def test_humaneval_cli_scores_generations_made_elsewhere(tmp_path, capsys):
    from cppllm.eval.humaneval import main as he_main

    problem = {
        "name": "HumanEval_53_add",
        "language": "cpp",
        "prompt": "#include<assert.h>\n// Add two numbers x and y\nlong add(long x, long y) {\n",
        "tests": "}\nint main() {\n    auto candidate = add;\n    assert(candidate((2), (3)) == (5));\n}\n",
        "stop_tokens": ["\n}"],
    }
    data = tmp_path / "he.jsonl"
    data.write_text(json.dumps(problem) + "\n")
    gens = tmp_path / "g.jsonl"
    rows = [
        {"task_id": "HumanEval_53_add", "generations": ["    return x + y;\n}\n", "    return x - y;\n}\n"]}
    ]
    gens.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert he_main(["--data", str(data), "--load-generations", str(gens), "--k", "1,2"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["pass_at_k"] == {"pass@1": 0.5, "pass@2": 1.0} and res["status"] == {"passed": 1, "failed": 1}
    gens.write_text('{"task_id": "HumanEval_53_add"}\n')
    assert he_main(["--data", str(data), "--load-generations", str(gens)]) == 2
    assert f"{gens}:1: needs 'generation'" in capsys.readouterr().err
