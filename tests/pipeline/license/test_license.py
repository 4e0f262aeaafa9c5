"""License step, pure parts: header extraction, SPDX tags, cache keys, trees, dataset metadata (no ScanCode)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from cppllm.pipeline.license.policy import LicensePolicy, parse_policy
from cppllm.pipeline.license.scan import (
    Detector,
    cache_key,
    is_reference_only,
    leading_comment,
    legal_text,
    spdx_tag_lines,
)
from cppllm.pipeline.license.tagger import dataset_license, license_workers
from cppllm.pipeline.license.trees import find_license_files, lookup, package_license_files, tree_key

MIT_HEADER = "// Copyright (c) {year} {who}\n// Permission is hereby granted, free of charge, to any person\n"


def test_leading_comment_stops_at_code_and_skips_guards():
    text = (
        "#if !defined(TORCH_STABLE_ONLY)\n/* Copyright 2021 Intel\n * Licensed under the Apache License */\n"
        "#pragma once\n// second paragraph\n\nint x; // Licensed MIT (not a header)\n"
    )
    paras = leading_comment(text)
    assert ["\n".join(p) for p in paras] == [
        "/* Copyright 2021 Intel\n * Licensed under the Apache License */",
        "// second paragraph",
    ]
    assert "MIT" not in legal_text(text)


def test_leading_comment_stops_at_include_and_code_after_block():
    assert leading_comment("#include <x>\n// Licensed under MIT\n") == []
    assert leading_comment("/* Licensed MIT */ int x;\n// GPL\n") == [["/* Licensed MIT */ int x;"]]


def test_legal_text_keeps_only_legal_paragraphs():
    text = "// <vector> -*- C++ -*-\n\n// Copyright (C) 2001 FSF\n// GNU General Public License\n\n/** @file x */\nint a;"
    assert legal_text(text) == "// Copyright (C) 2001 FSF\n// GNU General Public License"
    assert legal_text("/** @file x.h\n *  A helper.\n */\nint a;") == ""


def test_spdx_tags_only_near_the_top():
    assert spdx_tag_lines("// SPDX-License-Identifier: MIT\nint x;") == ["// SPDX-License-Identifier: MIT"]
    late = "int x;\n" * 200 + "// SPDX-License-Identifier: GPL-2.0\n"
    assert spdx_tag_lines(late) == []


def test_cache_key_ignores_copyright_owner_lines_not_license_words():
    a = MIT_HEADER.format(year=2001, who="A")
    b = MIT_HEADER.format(year=2022, who="B Corp")
    assert cache_key(a) == cache_key(b)
    assert cache_key(a) != cache_key(a.replace("Permission", "No permission"))
    # a BSD clause that starts with "copyright" is license text, not an owner line
    clause = "// copyright notice, this list of conditions and the following disclaimer.\n"
    assert cache_key(a + clause) != cache_key(a)


def test_reference_only():
    assert is_reference_only("LicenseRef-scancode-unknown-license-reference")
    assert not is_reference_only("BSD-3-Clause AND LicenseRef-scancode-unknown-license-reference")
    assert not is_reference_only(None)


def test_dataset_license_columns():
    assert dataset_license({"max_stars_repo_licenses": ["MIT", "Apache-2.0", "MIT"]}) == "MIT AND Apache-2.0"
    assert dataset_license({"licenses": '["BSD-3-Clause"]'}) == "BSD-3-Clause"
    assert dataset_license({"detected_licenses": []}) is None
    assert dataset_license({"source": "x"}) is None


def test_tree_key_and_lookup_nearest_wins():
    assert tree_key("torch-include/ATen/core/Tensor.h", "ATen/core/Tensor.h") == "torch-include"
    assert tree_key("the-stack/repo/a.cpp@abc", "a.cpp") is None
    entries = {"": {"license": "BSD-3-Clause"}, "fmt": {"license": "MIT"}, "psimd.h": {"license": "MIT"}}
    assert lookup(entries, "fmt/core.h") == "MIT"
    assert lookup(entries, "ATen/core/Tensor.h") == "BSD-3-Clause"
    assert lookup(entries, "psimd.h") == "MIT"
    assert lookup({"sub": {"license": "MIT"}}, "other/a.h") is None


def test_find_license_files(tmp_path: Path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("LICENSE", "a/COPYING.LIB", "a/b/README.md", "a/b/license.h.in", "a/licensee.cpp"):
        (tmp_path / name).write_text("x")
    found = {k: [p.name for p in v] for k, v in find_license_files(tmp_path).items()}
    assert found == {"": ["LICENSE"], "a": ["COPYING.LIB"], "a/b": ["README.md", "license.h.in"]}


def test_package_license_files_maps_dist_info_onto_the_header_tree(tmp_path: Path):
    site = tmp_path / "site-packages"
    inc = site / "pkg" / "include"
    (inc / "fmt").mkdir(parents=True)
    (inc / "psimd.h").write_text("")
    lic = site / "pkg-1.0.dist-info" / "licenses"
    (lic / "third_party" / "FMT").mkdir(parents=True)
    (lic / "third_party" / "psimd").mkdir()
    (lic / "third_party" / "absent").mkdir()
    for f in (
        "LICENSE",
        "third_party/FMT/LICENSE",
        "third_party/psimd/LICENSE",
        "third_party/absent/LICENSE",
    ):
        (lic / f).write_text("x")
    got = {k: [p.relative_to(lic).as_posix() for p in v] for k, v in package_license_files(inc).items()}
    assert got == {
        "": ["LICENSE"],
        "fmt": ["third_party/FMT/LICENSE"],
        "psimd.h": ["third_party/psimd/LICENSE"],
    }
    assert package_license_files(tmp_path) == {}


def test_policy_parsing(tmp_path: Path):
    assert parse_policy("record") == LicensePolicy(kind="record", spec="record")
    allow = tmp_path / "allow.txt"
    allow.write_text("MIT  # permissive\nGPL-2.0-only WITH Linux-syscall-note\n\n")
    p = parse_policy(f"allowlist:{allow}")
    assert p.check("MIT") is None
    assert p.check("MIT OR GPL-3.0-only") is None
    assert p.check("MIT AND GPL-3.0-only") == "license_not_allowed"
    assert p.check("GPL-2.0-only WITH Linux-syscall-note") is None
    assert p.check("GPL-2.0-only WITH Classpath-exception-2.0") == "license_not_allowed"
    assert p.check(None) == "license_unknown"
    assert parse_policy("record").check("GPL-3.0-only") is None
    with pytest.raises(ValueError, match="allowlist file not found"):
        parse_policy(f"allowlist:{tmp_path / 'missing'}")
    with pytest.raises(ValueError, match="unknown --license-policy"):
        parse_policy("gpl-only")


def test_license_workers_sized_from_memory():
    gib = 1 << 30
    assert license_workers(8, available_bytes=4 * gib) == 2
    assert license_workers(2, available_bytes=64 * gib) == 2
    assert license_workers(8, available_bytes=gib) == 1


def test_detector_pickles_without_its_cache():
    d = Detector(max_header_lines=50)
    d._cache["k"] = "MIT"
    d2 = pickle.loads(pickle.dumps(d))
    assert d2.max_header_lines == 50 and not d2._cache


def test_provenance_counts_by_shard_source_and_license(tmp_path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cppllm.pipeline.license.tagger import main

    docs = tmp_path / "docs"
    docs.mkdir()
    flat = pa.table(
        {
            "text": ["ab", "cdé", "x"],
            "source": ["libstdcxx", "libstdcxx", "torch-include"],
            "version": ["12.2.0", "12.2.0", "2.13"],
            "license": ["GPL-3.0-or-later WITH GCC-exception-3.1"] * 2 + ["BSD-3-Clause"],
            "license_source": ["header", "header", "license-file"],
        }
    )
    pq.write_table(flat, docs / "00000.parquet")
    nested = pa.table(
        {"text": ["hello"], "metadata": [{"source": "torch-include", "license": "MIT", "version": "2.13"}]}
    )
    pq.write_table(nested, docs / "00001.parquet")
    assert main(["provenance", str(tmp_path), "--quiet"]) == 0
    data = json.loads((tmp_path / "provenance.json").read_text())
    s0 = data["shards"]["docs/00000.parquet"]
    assert (s0["docs"], s0["bytes"]) == (3, 2 + 4 + 1)
    gpl = s0["by_source"]["libstdcxx"]["licenses"]["GPL-3.0-or-later WITH GCC-exception-3.1"]
    assert gpl == {"docs": 2, "bytes": 6}
    assert s0["by_source"]["libstdcxx"]["versions"] == ["12.2.0"]
    totals = data["totals"]
    assert totals["docs"] == 4 and totals["bytes"] == 12
    assert totals["by_license"]["MIT"] == {"docs": 1, "bytes": 5, "license_source": {"unlabelled": 1}}
    assert totals["by_source"]["torch-include"]["shards"] == ["docs/00000.parquet", "docs/00001.parquet"]
    assert main(["provenance", str(tmp_path / "nope"), "--quiet"]) == 2


def test_provenance_step_runs_after_the_shards(tmp_path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cppllm.pipeline.license.provenance import ProvenanceStep

    (tmp_path / "docs").mkdir()
    pq.write_table(
        pa.table({"text": ["x"], "source": ["s"], "license": ["MIT"]}), tmp_path / "docs" / "a.parquet"
    )
    step = pickle.loads(pickle.dumps(ProvenanceStep(tmp_path)))
    assert list(step.run(None)) == []
    assert json.loads((tmp_path / "provenance.json").read_text())["totals"]["by_license"]["MIT"]["docs"] == 1
