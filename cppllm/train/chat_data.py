"""SFT batches: chat conversations rendered by the chat template, one per row, loss on assistant tokens only.

Input: JSON lines `{"messages": [...]}` (a file, or a folder of `*.jsonl`), or a Hugging Face dataset with
a `messages` column (a `datasets.save_to_disk` folder, a folder of `*.parquet` files, or `hf:NAME[:SPLIT]`). A row that is not
valid JSON or not a valid conversation (`cppllm.tokenizer.chat.check_messages`), or whose rendering does
not fit the context, is counted under a drop reason and reported, never silently lost and never a crash.
Tool-use rows (`cppllm.agent`) also carry `"tools"`, the JSON schemas the template lists in a system turn.

Rows are padded, not packed: each row holds one conversation followed by `<|pad|>`, and every target that
is not an assistant token (prompt turns, role tokens, padding) is -1, so the loss and the bits per byte
see only what the model must write. A micro-batch is cut to its longest conversation, rounded up to a
multiple of `PAD_MULTIPLE` (few distinct shapes for `--compile`), not padded to the full context. The
padded share of the positions computed is logged as `pad_frac`. Padding needs no attention mask, so the
SDPA/flash causal kernels stay in use and a conversation never attends to another.

The row order is a per-epoch permutation by (seed, epoch); step k, rank r takes global rows
[k*B*W + r*B, ...), and the state is the count of rows handed out, so `--resume` continues exactly.
"""

from __future__ import annotations

import collections
import hashlib
import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cppllm.tokenizer.chat import check_messages, render
from cppllm.tokenizer.special import PAD_ID

STATE_VERSION = 1
PAD_MULTIPLE = 64


def iter_rows(path: str | Path) -> Iterator[tuple[dict[str, Any] | None, str | None]]:
    """(row, None) per record of `path`, or (None, drop reason) for a line that is not a JSON object.

    `hf:NAME[:SPLIT]` reads a Hugging Face dataset by name (`datasets.load_dataset`, split `train` by
    default; a local dataset folder works the same way, which is how it is tested offline).
    """
    if str(path).startswith("hf:"):
        from datasets import load_dataset

        name, _, split = str(path)[3:].partition(":")
        yield from ((dict(r), None) for r in load_dataset(name, split=split or "train"))
        return
    p = Path(path).expanduser()
    if p.is_dir() and ((p / "dataset_info.json").is_file() or (p / "state.json").is_file()):
        from datasets import load_from_disk

        yield from ((dict(r), None) for r in load_from_disk(str(p)))
        return
    parquet = sorted(p.glob("**/*.parquet")) if p.is_dir() else ([p] if p.suffix == ".parquet" else [])
    if parquet:
        from datasets import load_dataset

        ds = load_dataset("parquet", data_files=[str(f) for f in parquet], split="train")
        yield from ((dict(r), None) for r in ds)
        return
    files = sorted(p.glob("**/*.jsonl")) if p.is_dir() else [p]
    if not files or not all(f.is_file() for f in files):
        raise FileNotFoundError(
            f"no chat data at {path}: expected a .jsonl file, a folder of .jsonl or .parquet files, "
            "or a datasets.save_to_disk folder"
        )
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    yield None, "bad_json"
                    continue
                yield (row, None) if isinstance(row, dict) else (None, "not_object")


class ChatSet:
    """Rendered conversations of one or more inputs, with counts of what was dropped and why."""

    def __init__(self, tokenizer: Any, seq_len: int) -> None:
        self.tokenizer, self.seq_len = tokenizer, seq_len
        self.rows: list[tuple[np.ndarray, np.ndarray]] = []  # (ids, mask) int32 / bool
        self.keys: list[str] = []  # content hash per kept row (for the val split)
        self.dropped: collections.Counter[str] = collections.Counter()

    def add(self, path: str | Path) -> ChatSet:
        for row, why in iter_rows(path):
            why = why or check_messages(row)
            if why is None:
                ids, mask = render(row["messages"], self.tokenizer, tools=row.get("tools"))
                if len(ids) > self.seq_len + 1:
                    why = "too_long"
                elif not any(mask[1:]):
                    why = "no_assistant_tokens"
                else:
                    self.rows.append((np.asarray(ids, dtype=np.int32), np.asarray(mask, dtype=bool)))
                    blob = json.dumps(row["messages"], sort_keys=True, ensure_ascii=False)
                    self.keys.append(hashlib.sha1(blob.encode()).hexdigest())
            if why is not None:
                self.dropped[why] += 1
        return self

    def split(self, val_fraction: float) -> tuple[ChatSet, ChatSet]:
        """(train, val) by a hash of each conversation: the same chat lands on the same side every run."""
        train, val = self._empty(), self._empty()
        train.dropped = self.dropped.copy()
        for row, key in zip(self.rows, self.keys, strict=True):
            side = val if int(key[:8], 16) / 16**8 < val_fraction else train
            side.rows.append(row)
            side.keys.append(key)
        return train, val

    def _empty(self) -> ChatSet:
        return ChatSet(self.tokenizer, self.seq_len)

    def describe(self) -> dict[str, Any]:
        n_tok = sum(len(ids) for ids, _ in self.rows)
        return {
            "conversations": len(self.rows),
            "dropped": dict(sorted(self.dropped.items())),
            "tokens": n_tok,
            "assistant_tokens": int(sum(m[1:].sum() for _, m in self.rows)),
            "pad_frac_full_rows": 1 - n_tok / max(1, len(self.rows) * (self.seq_len + 1)),
        }


