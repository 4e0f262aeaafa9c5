"""`--stage sft`: chat data from JSON lines and HF datasets, bad rows counted, loss on assistant tokens only,
and `python -m cppllm.chat` on the result."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

from cppllm.chat import main as chat_main
from cppllm.train.__main__ import main
from cppllm.train.metrics import read_metrics

MICRO = [
    "--preset", "tiny",
    "--model", "n_layer=2", "--model", "n_embd=64", "--model", "n_head=2", "--model", "n_kv_head=1",
    "--model", "head_dim=32", "--model", "max_seq_len=64",
    "--seq-len", "64", "--batch-tokens", "512", "--no-progress", "--log-every", "1",
]  # fmt: skip
REASONING, ANSWER = "bound", "return 0;"


def noise_chats(n: int, seed: int = 0) -> list[dict]:
    """User turns: random letters (unpredictable); assistant turns: always the same reasoning and answer."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz {}();") for _ in range(24))
        rows.append(
            {
                "messages": [
                    {"role": "user", "content": noise},
                    {"role": "assistant", "content": ANSWER, "reasoning": REASONING},
                ]
            }
        )
    return rows


def write_jsonl(path: Path, rows: list, extra_lines: tuple[str, ...] = ()) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "".join(x + "\n" for x in extra_lines))
    return path


