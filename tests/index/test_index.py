"""An index built, queried (dense, BM25, hybrid), updated when files change, and its Python API."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cppllm.index import open_index
from cppllm.index.__main__ import main
from cppllm.index.chunks import code_tokens

from .conftest import GEO, write_repo


def test_code_tokens_split_identifiers():
    assert code_tokens("splitString(s) my_join") == [
        "splitstring",
        "split",
        "string",
        "s",
        "my_join",
        "my",
        "join",
    ]


def test_build_query_update(tmp_path, embedder_ckpt, capsys):
    src = write_repo(tmp_path / "src" / "geo")
    idx = tmp_path / "idx"
    assert main(["build", "--run", str(embedder_ckpt), "--source", str(tmp_path / "src"), "--out", str(idx),
                 "--no-progress"]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    index = open_index(idx)
    names = sorted(c["name"] for c in index.chunks)
    assert "split_string" in names and "Circle::area" in names and "Circle" in names
    assert report["embedded"] == report["chunks"] == len(index.chunks) and report["faiss"] == "flat"
    split = next(c for c in index.chunks if c["name"] == "split_string")
    assert (split["repo"], split["path"], split["start_line"], split["end_line"]) == (
        "geo",
        "src/text.cpp",
        4,
        13,
    )
    assert split["text"].startswith("// Splits a string")  # the doc comment is part of the chunk
    # dense search: the chunk's own text is its nearest neighbour (cosine 1)
    hits = index.search(split["text"], k=3, mode="dense")
    assert hits[0].name == "split_string" and hits[0].score == pytest.approx(1.0, abs=1e-4)
    # BM25 and hybrid (CLI prints JSON lines)
    assert (
        main(["query", "--index", str(idx), "split a string on a delimiter", "-k", "2", "--mode", "bm25"])
        == 0
    )
    lines = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    assert len(lines) == 2 and lines[0]["name"] == "split_string" and lines[0]["path"] == "src/text.cpp"
    hybrid = index.search("split a string on a delimiter", k=3, mode="hybrid")
    assert hybrid[0].name == "split_string" and len(hybrid) == 3
    vecs_before = np.load(idx / "vectors.npy")
    old_chunks = index.chunks

    # update: one file changed, one added, one removed -> only their chunks are embedded
    (src / "src" / "text.cpp").write_text(GEO["src/text.cpp"].replace("join_strings", "concat_strings"))
    (src / "src" / "more.cpp").write_text("// Clamps a value into a range.\nint clamp_to(int v, int lo, int hi) {\n"
                                          "  return v < lo ? lo : v > hi ? hi : v;\n}\n")  # fmt: skip
    (src / "include" / "shapes.h").unlink()
    assert main(["update", "--index", str(idx), "--source", str(tmp_path / "src"), "--no-progress"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    index = open_index(idx)
    names = {c["name"] for c in index.chunks}
    assert "concat_strings" in names and "join_strings" not in names and "clamp_to" in names
    assert "Circle" not in names  # the removed header's class is gone
    assert report["removed_files"] == 1 and report["changed_files"] == 2
    kept = [c for c in index.chunks if c["path"] == "src/shapes.cpp"]
    assert report["embedded"] == len(index.chunks) - len(kept)
    # the unchanged file's vectors were carried over row for row
    old_rows = {(c["path"], c["start_line"]): i for i, c in enumerate(old_chunks)}
    vecs = np.load(idx / "vectors.npy")
    for i, c in enumerate(index.chunks):
        if c["path"] == "src/shapes.cpp":
            assert np.array_equal(vecs[i], vecs_before[old_rows[(c["path"], c["start_line"])]])
    assert index.search("clamp a value into a range", k=1, mode="bm25")[0].name == "clamp_to"


def test_bm25_only_index_and_hnsw(tmp_path, embedder_ckpt):
    write_repo(tmp_path / "src" / "geo")
    assert (
        main(["build", "--source", str(tmp_path / "src"), "--out", str(tmp_path / "bm"), "--no-progress"])
        == 0
    )
    index = open_index(tmp_path / "bm")
    assert index.search("euclidean distance of two points", k=1, mode="bm25")[0].name == "distance"
    with pytest.raises(ValueError, match="no dense vectors"):
        index.search("distance", mode="hybrid")
    assert main(["build", "--run", str(embedder_ckpt), "--source", str(tmp_path / "src"), "--out",
                 str(tmp_path / "hnsw"), "--faiss", "hnsw", "--no-progress"]) == 0  # fmt: skip
    index = open_index(tmp_path / "hnsw")
    assert index.meta["faiss"] == "hnsw"
    c = index.chunks[3]
    assert index.search(c["text"], k=1, mode="dense")[0].id == 3


def test_build_from_pipeline_output_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .conftest import GEO

    rows = [{"text": text, "id": f"geo/{path}", "metadata": {"repo": "geo", "path": path, "commit": "abc123"}}
            for path, text in GEO.items()]  # fmt: skip
    (tmp_path / "out" / "docs").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "out" / "docs" / "00000.parquet")
    assert (
        main(["build", "--source", str(tmp_path / "out"), "--out", str(tmp_path / "idx"), "--no-progress"])
        == 0
    )
    hit = open_index(tmp_path / "idx").search("split a string on a delimiter", k=1, mode="bm25")[0]
    assert (hit.repo, hit.path, hit.name, hit.commit) == ("geo", "src/text.cpp", "split_string", "abc123")


def test_queries_and_chunks_are_read_as_their_side(tmp_path, embedder_ckpt):
    """An embedder trained with prefixes / identifier splitting: the index embeds chunks as "doc" and
    queries as "query", as the embed stage did."""
    import torch

    from cppllm.model.embedder import EmbedConfig, Embedder, encode_texts, load_embedder, save_embedder
    from cppllm.tokenizer.tokenizer import CppTokenizer

    plain, _ = load_embedder(embedder_ckpt)
    cfg = EmbedConfig(max_tokens=64, split_identifiers=True, query_prefix="query: ", doc_prefix="code: ")
    model = Embedder(plain.gpt, cfg)
    tok_dir = embedder_ckpt.parents[2] / "tokenizer"
    ckpt = save_embedder(model, tmp_path / "run" / "ckpt" / "latest",
                         {"train": {"stage": "embed", "tokenizer": str(tok_dir)}})  # fmt: skip
    write_repo(tmp_path / "src" / "geo")
    idx = tmp_path / "idx"
    assert main(["build", "--run", str(ckpt), "--source", str(tmp_path / "src"), "--out", str(idx),
                 "--no-progress"]) == 0  # fmt: skip
    index = open_index(idx)
    model, _ = load_embedder(ckpt)
    assert model.cfg == cfg  # stored with the checkpoint
    tok = CppTokenizer.load(tok_dir)
    text = index.chunks[0]["text"]
    as_doc = encode_texts(model, tok, [text], role="doc")
    as_query = encode_texts(model, tok, [text], role="query")
    assert not torch.allclose(as_doc, as_query)
    assert np.allclose(np.load(idx / "vectors.npy")[0], as_doc[0].numpy(), atol=1e-5)
    assert np.allclose(index.embed_queries([text])[0], as_query[0].numpy(), atol=1e-5)
