import random

import pytest

from cppllm.bugs.families import BENCH_FAMILIES, FAMILIES, families_for, kinds_of
from cppllm.bugs.template import KINDS, SITE, plant, render_fixed


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_families_are_deterministic_given_the_seed_and_vary_across_seeds(family):
    gen = FAMILIES[family]
    assert gen(random.Random(7)).text == gen(random.Random(7)).text
    texts = {render_fixed(gen(random.Random(s))) for s in range(12)}
    assert len(texts) == 12  # names, types, sizes and test values differ
    # identifiers vary too, not only the test values
    first_lines = {t.split("int main")[0] for t in texts}
    assert len(first_lines) >= 6


def test_every_kind_but_compile_error_has_sites_in_several_families():
    for kind in KINDS:
        if kind == "compile_error":
            continue
        fams = [f for f in FAMILIES if kind in kinds_of(f)]
        assert len(fams) >= 2, kind
    assert {"missing_check", "lookup", "find", "reset", "move", "uninit_ptr"} <= {
        s.split(".")[1]
        for f in FAMILIES
        for s in FAMILIES[f](random.Random(0)).sites()
        if "." in s and s.startswith("null_deref")
    }


def test_plant_makes_exactly_one_site_buggy():
    draft = FAMILIES["linked_list"](random.Random(1))
    m = plant(draft, "use_after_free", random.Random(2))
    assert m is not None and m.site == "use_after_free"
    assert "⟦" not in m.fixed and "⟦" not in m.buggy
    assert m.fixed == render_fixed(draft) and m.buggy != m.fixed
    b, f = m.buggy.split("\n"), m.fixed.split("\n")
    assert b[m.line - 1] != f[m.line - 1] and b[: m.line - 1] == f[: m.line - 1]
    assert plant(draft, "integer_overflow", random.Random(0)) is None  # lists have no such site


def test_benchmark_families_are_held_out_of_the_train_split():
    assert BENCH_FAMILIES and not BENCH_FAMILIES & set(families_for("train"))
    assert set(families_for("bench")) == BENCH_FAMILIES
    for f in BENCH_FAMILIES:
        assert "null_deref" in kinds_of(f)
    with pytest.raises(ValueError):
        families_for("dev")
    assert all(SITE.search(FAMILIES[f](random.Random(0)).text) for f in FAMILIES)


@pytest.mark.skipif(__import__("shutil").which("g++") is None, reason="g++ not installed")
def test_the_uninitialized_pointer_site_verifies_as_a_null_deref():
    from cppllm.bugs.template import _render
    from cppllm.bugs.verify import failure_matches, run_program, sanitizer_checker

    draft = FAMILIES["resource_pool"](random.Random(11))
    i = next(i for i, m in enumerate(SITE.finditer(draft.text)) if m.group(1) == "null_deref.uninit_ptr")
    with sanitizer_checker() as checker:
        out = run_program(_render(draft.text, i)[0], draft.filename, checker)
    assert out.status == "sanitizer" and failure_matches("null_deref", out), out.text[:300]
