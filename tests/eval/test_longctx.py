"""Long-context eval: position buckets add up to the plain bpb, recall probes are built from real code with
the definition far back, and `--tasks longctx` puts an LCFT run next to its base in eval.json and the report."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from cppllm.eval.__main__ import main as eval_main
from cppllm.eval.longctx import position_bpb, recall_probes
from cppllm.eval.report import build_report
from cppllm.loss import bits_per_byte
from cppllm.model.config import get_preset
from cppllm.model.gpt import GPT
from cppllm.pipeline.pretokenize.indexed import IndexedWriter
from cppllm.tokenizer.special import BOS_ID, EOS_ID
from cppllm.tokenizer.tokenizer import train_tokenizer
from cppllm.train.__main__ import main as train_main

FILLER = "".join(f"int filler_{i}(int v) {{ return v + {i}; }}\n" for i in range(40))
SOURCE = "int compute_checksum(const char* data, int size) {\n  return size;\n}\n" + FILLER


@pytest.fixture(scope="module")
def tok(cpp_sample):
    return train_tokenizer([*list(cpp_sample.values())[:20], SOURCE], 600)


def test_position_buckets_add_up_to_the_plain_bits_per_byte(tok):
    model = GPT(
        get_preset("tiny", vocab_size=640, n_layer=1, n_embd=32, n_head=2, n_kv_head=1, head_dim=16)
    ).eval()
    ids = np.asarray([BOS_ID, *tok.encode(SOURCE * 2), EOS_ID], dtype=np.int64)
    tb = np.zeros(640, dtype=np.int64)
    tb[: tok.vocab_size] = tok.token_bytes()
    rows = position_bpb(model, [ids, ids[5:]], tb, ctx=64, bucket=16)
    assert [(r["start"], r["end"]) for r in rows] == [(0, 16), (16, 32), (32, 48), (48, 64)]
    nats = sum(r["bpb"] * math.log(2) * r["bytes"] for r in rows)
    total = nats / (math.log(2) * sum(r["bytes"] for r in rows))
    tiles = [d[s : s + 65] for d in (ids, ids[5:]) for s in range(0, len(d) - 64, 64)]
    assert len(tiles) > 2
    w = torch.from_numpy(np.stack(tiles))
    assert total == pytest.approx(bits_per_byte(model, [(w[:, :-1], w[:, 1:])], tb, "cpu"), rel=1e-6)


def test_recall_probe_has_the_definition_far_back_and_the_control_does_not(tok):
    (probe,) = recall_probes([SOURCE], tok, [120], per_distance=1)
    assert probe["name"] == "compute_checksum" and probe["answer"] == "te_checksum"
    prompt, control = tok.decode(probe["prompt"]), tok.decode(probe["control"])
    assert prompt.startswith("int compute_checksum(") and prompt.endswith("\ncompu")
    assert "compute_checksum" not in control and control.endswith("\ncompu")
    assert len(probe["prompt"]) == 120 + len(tok.encode("\ncompu"))
    # a name used again before the probe point is not probed (recall would come from the nearer use)
    used = SOURCE.replace(FILLER, "int x = compute_checksum(0, 0);\n" + FILLER)
    assert "compute_checksum" not in {p["name"] for p in recall_probes([used], tok, [120], per_distance=5)}


def test_longctx_task_scores_an_lcft_run_next_to_its_base(tmp_path, cpp_sample):
    texts = [t for _, t in sorted(cpp_sample.items()) if t.strip()]
    tok = train_tokenizer(texts, 512)
    data = tmp_path / "data"
    tok.save(data / "tokenizer")
    (data / "bin").mkdir(parents=True)
    long_docs = ["\n".join(texts[i : i + 5]) for i in range(0, len(texts), 5)]
    for split, docs in (("val", long_docs[:3]), ("train", long_docs[3:])):
        with IndexedWriter(data / "bin" / split, np.uint16) as w:
            for ids in tok.encode_batch(docs):
                w.add_document([BOS_ID, *ids, EOS_ID])
    (data / "manifest.json").write_text(json.dumps({"tokenizer_hash": tok.hash()}))
    micro = ["--model", "n_layer=1", "--model", "n_embd=64", "--model", "n_head=2", "--model", "n_kv_head=1"]
    micro += ["--model", "head_dim=32", "--model", "max_seq_len=32", "--no-progress", "--val-tokens", "256"]
    base, lcft = tmp_path / "base", tmp_path / "lcft"
    assert (
        train_main([*micro, "--data", str(data), "--out", str(base), "--steps", "2", "--seq-len", "32"]) == 0
    )
    args = ["--stage", "lcft", "--init-from", str(base), "--seq-len", "64", "--rope-scaling", "yarn"]
    assert train_main([*args, "--data", str(data), "--out", str(lcft), "--steps", "2", "--no-progress"]) == 0
    flags = ["--longctx-bucket", "16", "--longctx-docs", "3", "--longctx-probes", "2", "--no-progress"]
    assert eval_main(["--run", str(lcft), "--tasks", "longctx", *flags]) == 0
    sec = json.loads((lcft / "eval.json").read_text())["longctx"]
    assert sec["ctx"] == 64 and set(sec["models"]) == {"run", "parent"}
    run, parent = sec["models"]["run"], sec["models"]["parent"]
    assert run["rope_scaling"] == "yarn" and not run["extrapolated"]
    assert parent["extrapolated"] and parent["model_max_seq_len"] == 64 and parent["rope_scaling"] is None
    for m in (run, parent):
        assert [b["start"] for b in m["position_bpb"]] == [0, 16, 32, 48]
        assert all(b["bpb"] > 0 for b in m["position_bpb"])
        assert m["recall"] and all(r["n"] <= 2 for r in m["recall"])
    md = build_report(lcft)
    assert "## Long context" in md and "| 48-64 |" in md and "parent (ctx 64, extrapolated)" in md
    assert Path(parent["checkpoint"]) == (base / "ckpt" / "latest").resolve()
