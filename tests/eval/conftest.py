"""Shared fixtures for the evaluation tests: a tiny tokenizer, a held-out `.bin` split, a tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

# Self-contained translation units (they compile on their own), the held-out files of the tests.
HELDOUT_FILES = [
    """// Copyright (c) example authors. Small geometry helpers.
#include <cmath>
#include <vector>

namespace geo {

struct Point {
  double x;
  double y;
};

double dot(const Point& a, const Point& b) {
  return a.x * b.x + a.y * b.y;
}

double norm(const Point& p) {
  return std::sqrt(dot(p, p));
}

std::vector<Point> scale(const std::vector<Point>& pts, double k) {
  std::vector<Point> out;
  out.reserve(pts.size());
  for (const Point& p : pts) {
    out.push_back({p.x * k, p.y * k});
  }
  return out;
}

}  // namespace geo
""",
    """#ifndef COUNTER_H
#define COUNTER_H
#include <map>
#include <string>

class Counter {
 public:
  void add(const std::string& word) {
    if (word.empty()) {
      return;
    }
    counts_[word] += 1;
  }
  int get(const std::string& word) const {
    auto it = counts_.find(word);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, int> counts_;
};

#endif  // COUNTER_H
""",
    """#include <algorithm>
#include <string>

static int clamp_add(int a, int b, int hi) {
  const int s = a + b;
  return std::min(s, hi);
}

std::string reverse_words(std::string s) {
  std::reverse(s.begin(), s.end());
  return s;
}

int main() {
  int total = 0;
  for (int i = 0; i < 10; ++i) {
    total = clamp_add(total, i, 100);
  }
  return reverse_words("ab").size() == 2 && total == 45 ? 0 : 1;
}
""",
]


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


def build_heldout_dir(
    root: Path, train_texts: list[str], val_texts: list[str], vocab_size: int = 512
) -> Path:
    """A pipeline-like folder: tokenizer/, bin/{train,val}, manifest.json; one val doc is FIM-formatted."""
    from cppllm.pipeline.pretokenize.fim import FIMConfig, assemble
    from cppllm.pipeline.pretokenize.indexed import IndexedWriter
    from cppllm.tokenizer.special import BOS_ID, EOS_ID
    from cppllm.tokenizer.tokenizer import train_tokenizer

    tok = train_tokenizer(train_texts + val_texts, vocab_size)
    tok.save(root / "tokenizer")
    (root / "bin").mkdir(parents=True, exist_ok=True)
    with IndexedWriter(root / "bin" / "train", np.uint16) as w:
        for ids in tok.encode_batch(train_texts):
            w.add_document([BOS_ID, *ids, EOS_ID])
    with IndexedWriter(root / "bin" / "val", np.uint16) as w:
        for ids in tok.encode_batch(val_texts):
            w.add_document([BOS_ID, *ids, EOS_ID])
        t = val_texts[0]
        pieces = [tok.encode(t[:10]), tok.encode(t[10:30]), tok.encode(t[30:])]
        w.add_document(assemble("psm", pieces, FIMConfig()))
    (root / "manifest.json").write_text(json.dumps({"tokenizer_hash": tok.hash()}))
    return root


@pytest.fixture(scope="session")
def heldout_dir(tmp_path_factory, cpp_sample) -> Path:
    train = [t[:6000] for _, t in sorted(cpp_sample.items()) if t.strip()]
    return build_heldout_dir(tmp_path_factory.mktemp("evaldata"), train, list(HELDOUT_FILES))


@pytest.fixture(scope="session")
def tokenizer(heldout_dir):
    from cppllm.tokenizer.tokenizer import CppTokenizer

    return CppTokenizer.load(heldout_dir / "tokenizer")


@pytest.fixture(scope="session")
def tiny_model(tokenizer):
    from cppllm.model.config import get_preset
    from cppllm.model.gpt import GPT

    cfg = get_preset("tiny", vocab_size=tokenizer.vocab_size, n_layer=2, n_embd=128, n_head=2, n_kv_head=1)
    return GPT(cfg).eval()


@pytest.fixture(scope="session")
def heldout_files() -> list[str]:
    return list(HELDOUT_FILES)


@pytest.fixture(autouse=True)
def _sandbox_policy(trusted_programs):
    """The programs these tests run are ours (see `trusted_programs` in tests/conftest.py)."""
    yield
