"""Compile rate against training steps: every checkpoint and a bigram baseline on one prompt set."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from cppllm.eval.curve import main as curve_main
from cppllm.eval.ngram import BigramCompleter
from cppllm.pipeline.pretokenize.indexed import IndexedReader


def test_bigram_completions_only_use_pairs_seen_in_training(heldout_dir, tokenizer):
    train = np.asarray(IndexedReader(heldout_dir / "bin" / "train").tokens, dtype=np.int64)
    seen = set(zip(train[:-1].tolist(), train[1:].tolist(), strict=True))
    bigram = BigramCompleter(train, tokenizer)
    prompt = "int main() {\n"
    outs = bigram([prompt] * 4, max_new_tokens=24, seed=3)
    assert outs == bigram([prompt] * 4, max_new_tokens=24, seed=3)  # seeded
    assert len({o.text for o in outs}) > 1 and all(o.text for o in outs)
    # Every sampled step follows a (previous, next) pair of the training stream.
    prev = tokenizer.encode(prompt)[-1]
    rng = np.random.default_rng(0)
    for _ in range(300):
        nxt = bigram._sample(prev, rng)
        assert (prev, nxt) in seen
        prev = nxt


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_curve_measures_every_checkpoint_and_the_baseline_then_resumes(
    tmp_path, heldout_dir, tiny_model, capsys
):
    from cppllm.model.checkpoint import save_checkpoint_model

    run = tmp_path / "run"
    for step in (2, 4):
        save_checkpoint_model(tiny_model, run / "ckpt" / f"step_{step:06d}", {"step": step})
    argv = [
        "--run",
        str(run),
        "--data",
        str(heldout_dir),
        "--samples",
        "3",
        "--max-new-tokens",
        "12",
        "--jobs",
        "2",
    ]
    assert curve_main(argv) == 0
    curve = json.loads((run / "compile_curve.json").read_text())
    assert sorted(curve["steps"]) == ["2", "4"] and curve["n_prompts"] == 3
    assert curve["reference"]["ok"] == 3  # selection kept prompts whose real continuation compiles
    assert curve["bigram"]["n"] == 3 and curve["bigram"]["train_tokens"] > 0
    assert all(p["n"] == 3 and 0 <= p["rate"] <= 1 for p in curve["steps"].values())
    assert (run / "compile_curve.png").stat().st_size > 0
    capsys.readouterr()
    assert curve_main(argv) == 0  # a rerun measures nothing again
    err = capsys.readouterr().err
    assert "[curve] step" not in err and "bigram baseline" not in err
