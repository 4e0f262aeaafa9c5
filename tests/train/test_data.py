"""Loader: windows, BOS-aligned packing, DDP sharding, determinism, exact resume, mixture, tokenizer check."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from cppllm.pipeline.pretokenize.indexed import IndexedWriter
from cppllm.tokenizer.special import BOS_ID, EOS_ID
from cppllm.train.data import (
    DataSource,
    MixtureLoader,
    TokenDataset,
    TokenizerMismatchError,
    parse_data_spec,
)


def make_dataset(prefix: Path, n_docs: int, seed: int, lo: int = 5, hi: int = 60, base: int = 100) -> Path:
    """Framed documents `<bos> body <eos>` with ids >= base; each source gets its own id range."""
    rng = np.random.default_rng(seed)
    with IndexedWriter(prefix, np.uint16) as w:
        for _ in range(n_docs):
            body = rng.integers(base, base + 1000, size=int(rng.integers(lo, hi)))
            w.add_document([BOS_ID, *body.tolist(), EOS_ID])
    return prefix


def make_pipeline_dir(root: Path, n_docs: int = 200, seed: int = 0, tok_hash: str = "h" * 64) -> Path:
    (root / "bin").mkdir(parents=True)
    (root / "tokenizer").mkdir()
    make_dataset(root / "bin" / "train", n_docs, seed)
    make_dataset(root / "bin" / "val", 20, seed + 1)
    (root / "manifest.json").write_text(json.dumps({"tokenizer_hash": tok_hash}))
    return root


def rows(loader: MixtureLoader, steps: int) -> list[list[int]]:
    out = []
    for _ in range(steps):
        x, y = loader.next_batch()
        assert x.dtype == torch.long and x.shape == y.shape == (loader.batch_size, loader.seq_len)
        assert torch.equal(x[:, 1:], y[:, :-1])  # targets are inputs shifted by one
        out.extend(torch.cat([x, y[:, -1:]], dim=1).tolist())
    return out


def test_batches_are_windows_of_the_memmap(tmp_path):
    ds = TokenDataset(make_dataset(tmp_path / "d", 100, 0))
    loader = MixtureLoader([ds], batch_size=4, seq_len=16, seed=1)
    tokens = np.asarray(ds.tokens)
    starts = set(ds.window_starts(16).tolist())
    for row in rows(loader, 5):
        hits = [s for s in starts if tokens[s : s + 17].tolist() == row]
        assert hits, "a row is not a window of the data"


def test_one_epoch_visits_every_window_once_then_reshuffles(tmp_path):
    ds = TokenDataset(make_dataset(tmp_path / "d", 60, 0))
    n = len(ds.window_starts(8))
    loader = MixtureLoader([ds], batch_size=1, seq_len=8, seed=3)
    epoch1 = [tuple(r) for r in rows(loader, n)]
    assert loader.epochs() == {"d": 1.0}
    assert len(set(epoch1)) == n
    expected = {tuple(np.asarray(ds.tokens[s : s + 9]).tolist()) for s in ds.window_starts(8)}
    assert set(epoch1) == expected
    epoch2 = [tuple(r) for r in rows(loader, n)]
    assert set(epoch2) == expected and epoch2 != epoch1  # new order each epoch


def test_bos_aligned_rows_start_at_documents(tmp_path):
    ds = TokenDataset(make_dataset(tmp_path / "d", 300, 0, lo=3, hi=30))
    loader = MixtureLoader([ds], batch_size=8, seq_len=32, bos_aligned=True)
    got = rows(loader, 10)
    assert all(r[0] == BOS_ID for r in got)
    starts = ds.window_starts(32, bos_aligned=True)
    assert set(starts.tolist()) <= set(ds.doc_starts.tolist())
    assert np.all(np.diff(starts) >= 32)  # windows do not overlap


def test_bos_aligned_long_documents_continue_in_the_next_window(tmp_path):
    ds = TokenDataset(make_dataset(tmp_path / "d", 10, 0, lo=100, hi=101))  # 102-token documents
    starts = ds.window_starts(40, bos_aligned=True).tolist()
    doc0 = int(ds.doc_starts[0])
    # doc 0 (102 tokens) continues at 40 and 80; the window at 80 runs into doc 1, whose tail is skipped
    assert starts[:4] == [doc0, doc0 + 40, doc0 + 80, int(ds.doc_starts[2])]


def test_bos_aligned_requires_framed_data(tmp_path):
    with IndexedWriter(tmp_path / "raw", np.uint16) as w:
        w.add_document(list(range(100, 400)))
    with pytest.raises(ValueError, match="BOS"):
        MixtureLoader([TokenDataset(tmp_path / "raw")], batch_size=2, seq_len=16, bos_aligned=True)


def test_ddp_ranks_partition_the_global_batch(tmp_path):
    ds = make_dataset(tmp_path / "d", 200, 0)
    single = rows(MixtureLoader([ds], batch_size=6, seq_len=16, seed=5), 4)
    r0 = MixtureLoader([ds], batch_size=3, seq_len=16, rank=0, world_size=2, seed=5)
    r1 = MixtureLoader([ds], batch_size=3, seq_len=16, rank=1, world_size=2, seed=5)
    merged = []
    for _ in range(4):
        merged += rows(r0, 1) + rows(r1, 1)
    assert merged == single
    assert r0.state_dict() == r1.state_dict()  # every rank holds the same state
    with pytest.raises(ValueError, match="rank"):
        MixtureLoader([ds], batch_size=1, seq_len=4, rank=2, world_size=2)


def test_deterministic_given_seed(tmp_path):
    ds = make_dataset(tmp_path / "d", 200, 0)
    a = rows(MixtureLoader([ds], batch_size=4, seq_len=16, seed=1), 5)
    b = rows(MixtureLoader([ds], batch_size=4, seq_len=16, seed=1), 5)
    c = rows(MixtureLoader([ds], batch_size=4, seq_len=16, seed=2), 5)
    assert a == b and a != c
    no_shuffle = rows(MixtureLoader([ds], batch_size=4, seq_len=16, shuffle=False), 1)
    first = TokenDataset(ds).tokens[:17].tolist()
    assert no_shuffle[0] == first


def test_state_dict_resumes_exactly(tmp_path):
    srcs = [
        DataSource(name="a", prefix=make_dataset(tmp_path / "a", 30, 0), weight=0.7),
        DataSource(name="b", prefix=make_dataset(tmp_path / "b", 200, 1, base=5000), weight=0.3),
    ]
    ref = MixtureLoader(srcs, batch_size=4, seq_len=16, seed=9)
    rows(ref, 7)
    state = json.loads(json.dumps(ref.state_dict()))  # survives JSON (and torch.save)
    expected = rows(ref, 30)  # crosses epoch boundaries of the small source
    resumed = MixtureLoader(srcs, batch_size=4, seq_len=16, seed=9)
    resumed.load_state_dict(state)
    assert rows(resumed, 30) == expected
    # a resume on 2 ranks of half the batch continues the same global stream
    halves = [MixtureLoader(srcs, batch_size=2, seq_len=16, rank=r, world_size=2, seed=9) for r in (0, 1)]
    for h in halves:
        h.load_state_dict(state)
    merged = []
    for _ in range(30):
        merged += rows(halves[0], 1) + rows(halves[1], 1)
    assert merged == expected


def test_state_dict_refuses_other_data(tmp_path):
    a = make_dataset(tmp_path / "a", 30, 0)
    state = MixtureLoader([a], batch_size=2, seq_len=8).state_dict()
    with pytest.raises(ValueError, match="seq_len"):
        MixtureLoader([a], batch_size=2, seq_len=16).load_state_dict(state)
    with pytest.raises(ValueError, match="sources"):
        MixtureLoader([make_dataset(tmp_path / "b", 30, 0)], batch_size=2, seq_len=8).load_state_dict(state)
    make_dataset(tmp_path / "a", 31, 0)  # the data changed under the checkpoint
    with pytest.raises(ValueError, match="changed"):
        MixtureLoader([a], batch_size=2, seq_len=8).load_state_dict(state)


def test_mixture_proportions_and_epochs_per_source(tmp_path):
    srcs = [
        DataSource(name="web", prefix=make_dataset(tmp_path / "w", 400, 0, base=100), weight=0.7),
        DataSource(name="textbooks", prefix=make_dataset(tmp_path / "t", 100, 1, base=2000), weight=0.2),
        DataSource(name="exercises", prefix=make_dataset(tmp_path / "e", 20, 2, base=4000), weight=0.1),
    ]
    loader = MixtureLoader(srcs, batch_size=10, seq_len=16, seed=0)
    got = rows(loader, 100)  # 1000 rows

    def source_of(row: list[int]) -> str:
        body = [t for t in row if t >= 100]  # every window holds body tokens of exactly one source
        kinds = {"web" if t < 2000 else "textbooks" if t < 4000 else "exercises" for t in body}
        assert len(kinds) == 1
        return kinds.pop()

    by_source = Counter(source_of(r) for r in got)
    counts = dict(zip(loader.names, loader.cursors.tolist(), strict=True))
    assert counts == {"web": 700, "textbooks": 200, "exercises": 100}  # exact, not sampled
    assert by_source == counts
    first20 = Counter(source_of(r) for r in got[:20])
    assert first20 == {"web": 14, "textbooks": 4, "exercises": 2}  # interleaved, not in blocks
    ep = loader.epochs()
    for name, ds, win in zip(loader.names, loader.datasets, loader.windows, strict=True):
        assert ep[name] == pytest.approx(counts[name] / len(win))
        assert ds.num_tokens > 0
    assert ep["exercises"] > 1.0 > ep["web"]  # the small source has wrapped around, the big one has not


def test_tokenizer_hash_mismatch_is_a_clear_error(tmp_path):
    root = make_pipeline_dir(tmp_path / "run", tok_hash="a" * 64)
    TokenDataset(root / "bin" / "train", tokenizer_hash="a" * 64)  # matching: fine
    with pytest.raises(TokenizerMismatchError, match="tokenized with tokenizer aaaaaaaaaaaa"):
        TokenDataset(root / "bin" / "train", tokenizer_hash="b" * 64)
    srcs = parse_data_spec(str(root))
    with pytest.raises(TokenizerMismatchError):
        MixtureLoader(srcs, batch_size=2, seq_len=8, tokenizer_hash="b" * 64)
    other = make_pipeline_dir(tmp_path / "other", tok_hash="c" * 64)
    with pytest.raises(TokenizerMismatchError, match="different tokenizers"):
        MixtureLoader(parse_data_spec(f"x={root},y={other}"), batch_size=2, seq_len=8)


def test_parse_data_spec_forms(tmp_path):
    root = make_pipeline_dir(tmp_path / "m0")
    extra = make_dataset(tmp_path / "extra" / "syn", 50, 3)
    srcs = parse_data_spec(f"code={root}:0.7,books={extra}.bin:0.2,{tmp_path / 'extra' / 'syn'}:0.1")
    assert [s.name for s in srcs[:2]] == ["code", "books"]
    assert srcs[0].prefix == root / "bin" / "train" and srcs[0].tokenizer_dir == root / "tokenizer"
    assert srcs[1].prefix == extra and srcs[1].weight == 0.2
    assert srcs[0].for_split("val").prefix == root / "bin" / "val"
    assert parse_data_spec(str(root), split="val")[0].prefix == root / "bin" / "val"
    assert parse_data_spec(str(root))[0].name == "m0"
    assert parse_data_spec(str(root / "bin"))[0].prefix == root / "bin" / "train"
    with pytest.raises(ValueError, match="duplicate"):
        parse_data_spec(f"{extra},{extra}")
    with pytest.raises(FileNotFoundError, match="no dataset"):
        parse_data_spec(str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="weight"):
        parse_data_spec(f"a={extra}:0")


def test_source_shorter_than_a_window_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="shorter than one window"):
        MixtureLoader([make_dataset(tmp_path / "s", 1, 0, lo=3, hi=4)], batch_size=1, seq_len=64)


def test_missing_manifest_warns_that_the_tokenizer_is_unchecked(tmp_path):
    prefix = make_dataset(tmp_path / "bare" / "d", 20, 0)
    with pytest.warns(UserWarning, match="cannot check"):
        TokenDataset(prefix, tokenizer_hash="a" * 64)


def test_eval_val_windows_are_the_trainers(tmp_path):
    """`python -m cppllm.eval`'s bpb and the trainer's val bpb score the same windows."""
    from cppllm.eval.__main__ import _val_targets

    prefix = make_dataset(tmp_path / "val", 30, seed=5)
    x, y = _val_targets(prefix, 16, 16 * 7)
    loader = MixtureLoader([prefix], 1, 16, bos_aligned=False, shuffle=False)
    for i in range(7):
        lx, ly = loader.next_batch()
        np.testing.assert_array_equal(x[i], lx[0].numpy())
        np.testing.assert_array_equal(y[i], ly[0].numpy())
    tokens = np.asarray(TokenDataset(prefix).tokens, dtype=np.int64)
    np.testing.assert_array_equal(x.reshape(-1), tokens[: 7 * 16])  # tiles the stream from its start
    assert len(_val_targets(prefix, 16, 10**9)[0]) == (len(tokens) - 1) // 16  # every full window
