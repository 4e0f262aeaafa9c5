"""CLaRa-style memory vectors: padding-independent compression, and reconstruction learned from them."""

from __future__ import annotations

import json

import torch

from cppllm.index.latent import Compressor, LatentConfig, main
from cppllm.model.checkpoint import load_checkpoint_model


def test_memory_vectors_do_not_depend_on_batch_padding(embedder_ckpt):
    gpt = load_checkpoint_model(embedder_ckpt)
    comp = Compressor(gpt, LatentConfig(memory_tokens=3)).eval()
    ids = torch.tensor([[1, 5, 6, 7, 2], [1, 9, 2, 0, 0]])
    lengths = torch.tensor([5, 3])
    with torch.no_grad():
        both = comp(ids, lengths)
        alone = comp(ids[1:, :3], lengths[1:])
    assert both.shape == (2, 3, gpt.config.n_embd)
    assert torch.allclose(both[1], alone[0], atol=1e-5)


def test_reconstruction_from_memory_vectors_is_learned(embedder_ckpt, tmp_path):
    rows = [{"kind": "doc", "query": f"Returns the value number {i} doubled.",
             "positive": f"int value_{i}(int x) {{ return {i} * x + {i * 7}; }}", "negative": ""}
            for i in range(4)]  # fmt: skip
    (tmp_path / "pairs" / "pairs").mkdir(parents=True)
    for split in ("train", "val"):
        (tmp_path / "pairs" / "pairs" / f"{split}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows)
        )
    out = tmp_path / "latent"
    assert main(["--init-from", str(embedder_ckpt), "--data", str(tmp_path / "pairs"), "--out", str(out),
                 "-k", "4", "--steps", "40", "--batch-size", "4", "--lr", "3e-3", "--max-tokens", "48",
                 "--no-progress"]) == 0  # fmt: skip
    r = json.loads((out / "latent_report.json").read_text())
    a, b = r["after_training"], r["before_training"]
    # the frozen generator alone does not change; with the trained memory vectors the chunk costs less
    assert a["bpb_recon_none"] == b["bpb_recon_none"]
    assert a["bpb_recon_mem"] < b["bpb_recon_mem"] and a["bpb_recon_mem"] < a["bpb_recon_none"]
    assert a["bpb_recon_mem"] < a["bpb_recon_other"]  # the chunk's own memory beats another chunk's
    assert a["prompt_tokens_memory"] == 4 and a["prompt_tokens_raw"] > 4
