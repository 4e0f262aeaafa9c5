"""Repository-level documents: headers before their includers, path headers, parts, and their own .bin."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cppllm.pipeline.pretokenize.indexed import IndexedReader
from cppllm.pipeline.pretokenize.repodocs import (
    HEADER,
    includes,
    order_files,
    repo_documents,
    write_repo_bins,
)
from cppllm.tokenizer.special import BOS_ID, EOS_ID
from cppllm.tokenizer.tokenizer import train_tokenizer

REPO = {
    "src/main.cpp": '#include "app/app.h"\n#include <vector>\nint main() { return run(); }\n',
    "src/app/app.h": '#pragma once\n#include "util/str.h"\nint run();\n',
    "src/app/app.cpp": '#include "app.h"\n#include "../util/str.h"\nint run() { return len("x"); }\n',
    "src/util/str.h": "#pragma once\n#  include <cstring>\ninline int len(const char* s) { return strlen(s); }\n",
    "a_readme.txt": "no includes here\n",
    "cyc/a.h": '#include "b.h"\nstruct A;\n',
    "cyc/b.h": '#include "a.h"\nstruct B;\n',
}


def test_includes_are_parsed():
    assert includes(REPO["src/main.cpp"]) == ["app/app.h", "vector"]
    assert includes(REPO["src/util/str.h"]) == ["cstring"]


def test_every_included_file_comes_before_its_includer():
    order = order_files(REPO)
    assert sorted(order) == sorted(REPO)
    pos = {p: i for i, p in enumerate(order)}
    assert pos["src/util/str.h"] < pos["src/app/app.h"] < pos["src/main.cpp"]
    assert pos["src/app/app.h"] < pos["src/app/app.cpp"] and pos["src/util/str.h"] < pos["src/app/app.cpp"]
    assert pos["cyc/b.h"] < pos["cyc/a.h"]  # a cycle is broken, not looped
    assert order[0] == "a_readme.txt"  # no dependencies: path order


def test_repo_document_has_a_path_header_per_file_and_cuts_at_file_boundaries():
    (doc,) = repo_documents(REPO)
    for path, text in REPO.items():
        assert HEADER.format(path=path) + text in doc
    parts = repo_documents(REPO, max_chars=150)
    assert len(parts) > 1 and "".join(parts) == doc
    assert all(p.startswith("// ===== ") for p in parts)


def test_write_repo_bins_one_document_per_repository_in_its_own_bin(tmp_path: Path):
    rows = []
    for r in range(6):
        for path, text in REPO.items():
            rows.append(
                {"text": text, "id": f"{r}/{path}", "repo": f"org/r{r}", "source": "gh", "path": path}
            )
    (tmp_path / "docs").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "docs" / "00000.parquet")
    tok = train_tokenizer([r["text"] for r in rows] * 3, 400)
    tok.save(tmp_path / "tok")
    manifest = write_repo_bins(tmp_path / "docs", tmp_path / "out", tmp_path / "tok", val_fraction=0.3)
    n_docs = {s: manifest["splits"][s]["docs"] for s in ("train", "val")}
    assert n_docs["train"] + n_docs["val"] == 6 and n_docs["val"] >= 1
    reader = IndexedReader(tmp_path / "out" / "repo_bin" / "train")
    ids = list(reader.tokens[reader.doc_starts[0] : reader.doc_starts[1]])
    assert ids[0] == BOS_ID and ids[-1] == EOS_ID
    assert tok.decode(ids[1:-1]) == repo_documents(REPO)[0]
    assert (
        json.loads((tmp_path / "out" / "repo_bin" / "manifest.json").read_text())["tokenizer_hash"]
        == tok.hash()
    )
