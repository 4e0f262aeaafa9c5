"""Train/val split of a corpus with too few repositories: finer groupings, shared by writer and tokenizer."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datatrove.data import Document

from cppllm.pipeline.pretokenize import indexed
from cppllm.pipeline.pretokenize.binwriter import BinShardWriter, merge_shards
from cppllm.pipeline.pretokenize.fim import FIMConfig
from cppllm.pipeline.readers.trees import ArchiveReader
from cppllm.pipeline.split import (
    GROUPINGS,
    GroupTally,
    assign_split,
    group_hash,
    group_keys,
    group_table,
    plan_split,
)
from cppllm.tokenizer.data import ModelVal

MODULES = ["alloc", "codec", "core", "fmt", "hash", "io", "json", "log", "math", "net", "regex", "time"]


def _body(name: str, i: int) -> str:
    return "".join(f"int {name}_{i}_{k}(int x) {{ return x * {k} + {i}; }}\n" for k in range(20 + 7 * i))


def make_tarball(path: Path) -> Path:
    """`mylib-2.1.tar.gz`: one project, two top directories of about half the bytes each; `lib/` has a
    dozen module directories of about 5% each, `include/mylib/` is one directory of about 45%."""
    files = {}
    for m in MODULES:
        for i in range(3):
            files[f"lib/{m}/{m}{i}.cpp"] = _body(m, i)
    for i in range(12):
        files[f"include/mylib/h{i}.hpp"] = "#pragma once\n" + _body(f"h{i}", 6).replace("{ return", "; //")
    with tarfile.open(path, "w:gz") as tar:
        for rel, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"mylib-2.1/{rel}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def write_docs(folder: Path, docs: list[Document]) -> Path:
    """The pipeline's `DIR/docs` shard: text, id and the metadata columns."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"text": d.text, "id": d.id, **d.metadata} for d in docs]
    pq.write_table(pa.Table.from_pylist(rows), folder / "00000.parquet")
    return folder.parent


def bin_splits(docs: list[Document], tok_dir: Path, out: Path, val_fraction: float) -> tuple[dict, dict]:
    """Run the .bin writer + merger; returns (manifest, {text: split}) (FIM off: texts decode back)."""
    from cppllm.tokenizer.tokenizer import CppTokenizer

    BinShardWriter(out, tok_dir, fim=FIMConfig(fim_rate=0.0), val_fraction=val_fraction).run(iter(docs))
    manifest = merge_shards(out, out / "manifest.json")
    tok = CppTokenizer.load(tok_dir)
    side = {}
    for split in ("train", "val"):
        r = indexed.IndexedReader(out / split)
        side.update({tok.decode(list(map(int, r[i]))[1:-1]): split for i in range(len(r))})
    return manifest, side


@pytest.fixture(scope="module")
def tarball_docs(tmp_path_factory) -> list[Document]:
    tmp = tmp_path_factory.mktemp("tarball")
    reader = ArchiveReader(make_tarball(tmp / "mylib-2.1.tar.gz"), cache_dir=tmp / "cache")
    return list(reader.run(rank=0, world_size=1))


@pytest.fixture(scope="module")
def tok_dir(tarball_docs, tmp_path_factory) -> Path:
    from cppllm.tokenizer.tokenizer import train_tokenizer

    d = tmp_path_factory.mktemp("tok")
    train_tokenizer([d.text for d in tarball_docs], vocab_size=300).save(d)
    return d


def test_one_tarball_gets_a_val_split_grouped_by_directory(tmp_path, tarball_docs, tok_dir):
    assert {d.metadata["repo"] for d in tarball_docs} == {"mylib-2.1"}  # one repository group
    manifest, side = bin_splits(tarball_docs, tok_dir, tmp_path / "bin", 0.15)
    split = manifest["split"]
    assert split["grouping"] == "dir"  # one repo: no val; two top dirs of 40/60%: too big; directories fit
    assert [t["grouping"] for t in split["groupings_tried"]] == list(GROUPINGS)
    assert split["groupings_tried"][0] == {
        "grouping": "repo",
        "groups": 1,
        "val_groups": 0,
        "val_share_bytes": 0,
    }
    assert "warning" not in split
    val_bytes = manifest["splits"]["val"]["bytes"]
    share = val_bytes / (val_bytes + manifest["splits"]["train"]["bytes"])
    assert 0.075 <= share <= 0.15 and split["val_share_bytes"] == pytest.approx(share, abs=1e-6)
    assert manifest["splits"]["val"]["docs"] > 0
    dirs: dict[str, set[str]] = {}
    for d in tarball_docs:
        dirs.setdefault(d.metadata["path"].rsplit("/", 1)[0], set()).add(side[d.text])
    assert all(len(s) == 1 for s in dirs.values())  # every directory on one side
    assert 2 <= sum(s == {"val"} for s in dirs.values()) == split["val_groups"]
    assert dirs["include/mylib"] == {"train"}


