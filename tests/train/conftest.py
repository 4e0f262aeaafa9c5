"""A tiny pipeline output folder for trainer tests: a 512-token BPE on real C++ and its `.bin/.idx` splits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cppllm.pipeline.pretokenize.indexed import IndexedWriter
from cppllm.tokenizer.special import BOS_ID, EOS_ID
from cppllm.tokenizer.tokenizer import train_tokenizer


def build_data_dir(root: Path, texts: list[str], vocab_size: int = 512) -> Path:
    """`root/{bin/{train,val}.{bin,idx}, tokenizer/tokenizer.json, manifest.json}` like the pipeline writes."""
    tok = train_tokenizer(texts, vocab_size)
    tok.save(root / "tokenizer")
    (root / "bin").mkdir(parents=True, exist_ok=True)
    n_val = max(1, len(texts) // 10)
    for split, docs in (("val", texts[:n_val]), ("train", texts[n_val:])):
        with IndexedWriter(root / "bin" / split, np.uint16) as w:
            for ids in tok.encode_batch(docs):
                w.add_document([BOS_ID, *ids, EOS_ID])
    (root / "manifest.json").write_text(json.dumps({"tokenizer_hash": tok.hash()}))
    return root


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory, cpp_sample) -> Path:
    texts = [t for _, t in sorted(cpp_sample.items()) if t.strip()]
    # ~40 files; chunk long ones so val has several documents and train many windows.
    docs = [t[i : i + 4000] for t in texts for i in range(0, min(len(t), 40_000), 4000)]
    return build_data_dir(tmp_path_factory.mktemp("traindata"), docs)


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield
