"""`cppllm.layout`: the one place that finds checkpoints, splits and tokenizers on disk."""

from __future__ import annotations

import os
from pathlib import Path

from cppllm.layout import DataRunDir, data_root, find_checkpoint, find_split, find_tokenizer, step_dir_name


def _ckpt(folder: Path, *, trainer: bool = True) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"x")
    if trainer:
        (folder / "trainer.pt").write_bytes(b"x")
    return folder


def test_find_checkpoint_prefers_latest_then_newest_step(tmp_path):
    run = tmp_path / "run"
    _ckpt(run / "ckpt" / step_dir_name(1))
    _ckpt(run / "ckpt" / step_dir_name(2), trainer=False)
    (run / "ckpt" / "latest").mkdir(parents=True, exist_ok=True)  # no checkpoint in it
    assert find_checkpoint(run).name == "step_000002"
    assert find_checkpoint(run, resumable=True).name == "step_000001"  # step 2 has no trainer.pt
    assert find_checkpoint(run / "ckpt").name == "step_000002"
    os.rmdir(run / "ckpt" / "latest")
    os.symlink("step_000001", run / "ckpt" / "latest")
    assert find_checkpoint(run).name == "step_000001"  # latest wins over the newest step
    assert find_checkpoint(run / "ckpt" / "step_000002") == (run / "ckpt" / "step_000002").resolve()
    assert find_checkpoint(tmp_path / "missing") is None


def _split(prefix: Path) -> Path:
    prefix.parent.mkdir(parents=True, exist_ok=True)
    for ext in (".bin", ".idx"):
        prefix.with_name(prefix.name + ext).write_bytes(b"")
    return prefix


def test_find_split_and_data_root(tmp_path):
    run = DataRunDir(tmp_path / "data")
    train, val = _split(run.bin / "train"), _split(run.bin / "val")
    assert find_split(run.root, "val") == val  # a data run folder
    assert find_split(run.bin, "train") == train  # its bin/ folder
    assert find_split(train, "val") == val  # the sibling of a given prefix
    assert find_split(Path(f"{train}.bin"), "train") == train  # a .bin file
    assert find_split(tmp_path / "nothing", "train") is None
    assert data_root(train) == run.root
    mix = _split(run.bin / "libstdcxx" / "train")
    assert find_split(run.bin / "libstdcxx", "train") == mix
    assert data_root(mix) == run.bin / "libstdcxx"  # a mixture source's own folder


def test_find_tokenizer_from_run_bin_or_prefix(tmp_path):
    run = DataRunDir(tmp_path / "data")
    run.tokenizer.mkdir(parents=True)
    (run.tokenizer / "tokenizer.json").write_text("{}")
    for path in (run.root, run.bin / "train", run.bin):
        assert find_tokenizer(path) == run.tokenizer
    assert find_tokenizer(tmp_path / "elsewhere" / "x") is None