def test_tokenizer_excludes_exactly_the_val_documents(tmp_path, tarball_docs, tok_dir):
    _, side = bin_splits(tarball_docs, tok_dir, tmp_path / "bin", 0.1)
    data = write_docs(tmp_path / "run" / "docs", tarball_docs)
    model_val = ModelVal(data, 0.1, 0)
    assert model_val.groupings() == "dir"
    excluded = excluded_texts(data, model_val)
    assert excluded == {t for t, s in side.items() if s == "val"} and excluded


def excluded_texts(data: Path, model_val: ModelVal) -> set[str]:
    from cppllm.tokenizer.data import iter_docs

    return {d.text for d in iter_docs(data) if d in model_val}


def test_enough_repositories_keep_todays_split_byte_for_byte(tmp_path, tarball_docs, tok_dir):
    """40 repositories at 30%: the repository grouping, val = exactly the documents `assign_split` puts
    there, and val.bin/.idx byte-identical to those documents written in corpus order."""
    docs = [
        Document(text=d.text, id=d.id, metadata={**d.metadata, "repo": f"org/r{i % 40}"})
        for i, d in enumerate(tarball_docs)
    ]
    manifest, _ = bin_splits(docs, tok_dir, tmp_path / "split", 0.3)
    assert manifest["split"]["grouping"] == "repo" and len(manifest["split"]["groupings_tried"]) == 1
    BinShardWriter(tmp_path / "all", tok_dir, fim=FIMConfig(fim_rate=0.0), val_fraction=0.0).run(iter(docs))
    merge_shards(tmp_path / "all", tmp_path / "all" / "manifest.json")
    every = indexed.IndexedReader(tmp_path / "all" / "train")
    want_val = [assign_split(d.metadata, 0.3) == "val" for d in docs]
    assert 0 < sum(want_val) < len(docs)
    for split, keep in (("val", want_val), ("train", [not v for v in want_val])):
        with indexed.IndexedWriter(tmp_path / f"want_{split}", every.dtype) as w:
            for i in np.flatnonzero(keep):
                w.add_document(every[int(i)])
        for ext in (".bin", ".idx"):
            got = (tmp_path / "split" / f"{split}{ext}").read_bytes()
            assert got == (tmp_path / f"want_{split}{ext}").read_bytes()


def test_plan_is_the_same_from_a_stream_and_from_arrays():
    rng = np.random.default_rng(0)
    metas = [{"repo": "one", "path": f"d{rng.integers(30)}/s{rng.integers(3)}/f{i}.cc"} for i in range(500)]
    sizes = rng.integers(1, 5000, size=len(metas))
    tally = GroupTally(seed=5)
    for m, n in zip(metas, sizes, strict=True):
        tally.add(group_keys(m), int(n))
    hashes = np.asarray([[group_hash(5, k) for k in group_keys(m)] for m in metas], dtype=np.uint64)
    tables = [group_table(hashes[:, level], sizes) for level in range(len(GROUPINGS))]
    for f in (0.01, 0.05, 0.2):
        assert tally.plan(f) == plan_split(tables, f, 5)
        assert tally.plan(f).grouping != "repo"


def test_a_flat_directory_is_a_loud_empty_val(tmp_path, tarball_docs, tok_dir):
    """Every file in one directory: nothing can be held out without splitting it. Manifest, stats.json,
    the run summary and the trainer all say so."""
    from cppllm.train.data import parse_data_spec, val_split_warning
    from pipelines.stages import format_summary, summarize

    flat = [
        Document(text=d.text, id=d.id, metadata={**d.metadata, "path": d.metadata["path"].rsplit("/", 1)[1]})
        for d in tarball_docs
    ]
    out = tmp_path / "run"
    manifest, _ = bin_splits(flat, tok_dir, out / "bin", 0.1)
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert manifest["splits"]["val"]["docs"] == 0
    assert manifest["split"]["warning"].startswith("val split is EMPTY")
    stats = summarize(out)
    assert stats["summary"]["warnings"] == [f"manifest.json: {manifest['split']['warning']}"]
    assert stats["summary"]["val_splits"]["manifest.json"]["val_groups"] == 0
    assert "WARNING: manifest.json: val split is EMPTY" in format_summary(stats)
    msg = val_split_warning(parse_data_spec(str(out)), 250)
    assert msg.startswith("--eval-every 250: run: val split") and "EMPTY" in msg and "skipped" in msg
    (out / "manifest.json").unlink()  # the .bin files alone: still said
    assert "EMPTY" in val_split_warning(parse_data_spec(str(out)), 250)


def test_trainer_is_quiet_about_a_healthy_val(tmp_path, tarball_docs, tok_dir):
    from cppllm.train.data import parse_data_spec, val_split_warning

    out = tmp_path / "run"
    manifest, _ = bin_splits(tarball_docs, tok_dir, out / "bin", 0.1)
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert val_split_warning(parse_data_spec(str(out)), 250) is None