@pytest.fixture(scope="module")
def base(data_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sft") / "base"
    assert (
        main([*MICRO, "--data", str(data_dir), "--out", str(out), "--steps", "2", "--val-tokens", "512"]) == 0
    )
    return out


def sft(base: Path, out: Path, data: str, *extra: str) -> list[dict]:
    args = ["--stage", "sft", "--init-from", str(base), "--data", data, "--out", str(out)]
    assert main([*args, "--batch-tokens", "512", "--no-progress", "--log-every", "1", *extra]) == 0
    return read_metrics(out / "metrics.jsonl")


def test_sft_on_noise_prompts_learns_the_deterministic_replies(base, tmp_path, capsys, monkeypatch):
    bad = (
        "{not json",
        json.dumps({"messages": [{"role": "user", "content": "no reply"}]}),
        json.dumps({"messages": [{"role": "wizard", "content": "?"}]}),
        json.dumps(
            {"messages": [{"role": "user", "content": "x" * 3000}, {"role": "assistant", "content": "y"}]}
        ),
    )
    data = write_jsonl(tmp_path / "chats.jsonl", noise_chats(96), bad)
    recs = sft(
        base, tmp_path / "sft", str(data), "--steps", "40", "--matrix-lr", "0.03", "--eval-every", "40"
    )
    err = capsys.readouterr().err
    cfg = json.loads((tmp_path / "sft" / "config.json").read_text())
    dropped = cfg["chats"]["train"]["dropped"]
    assert dropped == {"bad_json": 1, "no_assistant_turn": 1, "unknown_role": 1, "too_long": 1}
    assert "dropped: {'bad_json': 1" in err
    kept = cfg["chats"]["train"]["conversations"] + cfg["chats"]["val"]["conversations"]
    assert kept == 96 and cfg["chats"]["val"]["conversations"] > 0
    assert cfg["parent"]["stage"] == "pretrain" and cfg["train"]["stage"] == "sft"
    losses = [r["loss"] for r in recs if r["loss"] is not None]
    # only the assistant tokens are scored and they are deterministic: the loss goes to ~0. With the noise
    # of the user turns in the loss it could not fall below the noise's entropy (several nats per token).
    assert losses[0] > 1.0 and losses[-1] < 0.05
    assert 0 < recs[-1]["pad_frac"] < 1

    prompt = noise_chats(1, seed=7)[0]["messages"][0]["content"]  # an unseen noise prompt
    assert chat_main(["--run", str(tmp_path / "sft"), prompt, "--max-new-tokens", "16"]) == 0
    out = capsys.readouterr().out
    assert out == f"[reasoning]\n  {REASONING}\n[answer]\n{ANSWER}\n"
    assert (
        chat_main(["--run", str(tmp_path / "sft"), prompt, "--hide-reasoning", "--max-new-tokens", "16"]) == 0
    )
    assert capsys.readouterr().out == f"{ANSWER}\n"
    # interactive: one message per line, the history kept, an empty line ends
    second = noise_chats(1, seed=8)[0]["messages"][0]["content"]
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{prompt}\n{second}\n\n"))
    assert chat_main(["--run", str(tmp_path / "sft"), "--hide-reasoning", "--max-new-tokens", "16"]) == 0
    assert capsys.readouterr().out == f"> {ANSWER}\n> {ANSWER}\n> "


@pytest.mark.parametrize("layout", ["save_to_disk", "parquet", "hf_name"])
def test_sft_reads_a_hugging_face_dataset_folder(base, tmp_path, layout):
    import datasets

    rows = noise_chats(20, seed=1)
    ds = datasets.Dataset.from_list(rows)
    folder = tmp_path / "ds"
    if layout == "save_to_disk":
        ds.save_to_disk(str(folder))
    else:
        folder.mkdir()
        ds.to_parquet(str(folder / "train-00000.parquet"))
    if layout == "hf_name":  # load_dataset(NAME, split=...) on a local folder: the hub call path, offline
        folder = f"hf:{folder}:train"
    val = write_jsonl(tmp_path / "val.jsonl", noise_chats(8, seed=2))
    sft(base, tmp_path / "sft", str(folder), "--val-data", str(val), "--steps", "1")
    cfg = json.loads((tmp_path / "sft" / "config.json").read_text())
    assert cfg["chats"]["train"]["conversations"] == 20 and cfg["chats"]["train"]["dropped"] == {}
    assert cfg["chats"]["val"]["conversations"] == 8


def test_sft_resume_continues_exactly(base, tmp_path):
    data = str(write_jsonl(tmp_path / "chats.jsonl", noise_chats(40)))
    full = sft(base, tmp_path / "full", data, "--steps", "4")
    sft(base, tmp_path / "split", data, "--steps", "4", "--stop-at-step", "2")
    resumed = sft(base, tmp_path / "split", data, "--steps", "4", "--resume")
    want = {r["step"]: r["loss"] for r in full if r["loss"] is not None}
    assert {r["step"]: r["loss"] for r in resumed if r["loss"] is not None} == want


def test_chat_loader_targets_only_assistant_tokens_and_trims_padding(data_dir, tmp_path):
    from cppllm.tokenizer.chat import render
    from cppllm.tokenizer.special import PAD_ID
    from cppllm.tokenizer.tokenizer import CppTokenizer
    from cppllm.train.chat_data import ChatLoader, ChatSet

    tok = CppTokenizer.load(data_dir / "tokenizer")
    rows = noise_chats(6)
    chats = ChatSet(tok, 256).add(write_jsonl(tmp_path / "c.jsonl", rows))
    loader = ChatLoader(chats, 6, shuffle=False)
    x, y = loader.next_batch()
    longest = max(len(render(r["messages"], tok)[0]) - 1 for r in rows)
    assert x.shape[1] == 64 and longest <= 64  # cut to the longest row, rounded up to 64, not 256
    for k, r in enumerate(rows):
        ids, mask = render(r["messages"], tok)
        n = len(ids) - 1
        assert x[k, :n].tolist() == ids[:-1] and (x[k, n:] == PAD_ID).all()
        assert y[k, :n].tolist() == [t if m else -1 for t, m in zip(ids[1:], mask[1:], strict=True)]
        assert (y[k, n:] == -1).all()
    assert loader.metrics()["pad_frac"] == pytest.approx(
        1 - sum(len(render(r["messages"], tok)[0]) - 1 for r in rows) / (6 * 64)
    )


@pytest.mark.slow
def test_cpu_recipe_pretrain_tiny_then_sft_on_the_chat_file(data_dir, tmp_path, fixtures_dir, capsys):
    """The README's CPU recipe with the real `tiny` preset (fewer steps): pretrain -> SFT -> chat."""
    base, out = tmp_path / "base", tmp_path / "sft"
    assert (
        main(
            [
                "--preset",
                "tiny",
                "--data",
                str(data_dir),
                "--out",
                str(base),
                "--steps",
                "10",
                "--no-progress",
            ]
        )
        == 0
    )
    chats = fixtures_dir / "sft" / "cpp_chats.jsonl"
    recs = sft(base, out, str(chats), "--steps", "30", "--batch-tokens", "4096")
    losses = [r["loss"] for r in recs if r["loss"] is not None]
    assert losses[-1] < 0.5 * losses[0]  # it learns the (in-distribution) answers
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["chats"]["train"]["dropped"] == {} and cfg["model"]["n_layer"] == 4
    capsys.readouterr()
    assert chat_main(["--run", str(out), "How do I free memory allocated with `new int[10]`?"]) == 0
    assert capsys.readouterr().out.strip()


def test_accumulation_weights_micro_batches_by_their_assistant_tokens(base, tmp_path):
    """2 micro-batches of 1 chat = 1 micro-batch of 2 chats, even when the replies differ in length."""
    import torch

    from cppllm.model.checkpoint import load_checkpoint_model

    rows = []
    for i, reply in enumerate(["a", "return 0; " * 8] * 4):
        rows.append(
            {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": reply}]}
        )
    data = str(write_jsonl(tmp_path / "c.jsonl", rows))
    common = ["--steps", "1", "--batch-tokens", "128", "--seq-len", "64", "--seed", "3", "--val-data", data]
    sft(base, tmp_path / "one", data, *common, "--micro-batch", "2")
    sft(base, tmp_path / "two", data, *common, "--micro-batch", "1")
    a = load_checkpoint_model(tmp_path / "one" / "ckpt" / "latest").state_dict()
    b = load_checkpoint_model(tmp_path / "two" / "ckpt" / "latest").state_dict()
    p = load_checkpoint_model(base / "ckpt" / "latest").state_dict()
    assert any(not torch.equal(a[k], p[k]) for k in a)
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)
