"""--stage embed: InfoNCE against a hand computation, pooling, and a micro embed run from a parent."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from cppllm.model.embedder import EmbedConfig, Embedder, batch_ids, load_embedder
from cppllm.model.gpt import GPT
from cppllm.train.__main__ import main
from cppllm.train.embed import contrastive_loss, info_nce

MICRO = [
    "--preset", "tiny", "--model", "n_layer=1", "--model", "n_embd=32", "--model", "n_head=2",
    "--model", "n_kv_head=1", "--model", "head_dim=16", "--model", "mlp_hidden=64",
    "--seq-len", "32", "--batch-tokens", "256", "--no-progress", "--log-every", "1",
]  # fmt: skip


def test_info_nce_equals_the_hand_computation():
    g = torch.Generator().manual_seed(0)
    q, p, n = (torch.nn.functional.normalize(torch.randn(k, 5, generator=g), dim=-1) for k in (3, 3, 2))
    t = 0.1
    expected = 0.0
    for i in range(3):
        cands = [*p, *n]
        denom = sum(math.exp(float(q[i] @ c) / t) for c in cands)
        expected += -math.log(math.exp(float(q[i] @ p[i]) / t) / denom)
    expected /= 3
    assert info_nce(q, p, n, temperature=t).item() == pytest.approx(expected, rel=1e-5)
    # in-batch only: the hard negatives leave the denominator
    inbatch = (
        sum(
            -math.log(math.exp(float(q[i] @ p[i]) / t) / sum(math.exp(float(q[i] @ c) / t) for c in p))
            for i in range(3)
        )
        / 3
    )
    assert info_nce(q, p, None, temperature=t).item() == pytest.approx(inbatch, rel=1e-5)


def test_symmetric_loss_adds_the_code_to_query_direction_by_hand():
    g = torch.Generator().manual_seed(1)
    q, p = (torch.nn.functional.normalize(torch.randn(3, 4, generator=g), dim=-1) for _ in range(2))
    t = 0.2
    back = sum(
        -math.log(math.exp(float(p[i] @ q[i]) / t) / sum(math.exp(float(p[i] @ c) / t) for c in q))
        for i in range(3)
    ) / 3  # fmt: skip
    forward = info_nce(q, p, None, temperature=t).item()
    assert contrastive_loss(q, p, None, temperature=t, symmetric=False).item() == pytest.approx(forward)
    got = contrastive_loss(q, p, None, temperature=t, symmetric=True).item()
    assert got == pytest.approx((forward + back) / 2, rel=1e-5) and got != pytest.approx(forward)


def test_prepare_splits_identifiers_and_prefixes_each_side():
    cfg = EmbedConfig(split_identifiers=True, query_prefix="query: ", doc_prefix="code: ")
    assert cfg.prepare("int getNumElements() { return num_elems_; }", "doc") == (
        "code: int get num elements() { return num elems; }"
    )
    assert cfg.prepare("Returns the size.", "query") == "query: returns the size."
    assert EmbedConfig().prepare("getNumElements", "query") == "getNumElements"  # off by default
    with pytest.raises(ValueError, match="role"):
        cfg.prepare("x", "passage")


def test_pooling_ignores_padding_and_last_is_the_eos_position():
    from cppllm.model.config import GPTConfig

    cfg = GPTConfig(vocab_size=64, n_layer=1, n_embd=16, n_head=2, n_kv_head=1, head_dim=8, mlp_hidden=32,
                    max_seq_len=32)  # fmt: skip
    gpt = GPT(cfg).eval()
    ids, lengths = batch_ids([[5, 6, 7], [9]], bos=1, eos=2, pad=0, max_tokens=8)
    assert ids.tolist() == [[1, 5, 6, 7, 2], [1, 9, 2, 0, 0]] and lengths.tolist() == [5, 3]
    for pooling in ("mean", "last"):
        emb = Embedder(gpt, EmbedConfig(pooling=pooling, max_tokens=8)).eval()
        alone = emb(torch.tensor([[1, 9, 2]]), torch.tensor([3]))
        batched = emb(ids, lengths)[1:]
        assert torch.allclose(alone, batched, atol=1e-5), pooling  # the padding does not leak in
    h = gpt.forward_hidden(ids)
    last = Embedder(gpt, EmbedConfig(pooling="last")).pool(h, lengths)
    assert torch.equal(last[1], h[1, 2])


def _pairs(root: Path) -> Path:
    words = ["parse", "print", "sort", "hash", "merge", "split", "join", "scan"]
    rows = {"train": [], "val": []}
    for i, w in enumerate(words * 3):
        split = "val" if i >= 16 else "train"
        code = f"int {w}_{i}(int x) {{ return x * {i} + {len(w)}; }}"
        rows[split].append({"kind": "doc", "query": f"{w} the input {i}", "positive": code,
                            "negative": f"int other_{i}() {{ return 0; }}", "repo": split, "path": "a.cc",
                            "line": i})  # fmt: skip
    (root / "pairs").mkdir(parents=True)
    for split, rs in rows.items():
        (root / "pairs" / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rs))
    return root


def test_embed_stage_trains_from_a_parent_and_saves_an_embedder(data_dir, tmp_path):
    base = tmp_path / "base"
    assert (
        main([*MICRO, "--data", str(data_dir), "--out", str(base), "--steps", "2", "--val-tokens", "256"])
        == 0
    )
    pairs = _pairs(tmp_path / "pairs_out")
    out = tmp_path / "embed"
    argv = ["--stage", "embed", "--init-from", str(base), "--data", str(pairs), "--out", str(out),
            "--steps", "30", "--pairs-per-batch", "8", "--lr", "3e-3", "--eval-every", "30", "--seq-len", "32",
            "--no-progress", "--split-identifiers", "--query-prefix", "q: ", "--symmetric-loss"]  # fmt: skip
    assert main(argv) == 0
    recs = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in recs if "loss" in r]
    assert len(losses) == 30 and sum(losses[-5:]) / 5 < sum(losses[:5]) / 5  # it learns
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["parent"]["run"] == str(base.resolve()) and cfg["train"]["stage"] == "embed"
    model, trained = load_embedder(out / "ckpt" / "latest")
    assert trained and model.cfg.pooling == "mean"
    # the input normalisation is part of the embedder: index and queries read text as training did
    assert model.cfg.split_identifiers and model.cfg.query_prefix == "q: " and model.cfg.doc_prefix == ""
    # the GPT part stays a plain checkpoint: the base's loader reads it
    plain, trained = load_embedder(base / "ckpt" / "latest")
    assert not trained
    with pytest.raises(SystemExit):
        main(["--stage", "embed", "--data", str(pairs), "--out", str(tmp_path / "x")])  # no --init-from
