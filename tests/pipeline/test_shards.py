"""Parquet shards between stages: flat metadata columns, varying keys, atomic, round trip."""

from __future__ import annotations

import pyarrow.parquet as pq
from datatrove.data import Document

from cppllm.pipeline.shards import ShardReader, ShardWriter, shard_path


def test_round_trip_with_varying_metadata(tmp_path):
    docs = [
        Document(text=f"int x{i};\n", id=f"d{i}", metadata={"source": "s", "path": f"{i}.h", "repo": "r"})
        for i in range(2500)
    ]
    docs[10].metadata["license"] = "MIT"  # a key only some documents have
    docs[2400].metadata["counts"] = {"emails": 2}  # a dict: stored as JSON text
    writer = ShardWriter(str(tmp_path), prefix="00_")
    assert [d.id for d in writer.run(iter(docs), rank=3)] == [d.id for d in docs]
    path = shard_path(tmp_path, 3, "00_")
    assert path.name == "00_00003.parquet"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no parts or temp files left
    schema = pq.read_schema(path)
    assert schema.names[:6] == ["text", "id", "source", "path", "repo", "version"]
    assert {"license", "counts"} <= set(schema.names)
    rows = pq.read_table(path).to_pylist()
    assert rows[10]["license"] == "MIT" and rows[11]["license"] is None
    assert rows[2400]["counts"] == '{"emails": 2}'
    # the reader of the same rank gives the documents back, in order, without null keys
    (tmp_path / "00003.parquet").write_bytes(path.read_bytes())
    back = list(ShardReader(str(tmp_path)).run(None, rank=3))
    assert [d.text for d in back] == [d.text for d in docs]
    assert back[10].metadata == {"source": "s", "path": "10.h", "repo": "r", "license": "MIT"}


def test_empty_task_still_writes_a_shard(tmp_path):
    list(ShardWriter(str(tmp_path)).run(iter([]), rank=0))
    assert pq.read_table(shard_path(tmp_path, 0)).num_rows == 0
