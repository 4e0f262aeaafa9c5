"""The datatrove multi-stage path as a user runs it: `python -m cppllm.pipeline.dedup.run`, each method."""

from __future__ import annotations

import struct

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datatrove.data import Document

from cppllm.pipeline.dedup.minhash import META_DTYPE, CodeMinhashFilter, CodeMinhashSignature
from cppllm.pipeline.dedup.near import NearDedupConfig, parse_priorities
from cppllm.pipeline.dedup.run import main

BODY = "".join(f"int value_{i} = compute_{i}(arg_{i}, {i} * scale);\n" for i in range(80))


def _write_input(folder, shards: list[list[dict]]) -> None:
    folder.mkdir(parents=True)
    for i, rows in enumerate(shards):
        pq.write_table(pa.Table.from_pylist(rows), folder / f"{i:02d}.parquet")


def _rows():
    # cluster A spans both shards: the curated copy survives though the crawl copy is longer
    a_curated = {"text": BODY, "id": "a1", "source": "the-stack-dedup", "path": "x/a.cpp"}
    a_crawl = {"text": BODY + "// mirrored\n", "id": "a2", "source": "crawl", "path": "y/a.cpp"}
    b1 = {"text": BODY.replace("value", "item"), "id": "b1", "source": "crawl", "path": "b.cpp"}
    b2 = {
        "text": BODY.replace("value", "item") + "int tail = 0;\n",
        "id": "b2",
        "source": "crawl",
        "path": "b2.cpp",
    }
    other = {
        "text": "struct Unrelated { double q; };\n" * 3 + "namespace far { void away(); }",
        "id": "c",
        "source": "crawl",
        "path": "c.cpp",
    }
    empty = {"text": "{ } ;", "id": "e", "source": "crawl", "path": "e.cpp"}
    return [[a_crawl, b1, other], [a_curated, b2, empty]]


def _kept(folder) -> dict[str, dict]:
    rows = [r for p in sorted(folder.glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    return {r["id"]: r for r in rows}


@pytest.mark.parametrize("method", ["datatrove", "datasketch"])
def test_cli_removes_near_duplicates_and_keeps_metadata(tmp_path, capsys, method):
    _write_input(tmp_path / "in", _rows())
    argv = ["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--near-dedup", method]
    argv += ["--tasks", "2", "--work-dir", str(tmp_path / "work")] if method == "datatrove" else []
    assert main(argv) == 0
    kept = _kept(tmp_path / "out")
    assert set(kept) == {"a1", "b2", "c", "e"}
    assert kept["a1"]["source"] == "the-stack-dedup" and kept["a1"]["path"] == "x/a.cpp"
    out = capsys.readouterr().out
    assert "25 bands x 10 rows" in out
    assert "'crawl': 2" in out


def test_cli_threshold_and_priorities_change_the_outcome(tmp_path, capsys):
    _write_input(tmp_path / "in", _rows())
    argv = ["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--near-dedup", "datasketch"]
    assert main([*argv, "--near-dedup-priority", "crawl=1000", "--near-dedup-threshold", "0.9"]) == 0
    assert "threshold 0.9" in capsys.readouterr().out
    kept = _kept(tmp_path / "out")
    assert "a2" in kept and "a1" not in kept  # crawl now outranks the curated copy
    with pytest.raises(SystemExit):
        main([*argv, "--near-dedup", "fuzzy"])


def test_priority_parsing_errors_are_clear():
    assert parse_priorities("a=1, b=-2") == {"a": 1, "b": -2}
    with pytest.raises(ValueError, match="SOURCE=INTEGER"):
        parse_priorities("a")
    with pytest.raises(ValueError, match="not an integer"):
        parse_priorities("a=high")


def test_signature_stage_writes_sorted_buckets_and_sidecar(tmp_path):
    cfg = NearDedupConfig()
    docs = [Document(text=BODY, id="x", metadata={"source": "libstdcxx"}), Document(text="{ }", id="yy")]
    CodeMinhashSignature(str(tmp_path), cfg).run(iter(docs), rank=3)
    meta = (tmp_path / "meta" / "00003.meta").read_bytes()
    records = __import__("numpy").frombuffer(meta, dtype=META_DTYPE)
    assert records["priority"].tolist() == [100, 0] and records["length"].tolist() == [len(BODY), 3]
    assert (tmp_path / "meta" / "00003.ids").read_bytes() == b"xyy"
    buckets = sorted((tmp_path).glob("bucket_*/00003.minhash.sig"))
    assert len(buckets) == cfg.bands
    # one record (rows uint32 hashes + doc index) per document with shingles
    assert all(p.stat().st_size == struct.calcsize(f"<{cfg.rows}II") for p in buckets)


def test_filter_refuses_mismatched_inputs(tmp_path):
    (tmp_path / "000000.remove").write_bytes(struct.pack("<2I", 0, 7))
    docs = [Document(text="a", id=str(i), metadata={"source": "s"}) for i in range(3)]
    with pytest.raises(ValueError, match="same input"):
        list(CodeMinhashFilter(str(tmp_path)).run(iter(docs), rank=0))


def test_bucket_stage_task_count_is_checked(tmp_path):
    from cppllm.pipeline.dedup.minhash import CodeMinhashBuckets, datatrove_config

    step = CodeMinhashBuckets(str(tmp_path), str(tmp_path / "b"), config=datatrove_config(NearDedupConfig()))
    with pytest.raises(ValueError, match="multiple"):
        step.run(None, rank=0, world_size=30)


@pytest.mark.parametrize("method", ["off", "bogus"])
def test_off_copies_and_unknown_method_fails(tmp_path, method):
    from cppllm.pipeline.dedup.run import near_dedup_executors

    argv = ["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--near-dedup", method]
    if method == "bogus":
        with pytest.raises(ValueError, match="unknown near-dedup method"):
            near_dedup_executors(
                method, reader=None, after=[], work_dir="", config=None, tasks=1, make_executor=None
            )
        return
    _write_input(tmp_path / "in", _rows())
    assert main(argv) == 0
    assert len(_kept(tmp_path / "out")) == 6
