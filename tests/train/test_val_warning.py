"""The trainer says so when the val split it would evaluate on is missing, empty or flagged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cppllm.pipeline.pretokenize.indexed import IndexedWriter
from cppllm.train.__main__ import main
from cppllm.train.data import parse_data_spec, val_split_warning

MICRO = [
    "--preset", "tiny",
    "--model", "n_layer=1", "--model", "n_embd=64", "--model", "n_head=2", "--model", "n_kv_head=1",
    "--model", "head_dim=32", "--model", "max_seq_len=32",
    "--seq-len", "32", "--batch-tokens", "256", "--no-progress",
]  # fmt: skip


@pytest.fixture
def empty_val(data_dir: Path, tmp_path: Path) -> Path:
    out = shutil.copytree(data_dir, tmp_path / "data")
    with IndexedWriter(out / "bin" / "val", np.uint16):
        pass
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["split"] = {"warning": "val split is EMPTY: --val-fraction 0.01 asked, ..."}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def test_trainer_warns_about_an_empty_val_split(empty_val, tmp_path):
    with pytest.warns(
        UserWarning,
        match=r"--eval-every 1: data: val split EMPTY \(.*val\.bin\), manifest: val split is EMPTY",
    ):
        rc = main(
            [
                *MICRO,
                "--data",
                str(empty_val),
                "--out",
                str(tmp_path / "run"),
                "--steps",
                "1",
                "--eval-every",
                "1",
            ]
        )
    assert rc == 0


def test_healthy_missing_and_flagged_val_splits(data_dir, tmp_path):
    assert val_split_warning(parse_data_spec(str(data_dir)), 10) is None
    out = shutil.copytree(data_dir, tmp_path / "data")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["split"] = {"warning": "val split is undersized: 0.10% of the bytes, 1.00% asked"}
    (out / "manifest.json").write_text(json.dumps(manifest))
    msg = val_split_warning(parse_data_spec(str(out)), 10)
    assert msg == "--eval-every 10: data: val split is undersized: 0.10% of the bytes, 1.00% asked"
    for ext in (".bin", ".idx"):
        (out / "bin" / f"val{ext}").unlink()
    assert "data: no val split at" in val_split_warning(parse_data_spec(str(out)), 10)
