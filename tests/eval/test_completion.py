import pytest

from cppllm.eval.completion import (
    Completion,
    ModelCompleter,
    assemble_unit,
    evaluate_compile,
    trim_to_statement,
    wilson_interval,
)
from cppllm.eval.prompts import HeldOutDoc, cut_prompts
from cppllm.eval.syntax_check import CompileChecker


def test_wilson_interval_matches_hand_computed_values():
    lo, hi = wilson_interval(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_assemble_unit_cuts_balanced_trims_truncated_and_closes_scopes():
    prompt = "#ifndef A_H\n#define A_H\nnamespace a {\nstruct S {\nint f() {"
    unit, end = assemble_unit(
        prompt, Completion(text=" return 1; }\nint g() { junk", finished=False), in_body=True
    )
    assert end == "balanced"
    assert unit == prompt + " return 1; }" + "\n};\n}\n#endif\n"
    unit, end = assemble_unit(
        prompt, Completion(text=" int x = 1;\n int y = (x +", finished=False), in_body=True
    )
    assert end == "truncated" and unit == prompt + " int x = 1;" + "\n}\n};\n}\n#endif\n"
    assert (
        assemble_unit(prompt, Completion(text=" // only a comment ; }", finished=False), in_body=True)[1]
        == "empty"
    )
    assert assemble_unit("int x;\n", Completion(text="int y;", finished=True))[1] == "eos"
    assert trim_to_statement('a(); b("};") + c') == "a();"
    assert (
        assemble_unit(prompt, Completion(text="", finished=True), in_body=True)[1] == "empty"
    )  # EOS at once


def test_truncated_file_opening_keeps_the_scopes_it_opened_instead_of_coming_back_empty():
    # The demo's file openings came back `empty`: the reference is a whole `namespace {...}`, the model
    # runs out of tokens inside it, and a completion without `;`/`}` was trimmed to nothing.
    prompt = "#pragma once\n#include <vector>\n\n"
    comp = Completion(
        text="namespace at {\nclass Foo {\n  std::vector<int> very_long_declaration(", finished=False
    )
    unit, end = assemble_unit(prompt, comp)
    assert end == "truncated"
    assert unit == prompt + "namespace at {\nclass Foo {" + "\n};\n}\n"
    # No boundary at all: the complete lines are compiled (this one fails as `incomplete`), not `empty`.
    junk = Completion(text="// a comment\nint x = 1 +\n  2 +", finished=False)
    unit, end = assemble_unit(prompt, junk)
    assert end == "truncated" and unit == prompt + "// a comment\nint x = 1 +"
    with CompileChecker() as checker:
        assert checker.check(assemble_unit(prompt, comp)[0]).ok
        assert checker.check(unit).category == "incomplete"


def _fake(answers):
    def complete(prompts, *, max_new_tokens, seed, stop_strings=()):
        return [answers[p] for p in prompts]

    return complete


def test_compile_rate_on_real_compiler_verdicts(heldout_files):
    docs = [HeldOutDoc(index=i, text=t) for i, t in enumerate(heldout_files)]
    prompts = [p for p in cut_prompts(docs, 100) if p.kind == "function_header"][:4]
    answers = {
        prompts[0].text: Completion(text=prompts[0].reference + "\nint trailing junk(", finished=False),  # ok
        prompts[1].text: Completion(text=prompts[1].reference, finished=True),  # ok
        prompts[2].text: Completion(text="\n  return undeclared_name;\n}", finished=True),  # undeclared
        prompts[3].text: Completion(text="\n  /* nothing", finished=False),  # empty: no statement
    }
    with CompileChecker() as checker:
        out = evaluate_compile(prompts, _fake(answers), checker, max_new_tokens=8, jobs=2)
    assert (out["n"], out["ok"], out["rate"]) == (4, 2, 0.5)
    assert out["ci95"] == list(wilson_interval(2, 4))
    assert out["errors"] == {"undeclared": 1, "empty": 1}
    assert out["ends"] == {"balanced": 3, "empty": 1}
    # Counter::add uses a member declared after it: cut there, even the real body cannot compile.
    assert out["reference"]["ok"] == 3 and out["reference"]["errors"] == {"undeclared": 1}
    assert (out["given_reference_ok"]["n"], out["given_reference_ok"]["ok"]) == (3, 2)
    assert [s["ok"] for s in out["samples"]] == [True, True, False, False]


def test_model_completer_samples_from_a_tiny_model(tiny_model, tokenizer):
    comp = ModelCompleter(tiny_model, tokenizer, temperature=1.0, batch_size=2)
    prompts = ["int main() {", "#include <vector>\n", "x" * 5000]  # the last is left-truncated to fit
    a = comp(prompts, max_new_tokens=6, seed=1)
    b = comp(prompts, max_new_tokens=6, seed=1)
    assert [c.text for c in a] == [c.text for c in b]  # seeded
    assert len(a) == 3 and all(isinstance(c.text, str) for c in a)
    longest = int(tokenizer.token_bytes().max())
    assert all(len(c.text.encode("utf-8", "surrogateescape")) <= 6 * longest + 12 for c in a)
    assert len(comp.fit(list(range(1000)), 6)) == tiny_model.config.max_seq_len - 6
