"""Context parallelism on CPU: two gloo ranks, each with half of every sequence, give the single-process
loss and gradients (GQA + dense FFN, and MLA + MoE)."""

from __future__ import annotations

import json

import pytest

WORKER = r"""
import json, sys
import torch
import torch.distributed as dist
from cppllm.model.config import get_preset
from cppllm.model.context_parallel import ContextParallel
from cppllm.model.gpt import GPT
from cppllm.train.distributed import exit_process

torch.set_num_threads(1)
dist.init_process_group("gloo")
cp = ContextParallel()
results = {}
configs = {
    "gqa-dense": get_preset("tiny", vocab_size=97, n_layer=2, n_embd=64, n_head=4, n_kv_head=2, head_dim=16,
                            max_seq_len=64, tie_embeddings=False),
    "mla-moe": get_preset("moe-tiny", vocab_size=97, n_layer=2, n_embd=64, n_head=4, max_seq_len=64,
                          kv_lora_rank=24, qk_nope_head_dim=16, qk_rope_head_dim=8, v_head_dim=12,
                          n_routed_experts=8, moe_hidden=16, q_lora_rank=20),
}
for name, cfg in configs.items():
    model = GPT(cfg)  # same seed: the same weights on every rank
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 97, (2, 32), generator=g)
    y = torch.randint(0, 97, (2, 32), generator=g)
    ref_loss = model(x, y)
    ref_loss.backward()
    ref = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    model.enable_context_parallel(cp)
    loss = model(cp.shard(x), cp.shard(y))
    loss.backward()
    loss = loss.detach()
    dist.all_reduce(loss)
    loss /= cp.world
    grad_diff = 0.0
    for n, p in model.named_parameters():
        dist.all_reduce(p.grad)
        p.grad /= cp.world
        grad_diff = max(grad_diff, float((p.grad - ref[n]).abs().max()))
    grad_scale = max(float(t.abs().max()) for t in ref.values())
    results[name] = dict(loss=float(loss), ref_loss=float(ref_loss), grad_diff=grad_diff, grad_scale=grad_scale)
if cp.rank == 0:
    with open(sys.argv[1], "w") as f:
        json.dump(results, f)
dist.destroy_process_group()
exit_process(0)  # gloo's threads can abort a normal finalization (see exit_process)
"""


def test_two_gloo_ranks_equal_one_process(tmp_path, torchrun):
    script = tmp_path / "cp_worker.py"
    script.write_text(WORKER)
    out = tmp_path / "result.json"
    res = torchrun(str(script), str(out))
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    results = json.loads(out.read_text())
    assert set(results) == {"gqa-dense", "mla-moe"}
    for name, r in results.items():
        assert r["loss"] == pytest.approx(r["ref_loss"], rel=1e-6), name
        assert r["grad_diff"] < 1e-6 * max(1.0, r["grad_scale"]), (name, r)


def test_shard_positions_and_mask_without_a_process_group():
    from cppllm.model.context_parallel import ContextParallel

    with pytest.raises(RuntimeError, match="process group"):
        ContextParallel()
    cp = ContextParallel.__new__(ContextParallel)  # the split arithmetic of rank 1 of 2, no communication
    cp.group, cp.rank, cp.world = None, 1, 2
    import torch

    x = torch.arange(16)[None]
    assert cp.shard(x).tolist() == [[4, 5, 6, 7, 8, 9, 10, 11]]  # chunks 1 and 2 of 4
    assert cp.positions(8, torch.device("cpu")).tolist() == [4, 5, 6, 7, 8, 9, 10, 11]
    m = cp.mask(8, torch.device("cpu"))[0, 0]  # keys: rank 0's [0-3, 12-15], then rank 1's [4-11]
    assert m.shape == (8, 16)
    assert m[0, :4].all() and not m[0, 4:8].any() and m[0, 8] and not m[0, 9:].any()
    assert m[7, :4].all() and not m[7, 4:8].any() and m[7, 8:].all()
    with pytest.raises(ValueError, match="multiple"):
        cp.shard(torch.arange(10)[None])
