"""Prompts from the taxonomy: diverse by construction, stable as N grows, editable as data; answer parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cppllm.synth.diversity import near_duplicates
from cppllm.synth.parse import code_blocks, parse_exercise, parse_qa
from cppllm.synth.taxonomy import Taxonomy


def test_prompts_cover_distinct_cells_and_are_prefix_stable():
    tax = Taxonomy.load()
    n = len(tax.topics)
    items = tax.prompts("textbooks", 3 * n, seed=1)
    cells = {(i.topic, i.level, i.format) for i in items}
    assert len(cells) == 3 * n  # no cell repeats within one pass over the cells
    assert len({i.topic for i in items}) > 0.9 * n  # nearly every topic within 3 prompts per topic
    assert {i.category for i in items} == set(tax.categories)
    assert [i.messages for i in tax.prompts("textbooks", 10, seed=1)] == [i.messages for i in items[:10]]
    assert [i.messages for i in tax.prompts("textbooks", 5, seed=2)] != [i.messages for i in items[:5]]
    first = items[0]
    assert first.topic in first.messages[1]["content"] and first.level in first.messages[1]["content"]


def test_user_taxonomy_file_is_used_and_validated(tmp_path: Path):
    tax = {
        "categories": {"odd": [{"topic": "goto considered harmful", "standard": "C++98"}]},
        "levels": ["novice"],
        "formats": {"textbooks": ["poem"], "exercises": ["drill"], "qa": ["riddle"]},
    }
    (tmp_path / "t.json").write_text(json.dumps(tax))
    items = Taxonomy.load(tmp_path / "t.json").prompts("qa", 2)
    assert all(i.topic == "goto considered harmful" and i.format == "riddle" for i in items)
    del tax["formats"]["qa"]
    (tmp_path / "bad.json").write_text(json.dumps(tax))
    with pytest.raises(ValueError, match="no formats for 'qa'"):
        Taxonomy.load(tmp_path / "bad.json")


def test_parse_sections_and_blocks():
    text = "## Problem\nDo X.\n## Solution\n```cpp\nint f();\n```\n## Tests\n```c++\nint main() {}\n```\n"
    assert parse_exercise(text) == {"problem": "Do X.", "solution": "int f();\n", "tests": "int main() {}\n"}
    assert parse_exercise("## Problem\nDo X.\n## Solution\nno code\n") is None
    assert parse_qa("### Question:\nWhy?\n### Answer:\nBecause.") == {
        "question": "Why?",
        "answer": "Because.",
    }
    assert code_blocks("```python\nx=1\n```\n```\n#include <x>\n```") == ["#include <x>\n"]


def test_near_duplicates_counts_copies_not_distinct_texts():
    base = " ".join(f"word{i}" for i in range(200))
    other = " ".join(f"term{i}" for i in range(200))
    assert near_duplicates([base, base + " extra", other]) == 2
    assert near_duplicates([base, other]) == 0
