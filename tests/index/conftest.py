"""A micro embedder checkpoint (random weights, a small BPE) and a small C++ repository on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

GEO = {
    "include/shapes.h": """// shapes.h: geometry helpers
#pragma once

namespace geo {

class Circle {
 public:
  /// Area of the circle in square units.
  double area() const;
  // Scales the radius by a positive factor.
  void scale(double f) { r_ *= f; }

 private:
  double r_ = 1.0;
};

/** Distance between two points on the plane. */
double distance(double x0, double y0, double x1, double y1);

}  // namespace geo
""",
    "src/shapes.cpp": """#include "shapes.h"

namespace geo {

double Circle::area() const {
  const double pi = 3.14159;
  return pi * r_ * r_;
}

/// Euclidean distance of two points.
double distance(double x0, double y0, double x1, double y1) {
  double dx = x1 - x0, dy = y1 - y0;
  return std::sqrt(dx * dx + dy * dy);
}

}  // namespace geo
""",
    "src/text.cpp": """#include <string>
#include <vector>

// Splits a string on a delimiter character into its pieces.
std::vector<std::string> split_string(const std::string& s, char delim) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == delim) { out.push_back(cur); cur.clear(); } else { cur += c; }
  }
  out.push_back(cur);
  return out;
}

// Joins pieces with a separator between each pair of neighbours.
std::string join_strings(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

void print_all(const std::vector<std::string>& parts) {
  std::string all = join_strings(parts, ", ");
  puts(all.c_str());
}
""",
}


def write_repo(root: Path, files: dict[str, str] = GEO) -> Path:
    for path, text in files.items():
        f = root / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    return root


@pytest.fixture(scope="session")
def embedder_ckpt(tmp_path_factory) -> Path:
    """An embed-stage checkpoint layout around a random micro GPT (what `--stage embed` writes)."""
    from cppllm.model.config import GPTConfig
    from cppllm.model.embedder import EmbedConfig, Embedder, save_embedder
    from cppllm.model.gpt import GPT
    from cppllm.tokenizer.tokenizer import train_tokenizer

    root = tmp_path_factory.mktemp("embedder")
    tok = train_tokenizer(list(GEO.values()) * 4, 300)
    tok.save(root / "tokenizer")
    cfg = GPTConfig(vocab_size=tok.vocab_size, n_layer=1, n_embd=32, n_head=2, n_kv_head=1, head_dim=16,
                    mlp_hidden=64, max_seq_len=64)  # fmt: skip
    model = Embedder(GPT(cfg), EmbedConfig(pooling="mean", max_tokens=64))
    extra = {"train": {"stage": "embed", "tokenizer": str(root / "tokenizer")}}
    return save_embedder(model, root / "run" / "ckpt" / "latest", extra)


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield
