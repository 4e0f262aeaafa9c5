import pytest

from cppllm.eval.prompts import HeldOutDoc, candidates, cut_prompts, file_opening, load_heldout, unfim


def test_load_heldout_restores_fim_documents_and_strips_framing(heldout_dir, tokenizer, heldout_files):
    docs, counts = load_heldout(heldout_dir / "bin" / "val", tokenizer.decode)
    assert counts["docs"] == len(heldout_files) + 1 and counts["restored_fim"] == 1
    # the last val doc is a PSM copy of the first file: put back in order, it is the file again
    assert [d.text for d in docs] == [*heldout_files, heldout_files[0]]


@pytest.mark.parametrize("mode", ["psm", "spm"])
def test_unfim_inverts_the_training_format(tokenizer, heldout_files, mode):
    from cppllm.pipeline.pretokenize.fim import FIMConfig, assemble

    text = heldout_files[1]
    cut1, cut2 = 17, len(text) // 2
    pieces = [tokenizer.encode(text[:cut1]), tokenizer.encode(text[cut1:cut2]), tokenizer.encode(text[cut2:])]
    ids = assemble(mode, pieces, FIMConfig(), bos_id=None, eos_id=None)
    assert unfim(ids, tokenizer.decode) == text
    assert unfim(ids[1:], tokenizer.decode) is None  # not a FIM document


def test_file_opening_is_the_preamble_and_the_first_declaration(heldout_files):
    pre, first = file_opening(heldout_files[1])
    assert pre == "#ifndef COUNTER_H\n#define COUNTER_H\n#include <map>\n#include <string>\n\n"
    assert first.startswith("class Counter {") and first.endswith("};")
    assert file_opening("int x;\n") is None  # no preamble


def test_function_header_prompts_end_at_the_brace_and_keep_the_body(heldout_files):
    doc = HeldOutDoc(index=7, text=heldout_files[0])
    fns = [p for p in candidates(doc, max_functions=10) if p.kind == "function_header"]
    assert [p.text.rsplit("\n", 1)[-1] for p in fns] == [
        "double dot(const Point& a, const Point& b) {",
        "double norm(const Point& p) {",
        "std::vector<Point> scale(const std::vector<Point>& pts, double k) {",
    ]
    for p in fns:
        assert p.doc == 7 and p.in_body
        assert heldout_files[0].startswith(p.text + p.reference)
        assert p.reference.endswith("}")


def test_cut_prompts_is_deterministic_and_balances_kinds(heldout_files):
    docs = [HeldOutDoc(index=i, text=t) for i, t in enumerate(heldout_files)]
    a = cut_prompts(docs, 6, seed=3)
    assert a == cut_prompts(docs, 6, seed=3)
    assert [p.kind for p in a].count("file_opening") == 3
    assert len(cut_prompts(docs, 100)) == 3 + 8  # every candidate once: 3 openings, 3 + 2 + 3 functions
