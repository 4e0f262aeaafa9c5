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
    assert curve["unigram"]["n"] == 3 and len(curve["unigram"]["oks"]) == 3
    assert all(p["n"] == 3 and 0 <= p["rate"] <= 1 for p in curve["steps"].values())
    assert all(p["ok"] == sum(p["oks"]) and "vs_bigram" in p for p in curve["steps"].values())
    assert curve["verdict"]["step"] == 4 and "p_fisher" in curve["verdict"]["vs_bigram"]
    assert (run / "compile_curve.png").stat().st_size > 0
    from cppllm.eval.report import build_report

    md = build_report(run)
    assert "| unigram baseline | " in md and "Verdict (one-sided tests, the last checkpoint): step 4:" in md
    capsys.readouterr()
    assert curve_main(argv) == 0  # a rerun measures nothing again
    err = capsys.readouterr().err
    assert "[curve] step" not in err and "bigram baseline" not in err
    assert "3 prompts chosen before" in err and "selection" not in err  # no reference compiled again


def test_compare_is_exact_and_one_sided():
    from cppllm.eval.curve import compare

    # 3/3 against 0/3: one table of C(6,3)=20 with this margin is as extreme, p = 1/20 exactly; not < 0.05
    t = compare([True] * 3, [False] * 3)
    assert t["p_fisher"] == pytest.approx(1 / 20) and not t["above"]
    t = compare([True] * 4, [False] * 4)  # 1/C(8,4)
    assert t["p_fisher"] == pytest.approx(1 / 70) and t["above"]
    assert t["only_model"] == 4 and t["p_mcnemar"] == pytest.approx(0.5**4)
    # one-sided: a model below its baseline is never "above", whatever the size of the gap
    t = compare([False] * 40, [True] * 40)
    assert t["p_fisher"] > 0.99 and t["p_mcnemar"] > 0.99 and not t["above"]
    # the same results on both sides: no discordant prompt, nothing to show
    t = compare([True, False] * 5, [True, False] * 5)
    assert t["p_mcnemar"] == 1.0 and not t["above"]
    with pytest.raises(ValueError, match="same prompts"):
        compare([True], [True, False])


def test_pairing_counts_prompts_where_only_one_side_compiles():
    from cppllm.eval.curve import compare

    # 12/48 vs 4/48, but the bigram's 4 are other prompts than the model's 12: 12 vs 4 discordant
    model = [True] * 12 + [False] * 36
    base = [False] * 12 + [True] * 4 + [False] * 32
    t = compare(model, base)
    assert (t["only_model"], t["only_baseline"]) == (12, 4)
    from scipy.stats import binomtest

    assert t["p_mcnemar"] == pytest.approx(binomtest(12, 16, 0.5, alternative="greater").pvalue)
    assert t["p_fisher"] < 0.05 and t["above"]


def test_verdict_is_read_at_the_last_checkpoint_not_the_best():
    from cppllm.eval.completion import wilson_interval
    from cppllm.eval.curve import add_tests, verdict_line

    def point(step, k, n=48):
        oks = [True] * k + [False] * (n - k)
        return {"step": step, "n": n, "ok": k, "ci95": list(wilson_interval(k, n)), "oks": oks}

    curve = {
        "steps": {"100": point(100, 20), "200": point(200, 3)},
        "bigram": {"oks": [False] * 47 + [True]},
        "unigram": {"oks": [False] * 48},
    }
    v = add_tests(curve)
    assert v["step"] == 200 and v["ci95_excludes_zero"]
    assert curve["steps"]["100"]["vs_bigram"]["above"]  # the earlier, better point is only descriptive
    assert not v["vs_bigram"]["above"] and not v["shown"] and "NOT shown" in verdict_line(v)
    curve["steps"]["300"] = point(300, 12)
    v = add_tests(curve)
    assert v["step"] == 300 and v["shown"] and v["vs_unigram"]["above"]
    assert "vs unigram 0/48" in verdict_line(v) and "at 95%: shown" in verdict_line(v)
