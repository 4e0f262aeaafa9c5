import json
import subprocess
import sys

import pytest
from datatrove.data import Document

from cppllm.pipeline.dedup.decontam import (
    DecontamConfig,
    DecontaminationFilter,
    EvalIndex,
    load_eval_texts,
    normalize,
)

EVAL = (
    "long greatest_common_divisor(long a, long b) {\n"
    "    while (b != 0) { long t = a % b; a = b; b = t; }\n"
    "    return a;\n}\n"
)


def test_normalize_drops_preprocessor_lines_and_collapses_whitespace():
    assert normalize("#include <x>\nint  a;\n\t  #define Y 1\nint\tb;") == "int a; int b;"


def test_every_shared_run_of_min_overlap_chars_is_found_and_shorter_runs_are_not():
    cfg = DecontamConfig(min_overlap=50, stride=10)
    index = EvalIndex({"humaneval": [EVAL]}, cfg)
    norm = normalize(EVAL)
    filler = "int unrelated_filler_code_number_%d = %d;\n"
    for start in range(0, len(norm) - 50, 7):
        for length in (50, 63):
            doc = "".join(filler % (i, i) for i in range(5)) + norm[start : start + length] + filler % (9, 9)
            assert index.match(doc) == "humaneval", (start, length)
        assert cfg.ngram == 41  # a 47-char run holds checked 41-char windows, but is confirmed as too short
        doc = filler % (1, 1) + norm[start : start + 47] + filler % (2, 2)
        assert index.match(doc) is None


def test_boilerplate_shared_by_many_eval_items_is_ignored():
    licence = "// Licensed under the Apache License, Version 2.0 (the License); you may not use this file\n"
    items = [licence + f"int task_{i}(int x) {{ return x * {i} + {i * i}; }} // item {i}\n" for i in range(4)]
    index = EvalIndex({"compile": items}, DecontamConfig(max_shared_items=3))
    assert index.boilerplate > 0
    assert index.match(licence + "int something_else();\n") is None
    assert index.match(items[2]) == "compile"


def test_filter_step_drops_with_reason_and_counts_per_set(tmp_path):
    f = tmp_path / "eval_prompts.jsonl"
    f.write_text(json.dumps({"set": "fim", "text": EVAL}) + "\n")
    he = tmp_path / "he.jsonl"
    he.write_text(
        json.dumps(
            {
                "name": "x",
                "prompt": "bool is_palindrome_string_check(std::string text) {\n",
                "tests": '}\nint main() { assert(is_palindrome_string_check("abba") == true); }\n',
            }
        )
        + "\n"
    )
    assert set(load_eval_texts([f, he])) == {"fim", "humaneval"}
    step = DecontaminationFilter(DecontamConfig(eval_files=(str(f), str(he))))
    docs = [
        Document(text="int main() { return 0; }\n", id="clean"),
        Document(text="// copied\n" + EVAL.replace("    ", "  "), id="dirty"),
        Document(
            text="x\n" + "bool is_palindrome_string_check(std::string text) {\n return true;\n}\n",
            id="dirty2",
        ),
    ]
    kept = list(step.run(iter(docs)))
    assert [d.id for d in kept] == ["clean"]
    stats = step.stats.to_dict() if hasattr(step.stats, "to_dict") else step.stats
    text = json.dumps(stats, default=str)
    assert "dropped_contaminated" in text and "contaminated_fim" in text and "contaminated_humaneval" in text


def test_step_needs_eval_texts_and_imports_without_torch():
    with pytest.raises(ValueError):
        DecontaminationFilter()
    code = "import sys, cppllm.pipeline.dedup.decontam; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