def test_one_bin_per_source_is_planned_per_source(tmp_path, tarball_docs, tok_dir):
    """A mixture writes one .bin per source: each source (here one repository each) gets its own
    fallback, and the tokenizer's `by_source` plan excludes exactly the union of their val splits."""
    parts = {"a": tarball_docs[0::2], "b": tarball_docs[1::2]}
    docs, val = [], set()
    for name, part in parts.items():
        part = [
            Document(text=d.text, id=f"{name}/{d.id}", metadata={**d.metadata, "source": name, "repo": name})
            for d in part
        ]
        docs += part
        manifest, side = bin_splits(part, tok_dir, tmp_path / name, 0.1)
        assert manifest["split"]["grouping"] != "repo" and manifest["splits"]["val"]["docs"] > 0
        val |= {t for t, s in side.items() if s == "val"}
    data = write_docs(tmp_path / "run" / "docs", docs)
    by_source = ModelVal(data, 0.1, 0, by_source=True)
    assert set(by_source.groupings()) == {"a", "b"}
    assert excluded_texts(data, by_source) == val


def test_a_large_corpus_keeps_the_hash_rule_whatever_the_share():
    """2,000 repositories at 1% (20 expected in val): repository grouping even when one huge repository
    lands in val and makes the share 30x too big; the manifest warns instead of re-grouping."""
    repos = [f"org/r{i}" for i in range(2000)]
    in_val = [assign_split({"repo": r}, 0.01) == "val" for r in repos]
    sizes = np.full(len(repos), 1000.0)
    sizes[in_val.index(True)] = 0.5 * sizes.sum()  # a monorepo the size of everything else
    metas = [{"repo": r, "path": f"src/m{i % 7}/f.cc"} for i, r in enumerate(repos)]
    hashes = np.asarray([[group_hash(0, k) for k in group_keys(m)] for m in metas], dtype=np.uint64)
    plan = plan_split([group_table(hashes[:, lv], sizes) for lv in range(len(GROUPINGS))], 0.01)
    assert plan.grouping == "repo" and len(plan.tried) == 1
    assert plan.mask(hashes[:, 0]).tolist() == in_val
    assert plan.val_share > 0.3 and plan.warning.startswith("val split is oversized")


def test_m0_on_one_tarball_as_a_user_runs_it(tmp_path, monkeypatch):
    """`python -m pipelines.m0 --source mylib-2.1.tar.gz`: val is not empty, the grouping is in manifest.json
    and stats.json, and the tokenizer left out exactly the val documents."""
    from pipelines import m0

    monkeypatch.setenv("CPPLLM_CACHE", str(tmp_path / "cache"))
    tarball = make_tarball(tmp_path / "mylib-2.1.tar.gz")
    out = tmp_path / "out"
    argv = ["--source", str(tarball), "--output", str(out), "--no-license", "--workers", "1", "--tasks", "2"]
    assert (
        m0.main([*argv, "--vocab-size", "300", "--val-fraction", "0.15", "--fim-rate", "0", "--quiet"]) == 0
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["split"]["grouping"] == "dir" and manifest["splits"]["val"]["docs"] > 0
    summary = json.loads((out / "stats.json").read_text())["summary"]
    assert summary["val_splits"]["manifest.json"]["grouping"] == "dir" and summary["warnings"] == []
    info = json.loads((out / "tokenizer" / "tokenizer_train.json").read_text())
    assert info["model_val_excluded"]["grouping"] == "dir" and "tokenizer_mismatch" not in manifest["split"]
    from cppllm.tokenizer.tokenizer import CppTokenizer

    tok, val = CppTokenizer.load(out / "tokenizer"), indexed.IndexedReader(out / "bin" / "val")
    val_texts = {tok.decode(list(map(int, val[i]))[1:-1]) for i in range(len(val))}
    model_val = ModelVal(out, 0.15, 0)
    assert excluded_texts(out, model_val) == val_texts
    from cppllm.tokenizer.data import is_heldout, iter_docs

    trained_on = [d for d in iter_docs(out) if not is_heldout(d.key)]  # the tokenizer's report split is out
    assert info["model_val_excluded"]["docs"] == sum(d in model_val for d in trained_on) > 0


def test_a_tokenizer_that_left_out_another_split_is_flagged(tmp_path, tarball_docs, tok_dir):
    """The tokenizer's record says what it left out; a .bin split that differs says so in the manifest."""
    import shutil

    tok = shutil.copytree(tok_dir, tmp_path / "tok")
    record = {"val_fraction": 0.15, "split_seed": 0, "docs": 3, "grouping": "dir"}
    (tok / "tokenizer_train.json").write_text(json.dumps({"model_val_excluded": record}))
    manifest, _ = bin_splits(tarball_docs, tok, tmp_path / "same", 0.15)
    assert "tokenizer_mismatch" not in manifest["split"]
    manifest, _ = bin_splits(tarball_docs, tok, tmp_path / "other", 0.3)
    assert "val_fraction 0.15, seed 0, grouping dir" in manifest["split"]["tokenizer_mismatch"]
    record["grouping"] = "repo"  # same fraction and seed, but planned on another corpus
    (tok / "tokenizer_train.json").write_text(json.dumps({"model_val_excluded": record}))
    manifest, _ = bin_splits(tarball_docs, tok, tmp_path / "grouping", 0.15)
    assert "grouping repo; this split is 0.15, 0, dir" in manifest["split"]["tokenizer_mismatch"]
