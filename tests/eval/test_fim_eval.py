import pytest

from cppllm.eval.completion import Completion
from cppllm.eval.fim_eval import (
    edit_similarity,
    evaluate_fim,
    exact_match,
    fim_prompt,
    levenshtein,
    make_tasks,
)
from cppllm.eval.prompts import HeldOutDoc
from cppllm.eval.syntax_check import CompileChecker
from cppllm.pipeline.pretokenize.fim import FIMConfig, assemble
from cppllm.tokenizer.special import EOS_ID, FIM_MIDDLE_ID, FIM_PREFIX_ID, FIM_SUFFIX_ID


def test_levenshtein_and_edit_similarity_hand_computed():
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3 and levenshtein("abc", "abc") == 0
    assert levenshtein("flaw", "lawn") == 2
    assert edit_similarity("kitten", "sitting") == pytest.approx(1 - 3 / 7)
    assert edit_similarity("  x = 1;\n", "x = 1;") == 1.0  # surrounding whitespace does not count
    assert edit_similarity("", "") == 1.0 and edit_similarity("ab", "cd") == 0.0
    assert exact_match("return a;\n", "  return a;") and not exact_match("return b;", "return a;")


def test_tasks_cover_line_block_body_and_reassemble_the_file(heldout_files):
    docs = [HeldOutDoc(index=10 + i, text=t) for i, t in enumerate(heldout_files)]
    tasks = make_tasks(docs, 9, seed=1)
    assert len(tasks) == 9 and {t.span for t in tasks} == {"line", "block", "body"}
    assert tasks == make_tasks(docs, 9, seed=1)
    for t in tasks:
        assert t.prefix + t.middle + t.suffix == heldout_files[t.doc - 10]
        if t.span == "body":
            assert t.prefix.endswith("{") and t.suffix.startswith("}")
        if t.span == "line":
            assert t.middle.endswith("\n") and t.middle.count("\n") == 1


def test_prompts_are_the_training_format(tokenizer, heldout_files):
    docs = [HeldOutDoc(index=0, text=heldout_files[0])]
    task = make_tasks(docs, 1, seed=0)[0]
    enc = tokenizer.encode
    pieces = [enc(task.prefix), enc(task.middle), enc(task.suffix)]
    for mode in ("psm", "spm"):
        training = assemble(
            mode, pieces, FIMConfig()
        )  # what cppllm.pipeline.pretokenize.fim writes to the .bin
        prompt = fim_prompt(task, mode, enc, budget=10_000)
        assert training == prompt + pieces[1] + [EOS_ID]
    # Too long for the budget: the tokens nearest the hole are kept.
    short = fim_prompt(task, "psm", enc, budget=40)
    assert len(short) == 40 and short[1] == FIM_PREFIX_ID and short[-1] == FIM_MIDDLE_ID
    cut = short.index(FIM_SUFFIX_ID)
    assert short[2:cut] == pieces[0][len(pieces[0]) - (cut - 2) :]
    assert short[cut + 1 : -1] == pieces[2][: len(short) - cut - 2]


class _Oracle:
    """Fills PSM prompts with the true middle and SPM prompts with junk."""

    def __init__(self, tokenizer, tasks):
        self.tokenizer = tokenizer
        self.context = 4096
        self.answers = {}
        for t in tasks:
            self.answers[tuple(fim_prompt(t, "psm", tokenizer.encode, 4096 - 32))] = t.middle
            self.answers[tuple(fim_prompt(t, "spm", tokenizer.encode, 4096 - 32))] = " @@ junk"

    def complete_ids(self, prompts, *, max_new_tokens, seed, stop_strings=()):
        return [Completion(text=self.answers[tuple(p)], finished=True) for p in prompts]


def test_evaluate_fim_scores_and_compiles_the_reassembled_file(tokenizer, heldout_files):
    docs = [HeldOutDoc(index=2, text=heldout_files[2])]  # a file that compiles on its own
    tasks = make_tasks(docs, 3, seed=0)
    with CompileChecker() as checker:
        out = evaluate_fim(tasks, _Oracle(tokenizer, tasks), checker, max_new_tokens=32, jobs=2)
    assert out["reference_compiles"] == 3
    assert out["psm"]["exact_match"] == 1.0 and out["psm"]["edit_similarity"] == 1.0
    assert out["psm"]["compile"]["ok"] == 3
    assert out["spm"]["exact_match"] == 0.0 and out["spm"]["compile"]["ok"] == 0
    assert out["spm"]["compile"]["errors"]
