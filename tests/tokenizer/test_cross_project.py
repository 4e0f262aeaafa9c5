"""Cross-project held-out split: whole projects (trees, repositories) are kept out of tokenizer training,
and the report judges the goals on them; a corpus of one project says it has no cross-project text."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from cppllm.tokenizer.data import (
    Doc,
    heldout_projects,
    is_heldout_project,
    list_projects,
    project_name,
    sample_texts,
    split_docs,
)
from cppllm.tokenizer.report import main as report_main
from cppllm.tokenizer.train import main as train_main


def _rows(n_projects: int = 40) -> list[dict]:
    rows = []
    for p in range(n_projects):
        for f in range(3):
            text = f"// project {p}\nnamespace p{p} {{\nint f{f}(int x) {{ return x * {p + f}; }}\n}}\n" * 4
            rows.append(
                {"text": text, "id": f"o{p}/r/{f}", "source": "hub", "repo": f"o{p}/r", "path": f"{f}.cpp"}
            )
    return rows


def test_project_names():
    assert project_name("llvm", "llvm/clang/lib") == "llvm"  # a tarball's sub-folders are one project
    assert project_name("the-stack-dedup", "owner/name") == "owner/name"
    assert project_name("embedded", None) == "embedded"
    assert Doc("tree/a.cpp", "x").project_name == "tree"


def test_three_way_split_and_never_all_projects(tmp_path):
    pq.write_table(pa.Table.from_pylist(_rows()), tmp_path / "docs.parquet")
    names = list_projects(tmp_path)
    assert len(names) == 40 and names[0] == "o0/r"
    held = heldout_projects(names, 0.2)
    assert held and set(held) == {n for n in names if is_heldout_project(n, 0.2)}
    assert heldout_projects(["only"], 0.999) == []  # one project is trained on, not held out
    docs = [Doc(f"{r['repo']}/{r['path']}", r["text"], project=r["repo"]) for r in _rows()]
    parts = {s: list(split_docs(docs, s, 0.2, held)) for s in ("train", "heldout", "heldout_projects")}
    assert sum(map(len, parts.values())) == len(docs)
    assert {d.project_name for d in parts["heldout_projects"]} == set(held)
    assert not {d.project_name for d in parts["train"] + parts["heldout"]} & set(held)
    trained = set(sample_texts(tmp_path, max_chars=None, heldout=0.2, held_projects=held))
    assert trained and not trained & {d.text for d in parts["heldout_projects"]}


def test_report_is_cross_project_by_default(tmp_path, capsys):
    data = tmp_path / "out"
    (data / "docs").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(_rows()), data / "docs" / "00000.parquet")
    tok = tmp_path / "tok"
    args = ["--data", str(data), "--vocab-size", "400", "--out", str(tok), "--quiet", "--max-chars", "0"]
    assert train_main([*args, "--heldout-projects-fraction", "0.2"]) == 0
    info = json.loads((tok / "tokenizer_train.json").read_text())
    assert info["heldout_projects"] == heldout_projects(list_projects(data), 0.2)
    out = tmp_path / "rep"
    assert (
        report_main(["--tokenizer", str(tok), "--data", str(data), "--out", str(out), "--encodings", "gpt2"])
        == 0
    )
    rec = json.loads((out / "tokenizer_report.json").read_text())
    assert rec["goals_basis"] == "cross-project"
    assert rec["meta"]["docs"]["cross-project"] == 3 * len(info["heldout_projects"])
    assert "projects never trained on" in (out / "tokenizer_report.md").read_text()


def test_one_project_falls_back_to_in_distribution_and_says_so(tmp_path):
    tree = tmp_path / "proj"
    tree.mkdir()
    for i in range(40):
        (tree / f"f{i}.cpp").write_text(f"int f{i}(int x) {{ return x + {i}; }}\n" * 5)
    tok = tmp_path / "tok"
    assert (
        train_main(
            [
                "--data",
                str(tree),
                "--vocab-size",
                "300",
                "--out",
                str(tok),
                "--quiet",
                "--heldout-fraction",
                "0.3",
            ]
        )
        == 0
    )
    assert json.loads((tok / "tokenizer_train.json").read_text())["heldout_projects"] == []
    out = tmp_path / "rep"
    assert (
        report_main(["--tokenizer", str(tok), "--data", str(tree), "--out", str(out), "--encodings", "gpt2"])
        == 0
    )
    md = (out / "tokenizer_report.md").read_text()
    assert "No held-out project" in md and "in-distribution" in md
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.cpp").write_text("struct S { int v; };\n" * 10)
    out2 = tmp_path / "rep2"
    args = ["--tokenizer", str(tok), "--data", str(tree), "--out", str(out2), "--encodings", "gpt2"]
    assert report_main([*args, "--heldout-data", str(other)]) == 0
    assert json.loads((out2 / "tokenizer_report.json").read_text())["goals_basis"] == "cross-project"
