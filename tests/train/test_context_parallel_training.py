"""`python -m cppllm.train --context-parallel 2` on two gloo ranks equals one process: losses, val bpb and
final weights (dense GQA and MoE + MLA), resume, the loss weighting of unevenly scored shards, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from cppllm.train.__main__ import main
from cppllm.train.config import TrainConfig
from cppllm.train.context_parallel import check_context_parallel
from cppllm.train.distributed import DistInfo
from cppllm.train.metrics import read_metrics

SHAPE = ["--seq-len", "32", "--batch-tokens", "256", "--no-progress", "--log-every", "1", "--steps", "3",
         "--micro-batch", "4", "--eval-every", "3", "--val-tokens", "512"]  # fmt: skip
DENSE = ["--preset", "tiny", "--model", "n_layer=2", "--model", "n_embd=64", "--model", "n_head=2",
         "--model", "n_kv_head=1", "--model", "head_dim=32", "--model", "max_seq_len=32", *SHAPE]  # fmt: skip
MOE = ["--preset", "moe-tiny", "--model", "n_layer=2", "--model", "n_embd=64", "--model", "n_head=2",
       "--model", "max_seq_len=32", "--model", "kv_lora_rank=32", "--model", "qk_nope_head_dim=16",
       "--model", "qk_rope_head_dim=16", "--model", "v_head_dim=32", "--model", "n_routed_experts=8",
       "--model", "moe_hidden=32", "--model", "router_bias_rate=0.01", *SHAPE]  # fmt: skip

# One torchrun launch (start-up dominates): the loss weighting on a bare model, then the CLI runs.
WORKER = r"""
import json, sys
import torch
import torch.distributed as dist
from cppllm.model.config import get_preset
from cppllm.model.gpt import GPT
from cppllm.train import trainer
from cppllm.train.__main__ import main
from cppllm.train.context_parallel import SequenceSplit
from cppllm.train.distributed import DistInfo, exit_process

out, runs = sys.argv[1], json.loads(sys.argv[2])
torch.set_num_threads(1)
dist.init_process_group("gloo")
rank = dist.get_rank()
cfg = get_preset("tiny", vocab_size=97, n_layer=2, n_embd=64, n_head=4, n_kv_head=2, head_dim=16,
                 max_seq_len=32, tie_embeddings=False)
model = GPT(cfg)
g = torch.Generator().manual_seed(3)
x, y = torch.randint(0, 97, (2, 32), generator=g), torch.randint(0, 97, (2, 32), generator=g)
y[0, 3:20] = -1  # rank 0 holds positions 0-7 and 24-31: it scores 27 targets, rank 1 only 17
y[1, 10:13] = -1
ref = model(x, y)  # one process: the mean over all scored targets
ref.backward()
ref_grads = {n: p.grad.clone() for n, p in model.named_parameters()}
model.zero_grad()
split = SequenceSplit(DistInfo(rank=rank, world_size=2, cp_size=2))
model.enable_context_parallel(split.cp)
loss = split.loss(model, x, y)
loss.backward()
loss = loss.detach()
dist.all_reduce(loss)
loss /= 2  # the mean of the ranks' losses, as the trainer logs it
diff = 0.0
for n, p in model.named_parameters():
    dist.all_reduce(p.grad)
    p.grad /= 2  # what DDP does: the mean over the ranks
    diff = max(diff, float((p.grad - ref_grads[n]).abs().max()))
scored = int((split.cp.shard(y) != -1).sum())
# the CLI runs share this process group (re-initialising gloo in one process is flaky)
trainer.shutdown_distributed = lambda: None
for argv in runs:
    assert main(argv) == 0
dist.destroy_process_group()
if rank == 0:
    with open(out, "w") as f:
        json.dump({"loss": float(loss), "ref": float(ref), "grad_diff": diff, "rank0_scored": scored}, f)
