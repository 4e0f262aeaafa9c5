"""License step against ScanCode itself: agreement with its full per-file scan, trees, policy, CLI.

Needs scancode-toolkit (`pip install -e .[license]`; CI installs it). Its index loads once per test
process (~10 s, ~1.4 GB) through the session fixture.
"""

from __future__ import annotations

import importlib.util
import json
import pickle
import random
from pathlib import Path

import pytest
from datatrove.data import Document

from cppllm.pipeline.license.scan import Detector
from cppllm.pipeline.license.tagger import LicenseTagger, main
from cppllm.pipeline.license.trees import build_tree_map
from cppllm.pipeline.readers.trees import Tree

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("scancode") is None,
    reason="scancode-toolkit is not installed (pip install -e '.[license]')",
)

HEADERS = Path(__file__).parents[2] / "fixtures" / "license" / "headers"
# What a reviewer reads off each fixture's header (ScanCode's SPDX spelling).
EXPECTED = {
    "mit.hpp": "MIT",
    "bsd2.c": "BSD-2-Clause",
    "bsd3.cc": "BSD-3-Clause",
    "apache.h": "Apache-2.0",
    "torch_prefixed.h": "Apache-2.0",
    "boost.hpp": "BSL-1.0",
    "libstdcxx_gpl2_exception.h": "GPL-2.0-or-later WITH mif-exception",
    "libstdcxx_gpl3_exception.h": "GPL-3.0-or-later WITH GCC-exception-3.1",
    "lgpl.c": "LGPL-2.1-or-later",
    "mpl.cpp": "MPL-2.0",
    "dual_spdx.hpp": "Apache-2.0 OR MIT",
    "linux_spdx.c": "GPL-2.0-only WITH Linux-syscall-note",
    "llvm.cpp": "Apache-2.0 WITH LLVM-exception",
    "zlib.h": "Zlib",
    "gpl2_plus.c": "GPL-2.0-or-later",
    "no_license.cpp": None,
}


@pytest.fixture(scope="session")
def detector() -> Detector:
    d = Detector()
    d.index()  # the one index load this process pays
    return d


def _mit_license() -> str:
    lines = (HEADERS / "mit.hpp").read_text().splitlines()[2:19]
    return "MIT License\n\n" + "\n".join(ln[3:] for ln in lines) + "\n"


def test_fixture_headers_agree_with_full_scancode_scan(detector: Detector):
    files = sorted(HEADERS.iterdir())
    ours = {f.name: detector.detect_file(f.read_text()).license for f in files}
    full = {f.name: detector.scan_file(str(f)) for f in files}
    agree = sum(ours[n] == full[n] for n in ours)
    assert agree / len(files) >= 0.99, {n: (ours[n], full[n]) for n in ours if ours[n] != full[n]}
    for name, spdx in EXPECTED.items():
        assert ours[name] == spdx, name


def test_embedded_corpus_sample_agrees(detector: Detector):
    """A small sample of the embedded corpus (libstdc++ + torch headers); the benchmark runs more."""
    from cppllm.pipeline.readers.corpus import embedded_roots

    files = [p for r in embedded_roots() for p in sorted(r.path.rglob("*.h")) if p.is_file()]
    sample = random.Random(0).sample(files, min(6, len(files)))
    sample += [p for p in (Path(r.path) / "vector" for r in embedded_roots()) if p.is_file()][:1]
    for p in sample:
        assert detector.detect_file(p.read_text(errors="replace")).license == detector.scan_file(str(p)), p


def _signature(detections) -> list:
    return [
        (
            d.license_expression,
            [
                (m.rule.identifier, m.matcher, str(m.qspan), m.start_line, m.end_line, m.score())
                for m in d.matches
            ],
        )
        for d in detections
    ]


def test_approximate_prefilter_gives_scancodes_matches(detector: Detector):
    """The numpy candidate ranking hands ScanCode's approximate matcher the same candidates: the same
    matches, rule by rule and span by span, on headers that need it (and the swap is undone after)."""
    from licensedcode import match_set
    from licensedcode.detection import detect_licenses

    from cppllm.pipeline.license.scan import detect_approximate, legal_text

    idx = detector.index()
    original = match_set.compute_candidates
    texts = [legal_text(f.read_text()) for f in sorted(HEADERS.iterdir())]
    # a GPL-with-exception header followed by an HPND-like notice (libstdc++'s pb_ds): approximate work
    gpl = legal_text((HEADERS / "libstdcxx_gpl3_exception.h").read_text())
    texts.append(
        gpl + "\n\n// Permission to use, copy, modify, sell, and distribute this software is hereby granted"
        "\n// without fee, provided that the above copyright notice appears in all copies. It is provided"
        '\n// "as is" without express or implied warranty.'
    )
    for text in [t for t in texts if t]:
        ours = _signature(detect_approximate(idx, text))
        assert ours == _signature(detect_licenses(index=idx, query_string=text)), text[:200]
        assert match_set.compute_candidates is original
    fast, slow = Detector(), Detector(prefilter=False)
    assert [fast.detect_text(t) for t in texts] == [slow.detect_text(t) for t in texts]


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src" / "deep").mkdir(parents=True)
    (root / "vendor" / "zlibish").mkdir(parents=True)
    (root / "LICENSE").write_text(_mit_license())
    (root / "vendor" / "zlibish" / "LICENSE").write_text(
        "\n".join(ln for ln in (HEADERS / "zlib.h").read_text().splitlines()[1:18])
    )
    return root


