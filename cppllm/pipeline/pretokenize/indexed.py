"""Megatron's mmap indexed dataset format (`.bin` + `.idx`), written and read with numpy only.

The format is megatron-core's `IndexedDataset` (`megatron/core/datasets/indexed_dataset.py`), so files
written here train with Megatron-LM/NeMo unchanged, and training here needs neither megatron-core nor torch
to read them. One sequence per document:

    .bin  the token ids of every document, back to back (uint16 when the vocabulary fits, else int32)
    .idx  b"MMIDIDX\\x00\\x00"            9-byte magic
          <Q version = 1
          <B dtype code                  (uint16 = 8, int32 = 4, ...)
          <Q sequence count  S
          <Q document count  D           (= S + 1: the document index starts with 0)
          int32[S] sequence lengths      (tokens)
          int64[S] sequence pointers     (byte offsets into .bin)
          int64[D] document indices      (sequence index where each document ends; [0, 1, ..., S])

Writes go to temporary files that replace the final ones only when complete, so a killed run never
leaves a half-written dataset under the final name.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from cppllm.atomic import atomic_path

INDEX_HEADER = b"MMIDIDX\x00\x00"
INDEX_VERSION = 1
HEADER_BYTES = 9 + 8 + 1 + 8 + 8

# megatron.core.datasets.indexed_dataset.DType
DTYPE_CODES: dict[type[np.number], int] = {
    np.uint8: 1,
    np.int8: 2,
    np.int16: 3,
    np.int32: 4,
    np.int64: 5,
    np.float64: 6,
    np.float32: 7,
    np.uint16: 8,
}
CODE_DTYPES = {code: dtype for dtype, code in DTYPE_CODES.items()}


def token_dtype(vocab_size: int) -> type[np.number]:
    """uint16 when every id fits (vocab < 65536), else int32."""
    return np.uint16 if vocab_size <= np.iinfo(np.uint16).max + 1 else np.int32


def bin_path(prefix: str | os.PathLike) -> Path:
    return Path(f"{os.fspath(prefix)}.bin")


def idx_path(prefix: str | os.PathLike) -> Path:
    return Path(f"{os.fspath(prefix)}.idx")


def exists(prefix: str | os.PathLike) -> bool:
    return bin_path(prefix).is_file() and idx_path(prefix).is_file()


def write_index(path: str | os.PathLike, dtype: type[np.number], lengths: np.ndarray) -> None:
    """Write an `.idx` for one-sequence-per-document data with these sequence lengths (atomic)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size and (lengths.min() < 0 or lengths.max() > np.iinfo(np.int32).max):
        raise ValueError("sequence lengths must fit in int32")
    itemsize = np.dtype(dtype).itemsize
    pointers = np.zeros(len(lengths), dtype=np.int64)
    if len(lengths) > 1:
        np.cumsum(lengths[:-1] * itemsize, out=pointers[1:])
    doc_index = np.arange(len(lengths) + 1, dtype=np.int64)
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(INDEX_HEADER)
        f.write(struct.pack("<Q", INDEX_VERSION))
        f.write(struct.pack("<B", DTYPE_CODES[dtype]))
        f.write(struct.pack("<Q", len(lengths)))
        f.write(struct.pack("<Q", len(doc_index)))
        f.write(lengths.astype(np.int32).tobytes(order="C"))
        f.write(pointers.tobytes(order="C"))
        f.write(doc_index.tobytes(order="C"))


