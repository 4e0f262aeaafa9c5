"""Megatron `.bin/.idx` writer: megatron-core parity, FIM+split writer step, merge, resume, determinism."""

from __future__ import annotations

import json
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datatrove.data import Document

from cppllm.pipeline.pretokenize import indexed
from cppllm.pipeline.pretokenize.binwriter import BinShardWriter, main, merge_shards, write_bins
from cppllm.pipeline.pretokenize.fim import FIMConfig
from cppllm.pipeline.split import assign_split, group_hash, group_key, val_mask
from cppllm.tokenizer.special import BOS_ID, EOS_ID, FIM_MIDDLE_ID, FIM_PREFIX_ID, FIM_SUFFIX_ID


@pytest.fixture(scope="module")
def tok_dir(cpp_sample, tmp_path_factory) -> Path:
    from cppllm.tokenizer.tokenizer import train_tokenizer

    d = tmp_path_factory.mktemp("tok")
    train_tokenizer(list(cpp_sample.values()), vocab_size=600).save(d)
    return d


@pytest.fixture(scope="module")
def docs(cpp_sample) -> list[dict]:
    out = []
    for i, (path, text) in enumerate(sorted(cpp_sample.items())[:40]):
        repo = f"repo{i % 13}"
        out.append(
            {
                "text": f"// doc {i}\n" + text[:3000],
                "id": f"{repo}/{path}",
                "source": f"src{i % 2}",
                "path": path,
                "repo": repo,
            }
        )
    out.append(
        {"text": "// ünïcödé 日本 🚀\nint x;\n", "id": "u/1", "source": "src0", "path": "u.cc", "repo": "u"}
    )
    return out