exit_process(0)  # gloo's threads can abort a normal finalization (see exit_process)
"""


def _losses(out: Path) -> list[tuple[int, float | None, float | None]]:
    return [(r["step"], r["loss"], r.get("val_bpb")) for r in read_metrics(out / "metrics.jsonl")]


def _weights(out: Path) -> dict[str, torch.Tensor]:
    return load_file(str(out / "ckpt" / "latest" / "model.safetensors"))


def _assert_same_run(one: Path, cp: Path) -> None:
    a, b = _losses(one), _losses(cp)
    assert [s for s, _, _ in a] == [s for s, _, _ in b] == [0, 1, 2, 3]
    for (_, la, ba), (_, lb, bb) in zip(a, b, strict=True):
        if la is not None:
            assert lb == pytest.approx(la, rel=1e-5)
        if ba is not None:
            assert bb == pytest.approx(ba, rel=1e-5)
    wa, wb = _weights(one), _weights(cp)
    assert set(wa) == set(wb)
    for k in wa:
        torch.testing.assert_close(wb[k], wa[k], rtol=1e-4, atol=2e-5)


def test_context_parallel_training_equals_one_process(data_dir, tmp_path, torchrun):
    data = ["--data", str(data_dir)]
    for name, shape in (("dense", DENSE), ("moe", MOE)):
        assert main([*shape, *data, "--out", str(tmp_path / f"one-{name}")]) == 0
    cp = ["--context-parallel", "2"]
    runs = [
        [*DENSE, *data, *cp, "--out", str(tmp_path / "cp-dense")],
        [*MOE, *data, *cp, "--out", str(tmp_path / "cp-moe")],
        [*DENSE, *data, *cp, "--out", str(tmp_path / "cp-resumed"), "--stop-at-step", "2"],
        [*DENSE, *data, *cp, "--out", str(tmp_path / "cp-resumed"), "--resume"],
    ]
    script = tmp_path / "cp_worker.py"
    script.write_text(WORKER)
    result = tmp_path / "result.json"
    res = torchrun(str(script), str(result), json.dumps(runs))
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]

    # the loss weighting: shards with unequal scored targets still give the one-process mean and gradients
    r = json.loads(result.read_text())
    assert r["rank0_scored"] == 27
    assert r["loss"] == pytest.approx(r["ref"], rel=1e-6)
    assert r["grad_diff"] < 1e-6

    _assert_same_run(tmp_path / "one-dense", tmp_path / "cp-dense")
    _assert_same_run(tmp_path / "one-moe", tmp_path / "cp-moe")
    one_moe = read_metrics(tmp_path / "one-moe" / "metrics.jsonl")
    cp_moe = read_metrics(tmp_path / "cp-moe" / "metrics.jsonl")
    assert [m.get("moe/L1/load_max") for m in cp_moe] == [m.get("moe/L1/load_max") for m in one_moe]
    cfg = json.loads((tmp_path / "cp-dense" / "config.json").read_text())
    assert cfg["world_size"] == 2 and cfg["context_parallel"] == {"size": 2, "data_parallel": 1}
    assert cfg["train"]["context_parallel"] == 2 and cfg["grad_accum"] == 2  # one 8-row batch per group

    resumed = _losses(tmp_path / "cp-resumed")
    assert resumed[-1][0] == 3 and resumed[-1][1] == pytest.approx(
        _losses(tmp_path / "one-dense")[-1][1], rel=1e-5
    )
    for k, w in _weights(tmp_path / "one-dense").items():
        torch.testing.assert_close(_weights(tmp_path / "cp-resumed")[k], w, rtol=1e-4, atol=2e-5)


def test_context_parallel_refuses_what_it_cannot_do(data_dir, tmp_path):
    with pytest.raises(ValueError, match="needs torchrun"):  # one process cannot split a sequence
        main([*DENSE, "--data", str(data_dir), "--out", str(tmp_path / "r"), "--context-parallel", "2"])
    with pytest.raises(SystemExit):
        main([*DENSE, "--data", str(data_dir), "--out", str(tmp_path / "r"), "--context-parallel", "0"])
    from cppllm.model.config import get_preset

    info = DistInfo(rank=1, world_size=4, cp_size=2)
    assert (info.dp_rank, info.dp_size) == (0, 2)
    dense = get_preset("tiny", vocab_size=512)
    ok = TrainConfig(context_parallel=2, seq_len=64)
    assert check_context_parallel(ok, info, dense) == []
    with pytest.raises(ValueError, match="multiple of 2 x --context-parallel 2"):
        check_context_parallel(TrainConfig(context_parallel=2, seq_len=66), info, dense)
    for stage in ("sft", "rl"):
        with pytest.raises(ValueError, match=f"not {stage}"):
            check_context_parallel(TrainConfig(context_parallel=2, seq_len=64, stage=stage), info, dense)
    moe = get_preset("moe-tiny", vocab_size=512, aux_loss_alpha=1e-4, capacity_factor=1.25)
    with pytest.warns(UserWarning, match="approximate"):
        notes = check_context_parallel(ok, info, moe)
    assert len(notes) == 2 and "balance loss" in notes[0] and "capacity" in notes[1]
