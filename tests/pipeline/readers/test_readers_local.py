"""Local jsonl/parquet reader: configurable text column, metadata columns, C/C++ selection, bad rows."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cppllm.pipeline.readers import make_reader
from cppllm.pipeline.readers.local import LocalFileReader


def stats(reader) -> dict[str, int]:
    return {k: v.total for k, v in reader.stats.stats.items()}


def test_jsonl_with_custom_text_column(tmp_path):
    rows = [
        {"code": "int a;\n", "path": "a.cpp", "repo": "me/r", "commit": "abc"},
        {"code": "print(1)\n", "path": "b.py"},  # not C/C++: skipped, not dropped
        {"code": "int \u0000 b;"},  # NUL byte
        {"code": ""},
    ]
    f = tmp_path / "my_code.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n[1, 2]\n")
    with open(f, "ab") as out:
        out.write(b'{"code": "\xff\xfe"}\n')  # invalid UTF-8 inside a JSON line
    reader = make_reader(str(f), text_column="code")
    assert isinstance(reader, LocalFileReader)
    (doc,) = reader.run()
    assert doc.text == "int a;\n"
    assert doc.metadata == {"source": "my_code", "path": "a.cpp", "repo": "me/r", "version": "abc"}
    assert doc.id == "my_code/me/r/a.cpp@abc"
    s = stats(reader)
    assert s["skipped_not_cpp"] == 1
    assert s["dropped_binary"] == 1 and s["dropped_empty"] == 1
    assert s["dropped_invalid_json"] == 2 and s["dropped_invalid_utf8"] == 1


def test_parquet_folder_is_sharded_by_file(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for k in range(3):
        rows = [{"text": f"int v{k}_{i};\n", "language": "C++"} for i in range(4)]
        pq.write_table(pa.Table.from_pylist(rows), folder / f"part-{k}.parquet")
    with gzip.open(folder / "extra.jsonl.gz", "wt") as f:
        f.write(json.dumps({"text": "int g;\n", "language": "Rust"}) + "\n")
    reader = make_reader(str(folder), source="mine")
    assert isinstance(reader, LocalFileReader)
    shards = [
        [d.id for d in make_reader(str(folder), source="mine").run(rank=r, world_size=2)] for r in range(2)
    ]
    all_ids = [d.id for d in reader.run()]
    assert len(all_ids) == 12 and sorted(shards[0] + shards[1]) == sorted(all_ids)
    assert stats(reader)["skipped_not_cpp"] == 1
    assert all(i.startswith("mine/") for i in all_ids)


def test_missing_text_column_is_a_clear_error(tmp_path):
    f = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pylist([{"content": "int x;"}]), f)
    with pytest.raises(ValueError, match="no column 'code'"):
        list(LocalFileReader(f, text_column="code").run())
    assert [d.text for d in LocalFileReader(f).run()] == ["int x;"]  # `content` is found by default


def test_max_docs_on_row_sources_is_a_per_task_limit(tmp_path):
    f = tmp_path / "t.jsonl"
    f.write_text("".join(json.dumps({"text": f"int v{i};"}) + "\n" for i in range(10)))
    assert len(list(make_reader(str(f), max_docs=3).run())) == 3
    with pytest.raises(ValueError, match="max_bytes"):
        make_reader(str(f), max_bytes=100)


def test_rows_of_a_folder_an_earlier_stage_writes(tmp_path):
    """`rows=True` (a synthetic source the run generates): the reader is built before its folder exists and
    reads what is there when it runs; still missing then is an error, not zero documents."""
    folder = tmp_path / "synthetic" / "textbooks"
    reader = make_reader(str(folder), rows=True, source="synthetic-textbooks")
    with pytest.raises(FileNotFoundError, match="no stage of the run wrote it"):
        list(reader.run())
    folder.mkdir(parents=True)
    (folder / "textbooks.jsonl").write_text(
        json.dumps({"text": "int main() { return 0; }\n", "id": "a"}) + "\n"
    )
    docs = list(make_reader(str(folder), rows=True, source="synthetic-textbooks").run())
    assert [d.metadata["source"] for d in docs] == ["synthetic-textbooks"]