def _docs(root: Path) -> list[Document]:
    def doc(path: str, text: str, **meta) -> Document:
        return Document(text=text, id=f"proj/{path}", metadata={"source": "proj", "path": path, **meta})

    return [
        doc("src/deep/a.cpp", "int a;\n"),
        doc("vendor/zlibish/inflate.c", "/* inflate: decompress */\nint inflate(void);\n"),
        doc("src/gpl.c", "// SPDX-License-Identifier: GPL-2.0\nint g;\n"),
        doc("src/ref.h", "// See LICENSE.txt for license information.\nint r;\n"),
        doc("src/apache.h", (HEADERS / "apache.h").read_text()),
        Document(
            text="int s;\n",
            id="stack/x.cpp@1",
            metadata={"path": "x.cpp", "max_stars_repo_licenses": ["ISC"]},
        ),
        Document(text="int n;\n", id="other/n.cpp", metadata={"path": "n.cpp"}),
    ]


def test_step_labels_in_stack_v2_order(tmp_path: Path):
    root = _tree(tmp_path)
    step = LicenseTagger(
        trees=[Tree(root=str(root), source="proj", repo="proj")], tree_map=tmp_path / "map.json"
    )
    step = pickle.loads(pickle.dumps(step))  # as a worker gets it
    out = list(step.run(iter(_docs(root))))
    got = {d.id: (d.metadata["license"], d.metadata["license_source"]) for d in out}
    assert got == {
        "proj/src/deep/a.cpp": ("MIT", "license-file"),
        "proj/vendor/zlibish/inflate.c": ("Zlib", "license-file"),
        "proj/src/gpl.c": ("GPL-2.0-only", "spdx-tag"),
        "proj/src/ref.h": ("MIT", "license-file"),
        "proj/src/apache.h": ("Apache-2.0", "header"),
        "stack/x.cpp@1": ("ISC", "dataset"),
        "other/n.cpp": ("NOASSERTION", "none"),
    }
    assert step.stats["license_source_license-file"].total == 3


def test_tree_map_is_built_once_and_reused(tmp_path: Path, detector: Detector):
    root = _tree(tmp_path)
    trees = [Tree(root=str(root), source="proj", repo="proj", version="1")]
    first = build_tree_map(trees, tmp_path / "map.json", detector, progress=False)
    assert first["proj"]["entries"]["vendor/zlibish"]["license"] == "Zlib"
    (root / "LICENSE").unlink()  # a rescan would lose the root entry: a reuse keeps it
    again = build_tree_map(trees, tmp_path / "map.json", detector, progress=False)
    assert again["proj"]["entries"][""]["license"] == "MIT"
    bumped = [Tree(root=str(root), source="proj", repo="proj", version="2")]
    assert (
        "" not in build_tree_map(bumped, tmp_path / "map.json", detector, progress=False)["proj"]["entries"]
    )


@pytest.mark.parametrize(
    ("policy", "kept", "reasons"),
    [
        ("record", 7, {}),
        ("permissive", 5, {"dropped_license_not_permissive": 1, "dropped_license_unknown": 1}),
    ],
)
def test_policy_drops_are_counted(tmp_path: Path, policy: str, kept: int, reasons: dict):
    root = _tree(tmp_path)
    step = LicenseTagger(policy=policy, trees=[Tree(root=str(root), source="proj", repo="proj")])
    out = list(step.run(iter(_docs(root))))
    assert len(out) == kept
    for reason, n in reasons.items():
        assert step.stats[reason].total == n
    assert step.stats["dropped"].total == sum(reasons.values())


def test_allowlist_policy(tmp_path: Path):
    allow = tmp_path / "allow.txt"
    allow.write_text("MIT\nNOASSERTION\n")
    root = _tree(tmp_path)
    step = LicenseTagger(
        policy=f"allowlist:{allow}", trees=[Tree(root=str(root), source="proj", repo="proj")]
    )
    out = list(step.run(iter(_docs(root))))
    assert sorted(d.metadata["license"] for d in out) == ["MIT", "MIT", "NOASSERTION"]
    assert step.stats["dropped_license_not_allowed"].total == 4


def test_cli_detect(tmp_path: Path, capsys):
    root = _tree(tmp_path)
    (root / "src" / "deep" / "a.cpp").write_text("int a;\n")
    assert main(["detect", "--json", "--tree", str(root), str(root / "src" / "deep" / "a.cpp")]) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (row["license"], row["license_source"]) == ("MIT", "license-file")


@pytest.mark.slow
def test_embedded_corpus_agreement_large(detector: Detector):
    """>= 99% agreement with ScanCode's full scan on 300 embedded-corpus files (minutes)."""
    from cppllm.pipeline.readers.corpus import embedded_roots

    files = [p for r in embedded_roots() for p in sorted(r.path.rglob("*")) if p.is_file()]
    sample = random.Random(1).sample(files, min(300, len(files)))
    agree = sum(
        detector.detect_file(p.read_text(errors="replace")).license == detector.scan_file(str(p))
        for p in sample
    )
    assert agree / len(sample) >= 0.99


def test_step_takes_trees_from_a_source_reader(tmp_path: Path):
    from cppllm.pipeline.readers.trees import DirectoryReader

    root = _tree(tmp_path)
    (root / "src" / "deep" / "a.cpp").write_text("int a;\n")
    (root / "vendor" / "zlibish" / "inflate.c").write_text("int inflate(void);\n")
    reader = DirectoryReader(root)
    step = LicenseTagger(trees=reader, tree_map=tmp_path / "map.json")
    out = {d.metadata["path"]: d.metadata["license"] for d in step.run(reader.run())}
    assert out == {"src/deep/a.cpp": "MIT", "vendor/zlibish/inflate.c": "Zlib"}
    assert (tmp_path / "map.json").is_file()
