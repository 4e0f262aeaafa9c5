"""Shared tokenizer fixtures: one tiny tokenizer trained once per session on real C++, the normalized
half-sample the superword and merge tests train on, as text and as `(project, text)` documents, and for the
benchmark-corpus tests a `benchmarks/` script loaded as a module and a release tarball."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import sys
import tarfile
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="session")
def tiny_tokenizer(cpp_sample):
    from cppllm.tokenizer.tokenizer import train_tokenizer

    return train_tokenizer(list(cpp_sample.values()), vocab_size=1024)


@pytest.fixture(scope="session")
def texts(cpp_sample) -> list[str]:
    from cppllm.pipeline.clean.normalize import normalize

    return [normalize(t) for t in list(cpp_sample.values())[::2]]  # half the sample: quicker tests


@pytest.fixture(scope="session")
def docs(texts) -> list[tuple[str, str]]:
    """The texts as documents of three projects, in turn."""
    return [(f"project{i % 3}", t) for i, t in enumerate(texts)]


@pytest.fixture(scope="session")
def load_benchmark():
    """`load_benchmark(name)`: `benchmarks/NAME.py` imported as the module NAME (registered in `sys.modules`:
    dataclasses look their module up by name)."""

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
        return mod

    return load


@pytest.fixture(scope="session")
def make_tarball():
    """`make_tarball(path, files, top)`: a `.tar.gz` of `files` (relative name -> text) under the folder
    `top`, as a release tarball; returns its sha256."""

    def make(path: Path, files: dict[str, str], top: str) -> str:
        with tarfile.open(path, "w:gz") as tf:
            for name, text in files.items():
                data = text.encode()
                info = tarfile.TarInfo(f"{top}/{name}")
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        return hashlib.sha256(path.read_bytes()).hexdigest()

    return make