class ChatLoader:
    """Endless `(x, y)` (B, T) batches, one padded conversation per row; y = -1 off the assistant spans."""

    def __init__(
        self,
        chats: ChatSet,
        batch_size: int,
        *,
        rank: int = 0,
        world_size: int = 1,
        seed: int = 0,
        shuffle=True,
    ):
        if not chats.rows:
            raise ValueError("no usable conversations (see the drop reasons)")
        self.chats, self.batch_size = chats, batch_size
        self.seq_len = chats.seq_len
        self.rank, self.world_size, self.seed, self.shuffle = rank, world_size, seed, shuffle
        self.rows = 0
        self._perm: tuple[int, np.ndarray] | None = None
        self._positions = self._padded = 0  # this process's computed and padded positions (for pad_frac)

    @property
    def num_rows(self) -> int:
        return len(self.chats.rows)

    def _row(self, global_row: int) -> int:
        epoch, i = divmod(global_row, self.num_rows)
        if not self.shuffle:
            return i
        if self._perm is None or self._perm[0] != epoch:
            self._perm = (epoch, np.random.default_rng([self.seed, epoch]).permutation(self.num_rows))
        return int(self._perm[1][i])

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        b, t = self.batch_size, self.seq_len
        x = np.full((b, t), PAD_ID, dtype=np.int64)
        y = np.full((b, t), -1, dtype=np.int64)
        first = self.rows + self.rank * b
        longest = 0
        for k in range(b):
            ids, mask = self.chats.rows[self._row(first + k)]
            n = len(ids) - 1
            x[k, :n] = ids[:-1]
            y[k, :n] = np.where(mask[1:], ids[1:], -1)
            longest = max(longest, n)
            self._padded -= n
        self.rows += b * self.world_size
        width = min(t, -(-longest // PAD_MULTIPLE) * PAD_MULTIPLE)
        self._positions += b * width
        self._padded += b * width
        return torch.from_numpy(x[:, :width]).contiguous(), torch.from_numpy(y[:, :width]).contiguous()

    def metrics(self) -> dict[str, float]:
        """`pad_frac`: padded share of the positions computed so far; `epochs`: passes over the chats."""
        return {"pad_frac": self._padded / max(1, self._positions), "epochs": self.rows / self.num_rows}

    def state_dict(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "seed": self.seed, "rows": self.rows, "num_rows": self.num_rows}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("version") != STATE_VERSION or state["seed"] != self.seed:
            raise ValueError(f"chat loader state {state} does not fit this loader (seed {self.seed})")
        if state["num_rows"] != self.num_rows:
            raise ValueError(
                f"the chat data has {self.num_rows} conversations, the saved state {state['num_rows']}: "
                "the data changed since the checkpoint"
            )
        self.rows = int(state["rows"])


VAL_FRACTION = 0.05


def build_chat_loaders(cfg, tokenizer: Any, *, rank: int, world_size: int):
    """(train loader, val loader or None, description for config.json) of `--stage sft`."""
    chats = ChatSet(tokenizer, cfg.seq_len)
    for path in cfg.data.split(","):
        chats.add(path.strip())
    if cfg.val_data:
        train = chats
        val = ChatSet(tokenizer, cfg.seq_len)
        for path in cfg.val_data.split(","):
            val.add(path.strip())
    else:
        train, val = chats.split(VAL_FRACTION)
    desc = {"train": train.describe(), "val": val.describe()}
    if rank == 0:
        d = desc["train"]
        print(
            f"[sft] {d['conversations']} conversations, {d['tokens']} tokens, {d['assistant_tokens']} of them "
            f"in the loss; dropped: {d['dropped'] or 'none'}; val: {desc['val']['conversations']} conversations",
            file=sys.stderr,
        )
    loader = ChatLoader(train, cfg.micro_batch, rank=rank, world_size=world_size, seed=cfg.seed)
    val_loader = None
    if len(val.rows) >= cfg.micro_batch * world_size:
        val_loader = ChatLoader(
            val, cfg.micro_batch, rank=rank, world_size=world_size, seed=cfg.seed, shuffle=False
        )
    else:
        warnings.warn(
            f"sft: {len(val.rows)} val conversations, fewer than one batch of {cfg.micro_batch * world_size}; "
            "val bpb is skipped (pass --val-data)",
            stacklevel=2,
        )
    return loader, val_loader, desc
