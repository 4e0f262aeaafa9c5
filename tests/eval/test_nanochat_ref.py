"""report.md puts our val bpb next to English nanochat's published figures (M1's "competitive" criterion)."""

from __future__ import annotations

import json

from cppllm.eval import nanochat_ref
from cppllm.eval.report import build_report


def test_nearest_published_model_by_size():
    assert nanochat_ref.nearest(431_000_000).model.startswith("nanochat d20")
    assert all(f.source and 0.5 < f.val_bpb < 1.0 for f in nanochat_ref.FIGURES)


def test_report_md_compares_our_bpb_with_nanochat(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"num_params": 431_279_360, "world_size": 8}))
    bpb = {"bpb": 0.65, "unigram_bpb": 3.9, "tokens": 1000, "bytes": 4000}
    (tmp_path / "eval.json").write_text(json.dumps({"bpb": bpb}))
    md = build_report(tmp_path)
    assert "Next to English nanochat" in md
    assert "| this run | 431M | C++" in md and "0.6500" in md and "0.8120" in md
    assert "ours is 20% lower (0.650 vs 0.812 bits per byte)" in md
    assert "only unit the two share" in md


def test_no_bpb_no_comparison(tmp_path):
    (tmp_path / "eval.json").write_text(json.dumps({"bpb": {"error": "no val split"}}))
    assert "Next to English nanochat" not in build_report(tmp_path)
