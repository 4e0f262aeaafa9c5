"""Source-tree readers: C/C++ selection, bad files as counted drops, metadata, sharding, embedded corpus."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from cppllm.pipeline.readers import make_reader
from cppllm.pipeline.readers.cppfiles import decode_source, looks_like_cpp
from cppllm.pipeline.readers.embedded import EmbeddedCorpusReader
from cppllm.pipeline.readers.trees import DirectoryReader, name_and_version

GOOD = "#include <vector>\nint main() { std::vector<int> v; return v.size(); }\n"


def stats(reader) -> dict[str, int]:
    return {k: v.total for k, v in reader.stats.stats.items()}


def make_tree(root: Path) -> Path:
    """A tree with good files, every kind of bad file, and non-C++ files that must be ignored."""
    (root / "src" / "sub").mkdir(parents=True)
    (root / "src" / "a.cpp").write_text(GOOD)
    (root / "src" / "sub" / "b.HPP").write_text("#pragma once\nstruct B {};\n")
    (root / "include").mkdir()
    # an extensionless standard-library style header, found by content
    (root / "include" / "myvector").write_text("// <myvector> -*- C++ -*-\n#pragma once\nnamespace x {}\n")
    (root / "include" / "notes").write_text("plain words, no code here\n")  # extensionless, not C++
    (root / "README.md").write_text("# readme\n")
    (root / "build.py").write_text("print('hi')\n")
    (root / "src" / "nul.cc").write_bytes(b"int x;\x00\x00\x00 binary junk")
    (root / "src" / "latin1.cc").write_bytes("// caf\xe9\nint y;\n".encode("latin-1"))
    (root / "src" / "empty.h").write_bytes(b"")
    (root / "src" / "blank.h").write_bytes(b"\n\n  \n")
    (root / "src" / "bom_crlf.cpp").write_bytes(b"\xef\xbb\xbfint z;\r\nint w;\r\n")
    return root


def test_decode_source_reasons():
    assert decode_source(b"int x;\n").text == "int x;\n"
    assert decode_source(b"").reason == "empty"
    assert decode_source(b"a\x00b").reason == "binary"
    assert decode_source(b"\xff\xfe int").reason == "invalid_utf8"
    assert decode_source(b"x" * 11, max_bytes=10).reason == "too_large"
    # BOM and CRLF are kept byte-identical: the normalizer owns them
    assert decode_source(b"\xef\xbb\xbfa\r\n").text == "\ufeffa\r\n"


def test_looks_like_cpp():
    assert looks_like_cpp(b"// <vector> -*- C++ -*-\n")
    assert looks_like_cpp(b"#ifndef FOO_H\n#define FOO_H\nint f();\n#endif\n")
    assert not looks_like_cpp(b"#!/bin/sh\n#include <x>\n#define y\n")
    assert not looks_like_cpp(b"just text\n")
    assert not looks_like_cpp(b"#include <a>\n\x00\x01")


def test_directory_reader_selects_and_counts_drops(tmp_path):
    root = make_tree(tmp_path / "proj")
    reader = make_reader(str(root))
    assert isinstance(reader, DirectoryReader)
    docs = {d.metadata["path"]: d for d in reader.run()}
    assert set(docs) == {"src/a.cpp", "src/sub/b.HPP", "include/myvector", "src/bom_crlf.cpp"}
    assert docs["src/a.cpp"].text == GOOD
    assert docs["src/bom_crlf.cpp"].text == "\ufeffint z;\r\nint w;\r\n"
    meta = docs["src/a.cpp"].metadata
    ctx = meta.pop("build_context")  # the tree's include dirs, for the compile-rate eval (buildctx.py)
    assert meta == {"source": "proj", "path": "src/a.cpp", "repo": "proj", "version": "unknown"}
    assert json.loads(ctx)["include_dirs"] == ["include", "."]
    assert docs["src/a.cpp"].id == "proj/src/a.cpp"
    s = stats(reader)
    assert s["dropped_binary"] == 1
    assert s["dropped_invalid_utf8"] == 1
    assert s["dropped_empty"] == 2
    assert s["dropped"] == 4
    assert s["documents"] == 4


def test_directory_reader_size_limit_50mb_single_line(tmp_path):
    root = tmp_path / "big"
    root.mkdir()
    (root / "huge.cpp").write_bytes(b"int a[] = {" + b"1," * (25 * 1024 * 1024) + b"};")  # 50 MB, one line
    (root / "ok.cpp").write_text(GOOD)
    reader = DirectoryReader(root)
    assert [d.metadata["path"] for d in reader.run()] == ["ok.cpp"]
    assert stats(reader)["dropped_too_large"] == 1
    # the limit is configurable: raised, the file is read in full
    reader = DirectoryReader(root, max_file_bytes=60_000_000)
    assert sorted(len(d.text) for d in reader.run())[-1] == 50 * 1024 * 1024 + 13


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_directory_reader_symlink_escape_is_not_followed(tmp_path):
    secret = tmp_path / "outside" / "secret.h"
    secret.parent.mkdir()
    secret.write_text("#define SECRET 42\n")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "ok.h").write_text("int ok;\n")
    (root / "leak.h").symlink_to(secret)
    (root / "linkdir").symlink_to(secret.parent, target_is_directory=True)
    (root / "alias.h").symlink_to(root / "ok.h")
    reader = DirectoryReader(root)
    docs = list(reader.run())
    assert [d.metadata["path"] for d in docs] == ["ok.h"]
    assert all("SECRET" not in d.text for d in docs)
    assert stats(reader)["dropped_symlink_escape"] == 2  # leak.h and linkdir
    assert stats(reader)["symlink_skipped"] == 1  # alias.h: its target is read on its own


def test_sharding_is_a_partition_and_ids_are_stable(tmp_path):
    root = tmp_path / "many"
    root.mkdir()
    for i in range(23):
        (root / f"f{i:02d}.cpp").write_text(f"int v{i} = {i};\n")
    reader = DirectoryReader(root)
    shards = [[d.id for d in pickle.loads(pickle.dumps(reader)).run(rank=r, world_size=4)] for r in range(4)]
    flat = [i for s in shards for i in s]
    assert len(flat) == len(set(flat)) == 23
    assert sorted(flat) == sorted(d.id for d in DirectoryReader(root).run())
    assert shards == [[d.id for d in DirectoryReader(root).run(rank=r, world_size=4)] for r in range(4)]


def test_git_version_is_recorded(tmp_path):
    root = tmp_path / "repo"
    (root / ".git" / "refs" / "heads").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".git" / "refs" / "heads" / "main").write_text("0123abcd" * 5 + "\n")
    (root / "x.cc").write_text(GOOD)
    (doc,) = DirectoryReader(root).run()
    assert doc.metadata["version"] == "0123abcd" * 5


def test_name_and_version():
    assert name_and_version("boost_1_84_0.tar.gz") == ("boost_1_84_0", "1_84_0")
    assert name_and_version("fmt-10.2.1.zip") == ("fmt-10.2.1", "10.2.1")
    assert name_and_version("project.tar.xz") == ("project", "unknown")


def test_embedded_subset_is_deterministic_and_bounded():
    a = [d.id for d in make_reader(None, max_docs=40).run()]
    b = [d.id for d in make_reader("embedded", max_docs=40).run()]
    assert a == b and len(a) == 40
    reader = EmbeddedCorpusReader(max_bytes=300_000)
    docs = list(reader.run())
    assert 0 < sum(len(d.text.encode()) for d in docs) <= 300_000
    for d in docs:
        assert d.metadata["source"] in {"libstdcxx", "torch-include"}
        assert d.metadata["repo"].startswith(d.metadata["source"])
        assert d.metadata["version"] != ""
    # the subset is split across tasks, never re-drawn per task
    sharded = sorted(d.id for r in range(3) for d in make_reader(max_docs=40).run(rank=r, world_size=3))
    assert sharded == sorted(a)


def test_embedded_finds_extensionless_std_headers():
    reader = EmbeddedCorpusReader()
    trees = reader.trees(0, 1)
    entries, _ = reader.entries(trees)
    paths = {(trees[e.tree].source, e.path) for e in entries}
    if any(t.source == "libstdcxx" for t in trees):
        assert ("libstdcxx", "vector") in paths and ("libstdcxx", "unordered_map") in paths


def test_unknown_source_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="unknown source"):
        make_reader(str(tmp_path / "nope"))
