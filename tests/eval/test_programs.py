"""Function-completion prompts cut from verified programs (bug/fix items, synthetic exercises)."""

from __future__ import annotations

import json
import shutil

import pytest

from cppllm.eval.programs import load_programs, main, program_prompts

FIXED = """#include <cstdio>
#include <vector>

struct Account {
  int id;
  long balance;
};

long total(const std::vector<Account>& accounts) {
  long sum = 0;
  for (const Account& a : accounts) {
    sum += a.balance;
  }
  return sum;
}

int find(const std::vector<Account>& accounts, int id) {
  for (int i = 0; i < (int)accounts.size(); ++i) {
    if (accounts[i].id == id) {
      return i;
    }
  }
  return -1;
}

int main() {
  std::vector<Account> v{{1, 10}, {2, 32}};
  if (total(v) != 42 || find(v, 2) != 1) {
    return 1;
  }
  std::puts("ok");
  return 0;
}
"""

SOLUTION = """#include <string>

std::string shout(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return s;
}
"""
TESTS = """#include <cassert>
int main() {
  assert(shout("ab1") == "AB1");
  return 0;
}
"""


# A member function cut out of its class loses the members declared after it: its reference does not
# compile on its own, so selection must skip it.
LATE_MEMBER = """struct Box {
  int get() const {
    return v_ * 2;
  }
  int v_ = 0;
};
"""


@pytest.fixture
def programs(tmp_path):
    bugs = tmp_path / "items.jsonl"
    rows = [
        {"id": "null_deref-s0-00000", "files": {"prog.cpp": "broken"}, "fixed_files": {"prog.cpp": FIXED}},
        {"id": "no-program", "text": "int x;"},
        {"id": "late-s0-00001", "fixed_files": {"box.cpp": LATE_MEMBER}},
    ]
    bugs.write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json\n")
    kept = tmp_path / "kept.jsonl"
    kept.write_text(json.dumps({"id": "e1", "problem": "shout", "solution": SOLUTION, "tests": TESTS}) + "\n")
    return bugs, kept


def test_programs_are_read_from_both_sources_and_odd_rows_counted(programs):
    docs, counts = load_programs(programs)
    assert counts == {"bugs": 2, "skipped_unknown_row": 1, "skipped_malformed_json": 1, "synth": 1}
    assert docs[0].text == FIXED and docs[1].text == LATE_MEMBER
    assert docs[2].text.startswith(SOLUTION.rstrip()) and "assert" in docs[2].text
    prompts = program_prompts(docs, 10)
    assert prompts and all(p.kind == "function_header" and p.text.endswith("{") for p in prompts)
    # at most two functions a program, cut at the body: the reference is that function's real body
    assert len(prompts) == 5
    assert any(p.text.endswith("long total(const std::vector<Account>& accounts) {") for p in prompts)
    texts = [d.text for d in docs]
    assert all(any(t.startswith(p.text + p.reference) for t in texts) for p in prompts)


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_cli_measures_the_model_next_to_a_ceiling_of_all_references(
    programs, tmp_path, tiny_model, heldout_dir
):
    from cppllm.model.checkpoint import save_checkpoint_model

    run = tmp_path / "run"
    save_checkpoint_model(tiny_model, run / "ckpt" / "step_000002", {"step": 2})
    argv = ["--run", str(run), "--tokenizer", str(heldout_dir / "tokenizer"), "--samples", "5"]
    argv += ["--programs", str(programs[0]), "--programs", str(programs[1]), "--max-new-tokens", "12"]
    argv += ["--jobs", "2"]
    assert main(argv) == 0
    out = json.loads((run / "programs_compile.json").read_text())
    # 5 candidates, the late-member one skipped: 4 kept, each compiling with no include path
    assert out["n"] == 4 and out["n_programs"] == 3 and out["sources"]["synth"] == 1
    assert out["selection"]["skipped"] == {"undeclared": 1} and out["reference"]["ok"] == 4
    assert 0 <= out["ok"] <= 4 and len(out["ci95"]) == 2
    assert main([*argv[:4], "--programs", str(tmp_path / "none.jsonl")]) == 2
