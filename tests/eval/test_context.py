"""Prompts checked in their tree's build context: a reference ceiling near 100%, and `missing_include` without."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from cppllm.eval.context import (
    attach_metadata,
    context_flags,
    reference_unit,
    select_in_context,
    with_context,
)
from cppllm.eval.prompts import HeldOutDoc, candidates
from cppllm.eval.syntax_check import CompileChecker
from cppllm.pipeline.readers.trees import DirectoryReader

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

FIXTURE = Path(__file__).parents[1] / "fixtures" / "buildctx" / "proj"


@pytest.fixture(scope="module")
def docs() -> list[HeldOutDoc]:
    return [
        HeldOutDoc(index=i, text=d.text, metadata=d.metadata)
        for i, d in enumerate(DirectoryReader(FIXTURE).run())
    ]


@pytest.fixture(scope="module")
def checker():
    with CompileChecker() as c:
        yield c


def includes_project_header(doc: HeldOutDoc) -> bool:
    return any(h in doc.text for h in ('"proj/', '"format.h"', '"options.h"'))


def test_reference_ceiling_in_context_and_missing_include_without(docs, checker):
    prompts, counts = with_context([p for d in docs for p in candidates(d, max_functions=10)], docs)
    assert counts == {"in_context": len(prompts)} and len(prompts) >= 15
    in_ctx = checker.check_many([reference_unit(p) for p in prompts], flags=[p.flags for p in prompts])
    assert sum(r.ok for r in in_ctx) / len(prompts) >= 0.9, [r.stderr for r in in_ctx if not r.ok]
    # The same prompts without their build context: every file that includes a project header fails on it.
    needy = [p for p in prompts if includes_project_header(docs[p.doc])]
    assert len(needy) >= 10
    plain = checker.check_many([reference_unit(p) for p in needy])
    assert {r.category for r in plain} == {"missing_include"}


def test_flags_carry_include_dirs_quote_dir_defines_and_standard(docs):
    main = next(d for d in docs if d.metadata["path"] == "tools/main.cpp")
    flags, status = context_flags(main.metadata)
    assert status == "in_context"
    root = FIXTURE.resolve().as_posix()
    assert flags == (
        f"-iquote{root}/tools",
        f"-I{root}/include",
        f"-I{root}/src/internal",
        f"-I{root}",
        "-DPROJ_WITH_STATS=1",
        "-std=c++17",
    )
    assert context_flags(None) == ((), "no_context")


def test_a_missing_tree_is_a_counted_skip_not_a_silent_plain_check(docs, tmp_path):
    ctx = json.loads(docs[0].metadata["build_context"])
    ctx["root"] = str(tmp_path / "gone")
    gone = dataclasses.replace(docs[0], metadata={**docs[0].metadata, "build_context": json.dumps(ctx)})
    plain = HeldOutDoc(index=99, text=docs[1].text)  # a dataset row: no build context recorded
    pool = candidates(gone) + [dataclasses.replace(p, doc=99) for p in candidates(docs[1])]
    kept, counts = with_context(pool, [gone, plain])
    assert counts["tree_missing"] == len(candidates(gone)) > 0
    assert counts["no_context"] == len(kept) > 0 and all(p.context == "no_context" for p in kept)


def test_selection_keeps_prompts_whose_reference_compiles_and_counts_the_rest(docs, checker):
    prompts, _ = with_context([p for d in docs for p in candidates(d, max_functions=10)], docs)
    broken = [
        dataclasses.replace(p, reference=p.reference + "\n#include <no/such/header.h>\n") for p in prompts[:3]
    ]
    kept, report = select_in_context(broken + prompts[3:8], 4, checker)
    assert len(kept) == 4 and not any("no/such" in p.reference for p in kept)
    assert report["skipped"] == {"missing_include": 3} and report["kept"] == 4


def test_attach_metadata_matches_heldout_text_to_the_pipeline_docs(tmp_path, docs):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "docs").mkdir()
    rows = [
        {"text": d.text, "path": d.metadata["path"], "build_context": d.metadata["build_context"]}
        for d in docs
    ]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "docs" / "00000.parquet")
    bare = [HeldOutDoc(index=d.index, text=d.text) for d in docs] + [
        HeldOutDoc(index=50, text="int unknown;\n")
    ]
    out = attach_metadata(bare, tmp_path / "docs")
    assert [d.metadata for d in out[:-1]] == [
        {"path": r["path"], "build_context": r["build_context"]} for r in rows
    ]
    assert out[-1].metadata is None


def test_units_pulling_in_many_tree_headers_are_skipped_before_compiling(docs, checker):
    prompts, _ = with_context([p for d in docs for p in candidates(d)], docs)
    needy = [p for p in prompts if includes_project_header(docs[p.doc])]
    kept, report = select_in_context(needy, len(needy), checker, max_include_bytes=100)  # bytes
    assert kept == [] and report["skipped"] == {"too_heavy": len(needy)} and report["checked"] == 0