class IndexedWriter:
    """Append documents to `prefix.bin/.idx`; `close()` moves both into place, `abort()` drops them.

    Use as a context manager: the files appear only if the block finishes without an exception.
    """

    def __init__(self, prefix: str | os.PathLike, dtype: type[np.number]):
        if dtype not in DTYPE_CODES:
            raise ValueError(f"unsupported token dtype {dtype}")
        self.prefix = Path(prefix)
        self.dtype = dtype
        self.prefix.parent.mkdir(parents=True, exist_ok=True)
        self._bin_tmp = bin_path(self.prefix).with_suffix(".bin.tmp")
        self._file = open(self._bin_tmp, "wb")  # noqa: SIM115 (closed in close/abort)
        self._lengths: list[int] = []
        self._max = np.iinfo(dtype).max

    @property
    def num_docs(self) -> int:
        return len(self._lengths)

    def add_document(self, ids: Sequence[int] | np.ndarray) -> None:
        arr = np.asarray(ids)
        if arr.size and (arr.min() < 0 or arr.max() > self._max):
            raise ValueError(f"token id out of range for {np.dtype(self.dtype).name}")
        self._file.write(arr.astype(self.dtype, copy=False).tobytes(order="C"))
        self._lengths.append(int(arr.size))

    def close(self) -> None:
        self._file.close()
        # .bin first, then .idx: an .idx on disk always describes a complete .bin
        os.replace(self._bin_tmp, bin_path(self.prefix))
        write_index(idx_path(self.prefix), self.dtype, np.asarray(self._lengths, dtype=np.int64))

    def abort(self) -> None:
        self._file.close()
        self._bin_tmp.unlink(missing_ok=True)

    def __enter__(self) -> IndexedWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class IndexedReader:
    """Memory-mapped view of a Megatron `.bin/.idx` pair (numpy only).

    `reader[i]` is document i's tokens; `tokens` is the whole `.bin` as one flat array; `doc_starts[i]` is
    the token offset where document i begins.
    """

    def __init__(self, prefix: str | os.PathLike):
        self.prefix = Path(prefix)
        ipath, bpath = idx_path(prefix), bin_path(prefix)
        if not ipath.is_file() or not bpath.is_file():
            raise FileNotFoundError(f"no Megatron dataset at {prefix} (need {bpath.name} and {ipath.name})")
        with open(ipath, "rb") as f:
            head = f.read(HEADER_BYTES)
        if len(head) < HEADER_BYTES or head[:9] != INDEX_HEADER:
            raise ValueError(f"{ipath}: not a Megatron mmap index (bad magic)")
        version, code, n_seq, n_doc = struct.unpack("<QBQQ", head[9:])
        if version != INDEX_VERSION:
            raise ValueError(f"{ipath}: unsupported index version {version}")
        if code not in CODE_DTYPES:
            raise ValueError(f"{ipath}: unknown dtype code {code}")
        self.dtype = CODE_DTYPES[code]
        itemsize = np.dtype(self.dtype).itemsize
        idx = np.memmap(ipath, dtype=np.uint8, mode="r")
        off = HEADER_BYTES
        self.lengths = np.frombuffer(idx, dtype=np.int32, count=n_seq, offset=off)
        off += 4 * n_seq
        self.pointers = np.frombuffer(idx, dtype=np.int64, count=n_seq, offset=off)
        off += 8 * n_seq
        self.document_indices = np.frombuffer(idx, dtype=np.int64, count=n_doc, offset=off)
        size = bpath.stat().st_size
        if n_seq and int(self.pointers[-1]) + int(self.lengths[-1]) * itemsize > size:
            raise ValueError(f"{bpath}: shorter than its index says (truncated write?)")
        self.tokens = np.memmap(bpath, dtype=self.dtype, mode="r") if size else np.zeros(0, dtype=self.dtype)
        self.doc_starts = (self.pointers // itemsize).astype(np.int64)

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> np.ndarray:
        start = int(self.doc_starts[i])
        return self.tokens[start : start + int(self.lengths[i])]

    @property
    def num_tokens(self) -> int:
        return int(self.lengths.sum(dtype=np.int64))


def _copy_range(src, dst, start: int, stop: int, chunk: int = 16 << 20) -> None:
    src.seek(start)
    left = stop - start
    while left > 0:
        buf = src.read(min(chunk, left))
        if not buf:
            raise ValueError("unexpected end of .bin while merging")
        dst.write(buf)
        left -= len(buf)


def merge(
    prefixes: Iterable[str | os.PathLike],
    out_prefix: str | os.PathLike,
    masks: Sequence[np.ndarray] | None = None,
) -> tuple[int, int]:
    """Concatenate datasets (same dtype) in order into `out_prefix` atomically; returns (docs, tokens).

    With `masks` (one boolean array per dataset), only the documents flagged True are kept.
    """
    prefixes = [Path(p) for p in prefixes]
    readers = [IndexedReader(p) for p in prefixes]
    if masks is None:
        masks = [np.ones(len(r), dtype=bool) for r in readers]
    if len(masks) != len(readers) or any(len(m) != len(r) for m, r in zip(masks, readers, strict=True)):
        raise ValueError("one mask per dataset, one flag per document")
    dtypes = {r.dtype for r in readers}
    if len(dtypes) > 1:
        raise ValueError(f"cannot merge datasets of different token dtypes: {sorted(map(str, dtypes))}")
    dtype = dtypes.pop() if dtypes else np.uint16
    itemsize = np.dtype(dtype).itemsize
    out = Path(out_prefix)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_bin = bin_path(out).with_suffix(".bin.tmp")
    kept: list[np.ndarray] = []
    with open(tmp_bin, "wb") as dst:
        for p, r, m in zip(prefixes, readers, masks, strict=True):
            m = np.asarray(m, dtype=bool)
            kept.append(np.asarray(r.lengths, dtype=np.int64)[m])
            # runs of kept documents are contiguous byte ranges of the source .bin
            edges = np.flatnonzero(np.diff(np.concatenate([[0], m.astype(np.int8), [0]])))
            with open(bin_path(p), "rb") as src:
                for a, b in zip(edges[::2], edges[1::2], strict=True):
                    stop = int(r.pointers[b - 1]) + int(r.lengths[b - 1]) * itemsize
                    _copy_range(src, dst, int(r.pointers[a]), stop)
    lengths = np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)
    os.replace(tmp_bin, bin_path(out))
    write_index(idx_path(out), dtype, lengths)
    return len(lengths), int(lengths.sum())
