"""The M1/M2 source catalog: names that resolve, pinned archives readable by the real reader, budgets from
the presets, mixtures inside the epoch cap, subtrees relabelled."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import tarfile

import pytest
from datatrove.data import Document

from pipelines import sources as S
from pipelines.plan import build_plan


def test_every_mixture_source_resolves_and_weights_sum_to_one():
    known = S.catalog()
    for m in S.CATALOG_MILESTONES.values():
        assert abs(sum(m.weights.values()) - 1) < 1e-9
        assert set(m.weights) <= set(known)
        assert len(m.weights) == len(m.mixture)  # no source listed twice


def test_m2_synthetic_shares_are_the_issues():
    w = S.M2.weights
    assert w["synthetic-textbooks"] == pytest.approx(0.20)
    assert w["synthetic-exercises"] == pytest.approx(0.10)


def test_m1_and_m2_name_every_required_source():
    required = {
        "nemotron-code-v1",
        "nemotron-code-v2",
        "nemotron-cc-code",
        "the-stack-dedup",
        "linux",
        "llvm",
        "gcc",
        "boost",
        "libstdcxx",
        "libcxx",
    }
    cuda = {"cccl", "cutlass", "cuda-samples"}
    for m in (S.M1, S.M2):
        assert required <= set(m.weights)
        assert cuda & set(m.weights)


def test_hub_sources_are_the_readers_names():
    from cppllm.pipeline.readers.hf import HF_SOURCES

    for s in S.HUB_SOURCES:
        assert s.name in HF_SOURCES
        assert s.hub_id == HF_SOURCES[s.name].dataset
    assert S.catalog()["nemotron-code-v2"].hydrated
    assert not S.catalog()["the-stack-dedup"].hydrated


def test_tarballs_are_pinned_release_urls():
    for t in S.TARBALLS:
        assert t.url.startswith("https://")
        # The version is the one in the URL (dots, or boost's underscores).
        assert t.version in t.url or t.version.replace(".", "_") in t.url, t.name
        assert t.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", t.sha256), t.name
        assert t.approx_cpp_bytes > sum(s.approx_cpp_bytes for s in t.subtrees) > -1
        for sub in t.subtrees:
            assert sub.prefix.endswith("/")
    assert len({t.url for t in S.TARBALLS}) == len(S.TARBALLS)


def test_token_budget_is_chinchilla_from_the_preset_as_the_trainer_derives_it():
    from cppllm.model.config import get_preset
    from cppllm.model.gpt import count_params
    from cppllm.train.config import TOKENS_PER_PARAM

    for m in (S.M1, S.M2):
        params = count_params(get_preset(m.preset))["total"]
        assert m.params == params
        assert m.token_budget == TOKENS_PER_PARAM * params
    assert S.M1.preset == "d20"
    assert 8e9 < S.M1.token_budget < 9e9  # 431M params (GQA d20) x 20


@pytest.mark.parametrize("name", sorted(S.CATALOG_MILESTONES))
def test_no_source_repeats_more_than_the_epoch_cap(name):
    plan = build_plan(name)
    for p in plan.sources:
        if p.epochs is not None:
            assert p.epochs <= S.MAX_EPOCHS, (p.name, p.epochs)
    assert not [w for w in plan.warnings if "epochs >" in w]


def test_bad_milestones_fail_loudly():
    with pytest.raises(ValueError, match="sum to"):
        S.Milestone(name="x", preset="d12", mixture=(("linux", 0.5), ("llvm", 0.4)))
    with pytest.raises(ValueError, match="unknown sources"):
        S.Milestone(name="x", preset="d12", mixture=(("no-such-source", 1.0),))
    with pytest.raises(ValueError, match="unknown milestone"):
        S.get_milestone("m9")


def _run(step, docs):
    return list(step.run(iter(docs), rank=0, world_size=1))


def test_relabel_subtrees_only_touches_the_parents_documents():
    docs = [
        Document(text="a", id="1", metadata={"source": "gcc", "path": "libstdc++-v3/include/vector"}),
        Document(text="b", id="2", metadata={"source": "gcc", "path": "gcc/cp/parser.cc"}),
        Document(text="c", id="3", metadata={"source": "llvm", "path": "libcxx/include/vector"}),
        Document(text="d", id="4", metadata={"source": "boost", "path": "libstdc++-v3/x.h"}),
        Document(text="e", id="5", metadata={}),
    ]
    out = _run(S.RelabelSubtrees(), docs)
    assert [d.metadata.get("source") for d in out] == ["libstdcxx", "gcc", "libcxx", "boost", None]


def _gcc_like_tarball(tmp_path):
    files = {
        "gcc-13.2.0/libstdc++-v3/include/bits/stl_pair.h": "namespace std { template<class T> struct pair; }\n",
        "gcc-13.2.0/libstdc++-v3/src/c++11/thread.cc": "#include <thread>\nint f() { return 1; }\n",
        "gcc-13.2.0/gcc/cp/parser.cc": "int parse(int x) { return x + 1; }\n",
        "gcc-13.2.0/README": "not C++\n",
    }
    path = tmp_path / "gcc-13.2.0.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_catalog_tarball_reads_through_the_real_reader_and_splits_subtrees(tmp_path):
    from cppllm.pipeline.readers import make_reader

    archive = _gcc_like_tarball(tmp_path)
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    gcc = dataclasses.replace(S.catalog()["gcc"], url=archive.as_uri(), sha256=sha)
    url, opts = gcc.reader_args()
    reader = make_reader(url, cache_dir=str(tmp_path / "cache"), **opts)
    docs = _run(S.RelabelSubtrees(), reader.run(None, rank=0, world_size=1))
    by_path = {d.metadata["path"]: d.metadata for d in docs}
    assert set(by_path) == {
        "libstdc++-v3/include/bits/stl_pair.h",
        "libstdc++-v3/src/c++11/thread.cc",
        "gcc/cp/parser.cc",
    }
    assert by_path["gcc/cp/parser.cc"]["source"] == "gcc"
    assert by_path["libstdc++-v3/src/c++11/thread.cc"]["source"] == "libstdcxx"
    assert all(m["version"] == "13.2.0" for m in by_path.values())
    # repo_depth=2 groups the train/val split by sub-directory, not by the whole tree.
    assert by_path["gcc/cp/parser.cc"]["repo"] == "gcc/gcc/cp"

    wrong = dataclasses.replace(gcc, sha256="0" * 64)
    url, opts = wrong.reader_args()
    with pytest.raises(Exception, match="sha256"):
        _run(make_reader(url, cache_dir=str(tmp_path / "cache2"), **opts), [])