def write_parquet(folder: Path, rows: list[dict], n_files: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(n_files):
        part = rows[k::n_files]
        pq.write_table(pa.Table.from_pylist(part), folder / f"{k:05d}.parquet")
    return folder


def unfim(ids: list[int]) -> str | tuple[str, list[int], list[int], list[int]]:
    """Split framed ids back into (mode, prefix, middle, suffix) ids."""
    assert ids[0] == BOS_ID and ids[-1] == EOS_ID
    body = ids[1:-1]
    if not body or body[0] != FIM_PREFIX_ID:
        return "plain", body, [], []
    if body[1] == FIM_SUFFIX_ID:  # SPM: <pre> <suf> suffix <mid> prefix+middle
        m = body.index(FIM_MIDDLE_ID)
        return "spm", body[m + 1 :], [], body[2:m]
    s, m = body.index(FIM_SUFFIX_ID), body.index(FIM_MIDDLE_ID)
    return "psm", body[1:s], body[m + 1 :], body[s + 1 : m]


# -- format -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint16, np.int32])
def test_megatron_core_reader_parity(tmp_path, dtype):
    """megatron-core's own IndexedDataset reads our files and gets exactly our tokens."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from megatron.core.datasets.indexed_dataset import IndexedDataset

    rng = np.random.default_rng(0)
    hi = 60000 if dtype == np.uint16 else 100_000
    docs = [rng.integers(0, hi, size=int(n)) for n in rng.integers(0, 300, size=57)]
    docs[3] = np.zeros(0, dtype=np.int64)  # empty document
    with indexed.IndexedWriter(tmp_path / "d", dtype) as w:
        for d in docs:
            w.add_document(d)
    ds = IndexedDataset(str(tmp_path / "d"), mmap=True)
    assert len(ds) == len(docs)
    assert ds.index.dtype == dtype
    assert list(ds.document_indices) == list(range(len(docs) + 1))
    for i, d in enumerate(docs):
        assert np.array_equal(ds[i], d)
        assert np.array_equal(indexed.IndexedReader(tmp_path / "d")[i], d)
    # and megatron-core's writer produces byte-identical files to ours
    import torch
    from megatron.core.datasets.indexed_dataset import IndexedDatasetBuilder

    b = IndexedDatasetBuilder(str(tmp_path / "m.bin"), dtype=dtype)
    for d in docs:
        b.add_document(torch.from_numpy(d.astype(np.int64)), [len(d)])
    b.finalize(str(tmp_path / "m.idx"))
    for ext in (".bin", ".idx"):
        assert (tmp_path / f"m{ext}").read_bytes() == (tmp_path / f"d{ext}").read_bytes()


def test_writer_is_atomic_and_checks_range(tmp_path):
    with (
        pytest.raises(ValueError, match="out of range"),
        indexed.IndexedWriter(tmp_path / "x", np.uint16) as w,
    ):
        w.add_document([1, 2, 3])
        w.add_document([70000])
    assert not indexed.exists(tmp_path / "x")
    assert not list(tmp_path.glob("*.tmp"))
    assert indexed.token_dtype(600) == np.uint16 and indexed.token_dtype(65536) == np.uint16
    assert indexed.token_dtype(65537) == np.int32


def test_reader_rejects_bad_files(tmp_path):
    (tmp_path / "a.idx").write_bytes(b"NOTMAGIC" + bytes(40))
    (tmp_path / "a.bin").write_bytes(b"")
    with pytest.raises(ValueError, match="magic"):
        indexed.IndexedReader(tmp_path / "a")
    with pytest.raises(FileNotFoundError):
        indexed.IndexedReader(tmp_path / "missing")
    with indexed.IndexedWriter(tmp_path / "t", np.uint16) as w:
        w.add_document(list(range(100)))
    (tmp_path / "t.bin").write_bytes((tmp_path / "t.bin").read_bytes()[:50])
    with pytest.raises(ValueError, match="shorter"):
        indexed.IndexedReader(tmp_path / "t")


def test_merge_concatenates_in_order(tmp_path):
    parts = [[[1, 2], [3]], [], [[4, 5, 6]]]
    for k, part in enumerate(parts):
        with indexed.IndexedWriter(tmp_path / f"p{k}", np.uint16) as w:
            for d in part:
                w.add_document(d)
    n_docs, n_tok = indexed.merge([tmp_path / f"p{k}" for k in range(3)], tmp_path / "all")
    r = indexed.IndexedReader(tmp_path / "all")
    assert (n_docs, n_tok) == (3, 6)
    assert [list(r[i]) for i in range(3)] == [[1, 2], [3], [4, 5, 6]]
    assert list(r.tokens) == [1, 2, 3, 4, 5, 6]
    masks = [np.array([False, True]), np.zeros(0, dtype=bool), np.array([True])]
    assert indexed.merge([tmp_path / f"p{k}" for k in range(3)], tmp_path / "some", masks=masks) == (2, 4)
    assert list(indexed.IndexedReader(tmp_path / "some").tokens) == [3, 4, 5, 6]


# -- split --------------------------------------------------------------------------------------------


def test_split_groups_by_repo_and_falls_back_to_top_directory():
    assert group_key({"repo": "a/b", "path": "x/y.cc"}) == "repo:a/b"
    assert group_key({"source": "s", "path": "lib/x/y.cc"}) == group_key({"source": "s", "path": "lib/z.h"})
    assert group_key({"source": "s", "path": "lib/x.cc"}) != group_key({"source": "t", "path": "lib/x.cc"})
    repos = [f"r{i}" for i in range(2000)]
    sides = {r: assign_split({"repo": r, "path": "a.cc"}, 0.1) for r in repos}
    for r in repos[:50]:  # every file of a repo lands with the repo
        assert all(assign_split({"repo": r, "path": f"{k}.cc"}, 0.1) == sides[r] for k in range(5))
    n_val = sum(s == "val" for s in sides.values())
    assert 200 - 5 * 13.4 < n_val < 200 + 5 * 13.4  # Binomial(2000, 0.1): sd 13.4
    assert all(assign_split({"repo": r}, 0.0) == "train" for r in repos[:100])
    with pytest.raises(ValueError):
        assign_split({}, 1.0)


def test_val_mask_matches_assign_split_and_never_leaves_val_empty():
    metas = [{"repo": f"r{i % 300}"} for i in range(3000)]
    hashes = np.asarray([group_hash(0, group_key(m)) for m in metas], dtype=np.uint64)
    mask, fallback = val_mask(hashes, np.ones(len(metas)), 0.1)
    assert not fallback
    assert mask.tolist() == [assign_split(m, 0.1) == "val" for m in metas]
    # three groups (20, 50, 3 tokens), 1%: the hash picks none, so the group closest to 1% is held out
    few = np.asarray([group_hash(0, k) for k in ["a", "a", "b", "c", "c"]], dtype=np.uint64)
    assert not (few.astype(np.float64) / 2**64 < 0.01).any()
    mask, fallback = val_mask(few, np.asarray([10, 10, 50, 1, 2]), 0.01)
    assert fallback and mask.tolist() == [False, False, False, True, True]
    # x, y, z hash to 0.54, 0.19, 0.97 (seed 0): at 18% none is picked; 18% of 73 tokens is 13.1, so x (20)
    xyz = np.asarray([group_hash(0, k) for k in ["x", "y", "z"]], dtype=np.uint64)
    mask, fallback = val_mask(xyz, np.asarray([20, 50, 3]), 0.18)
    assert fallback and mask.tolist() == [True, False, False]
    assert val_mask(few, np.ones(5), 0.0)[0].sum() == 0  # 0 disables val
    assert val_mask(few[:2], np.ones(2), 0.01)[0].sum() == 0  # one group: nothing to hold out


# -- the DataTrove writer -----------------------------------------------------------------------------


def read_split(prefix: Path) -> list[list[int]]:
    r = indexed.IndexedReader(prefix)
    return [list(map(int, r[i])) for i in range(len(r))]


def test_write_bins_end_to_end(tmp_path, tok_dir, docs):
    from cppllm.tokenizer.tokenizer import CppTokenizer

    tok = CppTokenizer.load(tok_dir)
    src = write_parquet(tmp_path / "docs", docs)
    manifest = write_bins(src, tmp_path / "out", tok_dir, val_fraction=0.3, tasks=2)
    by_text = {d["text"]: d for d in docs}
    seen: dict[str, str] = {}
    modes = defaultdict(int)
    for split in ("train", "val"):
        for ids in read_split(tmp_path / "out" / "bin" / split):
            mode, p, m, s = unfim(ids)
            modes[mode] += 1
            text = tok.decode(p) + tok.decode(m) + tok.decode(s)
            assert text in by_text, "a document did not survive tokenize+FIM"
            seen[text] = split
    assert set(seen) == set(by_text)  # nothing lost, nothing duplicated
    assert modes["psm"] > 0 and modes["spm"] > 0 and modes["plain"] > 0
    repo_sides = defaultdict(set)
    for text, split in seen.items():
        repo_sides[by_text[text]["repo"]].add(split)
    assert all(len(s) == 1 for s in repo_sides.values())  # grouped by repository
    assert {s for (s,) in repo_sides.values()} == {"train", "val"}
    # manifest: per-source docs/tokens/bytes per split, tokenizer hash
    assert json.loads((tmp_path / "out" / "manifest.json").read_text()) == manifest
    assert manifest["tokenizer_hash"] == tok.hash()
    for split in ("train", "val"):
        m = manifest["splits"][split]
        r = indexed.IndexedReader(tmp_path / "out" / "bin" / split)
        assert m["docs"] == len(r) and m["tokens"] == r.num_tokens
        want_bytes = sum(len(t.encode()) for t, s in seen.items() if s == split)
        assert m["bytes"] == want_bytes == sum(c["bytes"] for c in m["sources"].values())
        assert set(m["sources"]) <= {"src0", "src1"}
    assert not (tmp_path / "out" / "bin" / "shards").exists()
    # a rerun (same task count) into a fresh folder writes identical bytes
    write_bins(src, tmp_path / "again", tok_dir, val_fraction=0.3, tasks=2)
    for split in ("train", "val"):
        for ext in (".bin", ".idx"):
            a = (tmp_path / "out" / "bin" / f"{split}{ext}").read_bytes()
            assert a == (tmp_path / "again" / "bin" / f"{split}{ext}").read_bytes()
    # and rerunning in place is a no-op that keeps the outputs
    assert write_bins(src, tmp_path / "out", tok_dir, val_fraction=0.3, tasks=2) == manifest


def test_fim_rate_zero_writes_plain_framed_documents(tmp_path, tok_dir, docs):
    from cppllm.tokenizer.tokenizer import CppTokenizer

    tok = CppTokenizer.load(tok_dir)
    step = BinShardWriter(tmp_path / "bin", tok_dir, fim=FIMConfig(fim_rate=0.0), val_fraction=0.0)
    batch = [Document(text=d["text"], id=d["id"], metadata=dict(d)) for d in docs[:10]]
    step.run(iter(batch), rank=0, world_size=1)
    manifest = merge_shards(tmp_path / "bin")
    got = read_split(tmp_path / "bin" / "train")
    assert got == [[BOS_ID, *tok.encode(d.text), EOS_ID] for d in batch]
    assert manifest["splits"]["val"]["docs"] == 0
    assert manifest["fim"]["counts"] == {"plain": 10, "psm": 0, "spm": 0}


def test_bad_documents_are_counted_drops(tmp_path, tok_dir):
    from cppllm.tokenizer.tokenizer import CppTokenizer

    tok = CppTokenizer.load(tok_dir)
    surrogate = "bad \udcff surrogate"
    try:  # the tokenizer's own answer to a lone surrogate decides whether the writer may keep it
        tok.encode_batch([surrogate])
        encodable = True
    except Exception:
        encodable = False
    step = BinShardWriter(tmp_path / "bin", tok_dir, fim=FIMConfig(fim_rate=0.0), val_fraction=0.0)
    batch = [
        Document(text="", id="e", metadata={}),
        Document(text=surrogate, id="s", metadata={}),
        Document(text="int ok;", id="o", metadata={"source": "x"}),
    ]
    step.run(iter(batch), rank=0, world_size=1)
    manifest = merge_shards(tmp_path / "bin")
    want = ([[BOS_ID, *tok.encode(surrogate), EOS_ID]] if encodable else []) + [
        [BOS_ID, *tok.encode("int ok;"), EOS_ID]
    ]
    assert read_split(tmp_path / "bin" / "train") == want  # read back from the .bin, not the writer's counts
    assert manifest["splits"]["train"]["docs"] == len(want)
    assert step.stats["dropped_empty_text"].total == 1
    assert step.stats["dropped_encode_error"].total == (0 if encodable else 1)


def test_resume_after_a_killed_task(tmp_path, tok_dir, docs):
    """A task that dies leaves no shard; the rerun redoes only it; the result equals a clean run."""
    batch = [Document(text=d["text"], id=d["id"], metadata=dict(d)) for d in docs]
    halves = [batch[0::2], batch[1::2]]

    def step():
        return BinShardWriter(tmp_path / "bin", tok_dir, val_fraction=0.3)

    def dies(docs):
        yield from docs[:5]
        raise KeyboardInterrupt  # a kill mid-shard

    step().run(iter(halves[1]), rank=1, world_size=2)
    with pytest.raises(KeyboardInterrupt):
        step().run(dies(halves[0]), rank=0, world_size=2)
    assert not indexed.exists(tmp_path / "bin" / "shards" / "00000")
    with pytest.raises(RuntimeError, match="missing"):
        merge_shards(tmp_path / "bin")

    def must_not_read():
        raise AssertionError("a finished shard was redone")
        yield

    step().run(must_not_read(), rank=1, world_size=2)  # done: skipped without reading input
    (tmp_path / "bin" / "shards" / "00000.bin.tmp").write_bytes(b"junk from a kill -9")
    step().run(iter(halves[0]), rank=0, world_size=2)
    merge_shards(tmp_path / "bin", tmp_path / "manifest.json")

    for r, half in enumerate(halves):
        step_clean = BinShardWriter(tmp_path / "clean", tok_dir, val_fraction=0.3)
        step_clean.run(iter(half), rank=r, world_size=2)
    merge_shards(tmp_path / "clean", tmp_path / "clean_manifest.json")
    for split in ("train", "val"):
        for ext in (".bin", ".idx"):
            a = (tmp_path / "bin" / f"{split}{ext}").read_bytes()
            assert a == (tmp_path / "clean" / f"{split}{ext}").read_bytes()


def test_cli(tmp_path, tok_dir, docs):
    src = write_parquet(tmp_path / "docs", docs[:8], n_files=1)
    rc = main(
        ["--docs", str(src), "--tokenizer", str(tok_dir), "--output", str(tmp_path / "o"), "--fim-rate", "1"]
    )
    assert rc == 0
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert m["fim"]["counts"]["plain"] == 0 and m["fim"]["fim_rate"] == 1.0
    with pytest.raises(SystemExit):
        main(["--docs", str(src), "--bogus"])
