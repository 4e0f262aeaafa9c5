"""`--stage` / `--init-from`: a new run from another run's weights, allowed and refused changes, lineage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from cppllm.model.checkpoint import load_checkpoint_model
from cppllm.tokenizer.tokenizer import train_tokenizer
from cppllm.train.__main__ import main
from cppllm.train.metrics import read_metrics

MICRO = [
    "--preset", "tiny",
    "--model", "n_layer=2", "--model", "n_embd=64", "--model", "n_head=2", "--model", "n_kv_head=1",
    "--model", "head_dim=32", "--model", "max_seq_len=32",
    "--seq-len", "32", "--batch-tokens", "256", "--no-progress", "--log-every", "1",
]  # fmt: skip
FAST = ["--seq-len", "32", "--batch-tokens", "256", "--no-progress", "--log-every", "1"]


@pytest.fixture(scope="module")
def base(data_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("stages") / "base"
    assert (
        main([*MICRO, "--data", str(data_dir), "--out", str(out), "--steps", "6", "--val-tokens", "512"]) == 0
    )
    return out


def child(data_dir: Path, out: Path, *extra: str) -> list[dict]:
    assert main(["--data", str(data_dir), "--out", str(out), "--val-tokens", "512", *extra]) == 0
    return read_metrics(out / "metrics.jsonl")


def test_init_from_loads_the_weights_with_a_fresh_schedule_and_records_the_parent(base, data_dir, tmp_path):
    base_bpb = [r["val_bpb"] for r in read_metrics(base / "metrics.jsonl") if "val_bpb" in r][-1]
    recs = child(data_dir, tmp_path / "c", *FAST, "--init-from", str(base), "--steps", "3")
    # step 0 of the child scores the parent's final weights: the same val bpb, not an untrained model's
    assert recs[0]["step"] == 0 and recs[0]["val_bpb"] == pytest.approx(base_bpb, rel=1e-5)
    assert [r["step"] for r in recs] == [0, 1, 2, 3]
    cfg = json.loads((tmp_path / "c" / "config.json").read_text())
    base_cfg = json.loads((base / "config.json").read_text())
    assert cfg["model"] == base_cfg["model"]  # inherited, without repeating the --model overrides
    assert cfg["train"]["preset"] == "tiny" and cfg["train"]["stage"] == "pretrain"
    assert cfg["parent"]["run"] == str(base.resolve()) and cfg["parent"]["step"] == 6
    assert cfg["parent"]["checkpoint"].endswith("step_000006") and cfg["parent"]["parent"] is None
    assert cfg["train"]["warmup_frac"] < 1 and cfg["train"]["steps"] == 3  # its own schedule
    # a grandchild keeps the whole lineage
    child(
        data_dir,
        tmp_path / "g",
        *FAST,
        "--init-from",
        str(tmp_path / "c" / "ckpt" / "latest"),
        "--steps",
        "1",
    )
    lineage = json.loads((tmp_path / "g" / "config.json").read_text())["parent"]
    assert lineage["run"] == str((tmp_path / "c").resolve()) and lineage["parent"]["run"] == str(
        base.resolve()
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--model", "n_layer=3"], "cannot change the model's n_layer: 2 -> 3"),
        (["--model", "rope_theta=500000"], "cannot change the model's rope_theta"),
        (["--seq-len", "64"], "extend the context in a long-context stage first"),
        (["--stage", "lcft", "--seq-len", "64", "--model", "n_embd=128"], "lcft stage cannot change"),
        (["--preset", "d12"], "--preset d12 differs from the parent's tiny"),
    ],
)
def test_init_from_refuses_changes_the_stage_may_not_make(base, data_dir, tmp_path, extra, message):
    args = ["--batch-tokens", "256", "--no-progress", "--init-from", str(base), "--steps", "1", *extra]
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        child(data_dir, tmp_path / "c", *args)
    assert not (tmp_path / "c" / "ckpt").exists()


def test_init_from_refuses_another_tokenizer(base, data_dir, tmp_path, cpp_sample):
    texts = [t for _, t in sorted(cpp_sample.items()) if t.strip()][:30]
    other = train_tokenizer(texts, 400).save(tmp_path / "other")
    with pytest.raises(ValueError, match="the parent was trained with tokenizer"):
        child(
            data_dir,
            tmp_path / "c",
            *FAST,
            "--init-from",
            str(base),
            "--steps",
            "1",
            "--tokenizer",
            str(other),
        )


def test_stages_after_pretrain_need_a_parent(data_dir, tmp_path):
    with pytest.raises(ValueError, match="pass --init-from"):
        child(data_dir, tmp_path / "c", *MICRO, "--stage", "lcft", "--steps", "1")


def test_lcft_extends_the_context_2x_with_yarn(base, data_dir, tmp_path):
    out = tmp_path / "lcft"
    recs = child(
        data_dir,
        out,
        *["--stage", "lcft", "--init-from", str(base), "--seq-len", "64", "--rope-scaling", "yarn"],
        *["--batch-tokens", "256", "--no-progress", "--log-every", "1", "--steps", "3"],
    )
    cfg = json.loads((out / "config.json").read_text())
    m = cfg["model"]
    assert m["max_seq_len"] == 64 and m["rope_scaling"] == "yarn"
    assert m["yarn_factor"] == 2.0 and m["yarn_original_max_seq_len"] == 32
    assert cfg["train"]["seq_len"] == 64 and cfg["parent"]["stage"] == "pretrain"
    assert all(r["loss"] is None or r["loss"] > 0 for r in recs) and recs[-1]["step"] == 3
    model = load_checkpoint_model(out / "ckpt" / "latest")
    assert model.config.yarn_factor == 2.0
    with torch.no_grad():  # the extended model runs at 64 tokens (the parent refuses more than 32)
        assert model(torch.zeros(1, 64, dtype=torch.long)).shape[1] == 64
    base_model = load_checkpoint_model(base / "ckpt" / "latest")
    with pytest.raises(ValueError, match="max_seq_len"):
        base_model(torch.zeros(1, 64, dtype=torch.long))
    # the weights came from the parent: one LCFT step moved them only a little
    drift = (model.blocks[0].mlp.gate_proj.weight - base_model.blocks[0].mlp.gate_proj.weight).norm()
    assert drift < base_model.blocks[0].mlp.gate_proj.weight.norm()


def test_resume_inside_a_stage_continues_exactly(base, data_dir, tmp_path):
    args = [*FAST, "--init-from", str(base), "--steps", "4"]
    full = child(data_dir, tmp_path / "full", *args)
    child(data_dir, tmp_path / "split", *args, "--stop-at-step", "2")
    resumed = child(data_dir, tmp_path / "split", *args, "--resume")
    want = {r["step"]: r["loss"] for r in full if r["loss"] is not None}
    got = {r["step"]: r["loss"] for r in resumed if r["loss"] is not None}
    assert got == want
    with pytest.raises(ValueError, match="init_from"):
        child(data_dir, tmp_path / "split", *FAST, "--steps", "4", "--preset", "tiny", "--resume")
