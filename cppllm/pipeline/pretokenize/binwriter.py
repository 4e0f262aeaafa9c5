"""Pretokenize documents (with FIM) into Megatron `.bin/.idx` train/val datasets.

Two DataTrove steps, run one after the other:

- `BinShardWriter` (many tasks): tokenizes its documents in batches (`CppTokenizer.encode_batch`), applies
  FIM (`fim.py`) and writes one shard per task: `OUT/shards/NNNNN.bin/.idx`, `NNNNN.docs.npz` (per
  document: its split-group hash at each grouping, source, UTF-8 bytes) and `NNNNN.json` (settings and
  counts), the json last, so its presence means the shard is complete. A rerun skips complete shards.
- `BinMerger` (one task): decides the train/val split of every document by its repository group, or a
  finer one when the corpus has too few repositories (`split.plan_split`), copies the shards in task order
  into `OUT/train.bin/.idx` and `OUT/val.bin/.idx`, writes the manifest (docs / tokens / bytes per source
  per split, tokenizer hash, FIM and split settings, the grouping used) and removes the shards. An empty
  or far-off val split is a `warning` in the manifest (and in the run summary).

Every write goes to a temporary name first; outputs are a pure function of (documents, tokenizer, seeds,
number of tasks), so reruns give identical bytes. `write_bins()` runs both steps on a parquet folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.batching import batched
from datatrove.utils.logging import logger

from cppllm.atomic import atomic_path, write_text
from cppllm.pipeline.pretokenize import indexed
from cppllm.pipeline.pretokenize.fim import FIMConfig, encode_documents
from cppllm.pipeline.split import (
    DEFAULT_VAL_FRACTION,
    GROUPINGS,
    SPLITS,
    SplitPlan,
    check_fraction,
    group_hash,
    group_keys,
    group_table,
    plan_split,
)

MANIFEST_VERSION = 1


def _write_json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


class BinShardWriter(PipelineStep):
    """Tokenize + FIM documents into one `.bin/.idx` shard per task, with what the split needs."""

    name = "🔢 FIM .bin writer"
    type = "🔢 - TOKENIZER"
    _requires_dependencies = ["tokenizers"]

    def __init__(
        self,
        output_folder: str | os.PathLike,
        tokenizer_path: str | os.PathLike,
        *,
        fim: FIMConfig = FIMConfig(),
        val_fraction: float = DEFAULT_VAL_FRACTION,
        split_seed: int = 0,
        batch_size: int = 256,
    ):
        super().__init__()
        check_fraction(val_fraction)  # fail now, not in a worker
        self.output_folder = Path(output_folder)
        self.tokenizer_path = Path(tokenizer_path)
        self.fim = fim
        self.val_fraction = val_fraction
        self.split_seed = split_seed
        self.batch_size = batch_size
        self._tokenizer = None  # loaded lazily so the step pickles for workers

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from cppllm.tokenizer.tokenizer import CppTokenizer

            self._tokenizer = CppTokenizer.load(self.tokenizer_path)
        return self._tokenizer

    def shard_prefix(self, rank: int) -> Path:
        return self.output_folder / "shards" / f"{rank:05d}"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        prefix = self.shard_prefix(rank)
        if prefix.with_suffix(".json").is_file():
            self.stat_update("shard_already_done")
            return
        tok = self.tokenizer
        dtype = indexed.token_dtype(tok.vocab_size)
        sources: dict[str, int] = {}
        hashes: list[tuple[int, ...]] = []  # per document: its group at each of GROUPINGS
        src_idx: list[int] = []
        n_bytes: list[int] = []
        fim_counts = {"plain": 0, "psm": 0, "spm": 0}
        with indexed.IndexedWriter(prefix, dtype) as writer:
            for batch in batched(data, self.batch_size):
                docs = []
                for doc in batch:
                    if not isinstance(doc.text, str) or not doc.text:
                        self.stat_update("dropped_empty_text")
                        continue
                    docs.append(doc)
                with self.track_time(unit="batch"):
                    ids, modes = self._encode(docs)
                for doc, doc_ids, mode in zip(docs, ids, modes, strict=True):
                    if doc_ids is None:
                        self.stat_update("dropped_encode_error")
                        continue
                    writer.add_document(doc_ids)
                    source = str(doc.metadata.get("source") or "unknown")
                    hashes.append(tuple(group_hash(self.split_seed, k) for k in group_keys(doc.metadata)))
                    src_idx.append(sources.setdefault(source, len(sources)))
                    n_bytes.append(len(doc.text.encode("utf-8", "surrogatepass")))
                    fim_counts[mode or "plain"] += 1
                    self.stat_update("documents", f"fim_{mode or 'plain'}")
                    self.stat_update("tokens", value=len(doc_ids))
        with atomic_path(prefix.with_suffix(".docs.npz")) as tmp, open(tmp, "wb") as f:
            np.savez(
                f,
                group_hashes=np.asarray(hashes, dtype=np.uint64).reshape(-1, len(GROUPINGS)),
                source=np.asarray(src_idx, dtype=np.int32),
                bytes=np.asarray(n_bytes, dtype=np.int64),
            )
        _write_json(
            prefix.with_suffix(".json"),
            {
                "rank": rank,
                "world_size": world_size,
                "tokenizer_hash": tok.hash(),
                "vocab_size": tok.vocab_size,
                "dtype": np.dtype(dtype).name,
                "fim": asdict(self.fim),
                "val_fraction": self.val_fraction,
                "split_seed": self.split_seed,
                "tokenizer_val_excluded": self._tokenizer_val_excluded(),
                "fim_counts": fim_counts,
                "sources": list(sources),
            },
        )

    def _tokenizer_val_excluded(self) -> dict | None:
        """What the tokenizer's training left out as the model's val split (`tokenizer_train.json`), if known."""
        folder = self.tokenizer_path if self.tokenizer_path.is_dir() else self.tokenizer_path.parent
        info = folder / "tokenizer_train.json"
        return json.loads(info.read_text()).get("model_val_excluded") if info.is_file() else None

    def _encode(self, docs: list) -> tuple[list[list[int] | None], list]:
        """Encode a batch; a batch that fails is retried per document so one bad text drops alone."""
        tok = self.tokenizer
        texts = [d.text for d in docs]
        doc_ids = [d.id or hashlib.blake2b(d.text.encode("utf-8", "surrogatepass")).hexdigest() for d in docs]
        kw = {"bos_id": tok.bos_id, "eos_id": tok.eos_id}
        try:
            return encode_documents(texts, doc_ids, tok.encode_batch, self.fim, **kw)
        except Exception:
            ids: list[list[int] | None] = []
            modes: list = []
            for text, doc_id in zip(texts, doc_ids, strict=True):
                try:
                    one, mode = encode_documents([text], [doc_id], tok.encode_batch, self.fim, **kw)
                    ids.append(one[0])
                    modes.append(mode[0])
                except Exception:
                    ids.append(None)
                    modes.append(None)
            return ids, modes


def merge_shards(output_folder: str | os.PathLike, manifest_path: str | os.PathLike | None = None) -> dict:
    """Split and join `OUT/shards` into `OUT/{train,val}.bin/.idx`, write the manifest, drop the shards.

    Rerunning after a completed merge is a no-op that returns the manifest. The manifest defaults to
    `OUT/../manifest.json` (`DIR/manifest.json` for `OUT = DIR/bin`).
    """
    out = Path(output_folder)
    manifest_path = Path(manifest_path) if manifest_path else out.parent / "manifest.json"
    shard_dir = out / "shards"
    stats_files = sorted(shard_dir.glob("*.json")) if shard_dir.is_dir() else []
    if not stats_files:
        if manifest_path.is_file() and all(indexed.exists(out / s) for s in SPLITS):
            return json.loads(manifest_path.read_text())
        raise FileNotFoundError(f"no shards under {shard_dir}: run BinShardWriter first")
    stats = [json.loads(p.read_text()) for p in stats_files]
    world = {s["world_size"] for s in stats}
    if len(world) != 1:
        raise ValueError(f"shards from runs with different task counts {sorted(world)}: remove {shard_dir}")
    (world_size,) = world
    missing = sorted(set(range(world_size)) - {s["rank"] for s in stats})
    if missing:
        raise RuntimeError(f"shards {missing} of {world_size} are missing: rerun the writer (it resumes)")
    for key in ("tokenizer_hash", "fim", "val_fraction", "split_seed", "dtype"):
        if len({json.dumps(s[key], sort_keys=True) for s in stats}) != 1:
            raise ValueError(f"shards disagree on {key}: remove {shard_dir} and rerun")
    stats.sort(key=lambda s: s["rank"])
    first = stats[0]

    prefixes = [shard_dir / f"{s['rank']:05d}" for s in stats]
    lengths, hashes, sources, n_bytes = [], [], [], []
    names = sorted({n for s in stats for n in s["sources"]})
    for s, p in zip(stats, prefixes, strict=True):
        with np.load(p.with_suffix(".docs.npz")) as z:
            if "group_hashes" not in z:
                raise ValueError(
                    f"{p}: shard from an older cppllm (no per-grouping hashes): remove {shard_dir}"
                )
            hashes.append(z["group_hashes"])
            remap = np.asarray([names.index(n) for n in s["sources"]] or [0], dtype=np.int32)
            sources.append(remap[z["source"]])
            n_bytes.append(z["bytes"])
        lengths.append(np.asarray(indexed.IndexedReader(p).lengths, dtype=np.int64))
        if len(lengths[-1]) != len(hashes[-1]):
            raise RuntimeError(f"{p}: shard and its document table disagree; remove {shard_dir} and rerun")
    cuts = np.cumsum([len(x) for x in lengths])[:-1]
    all_len, all_src, all_bytes = (np.concatenate(x) for x in (lengths, sources, n_bytes))
    all_hashes = np.concatenate(hashes)
    tables = [group_table(all_hashes[:, level], all_bytes) for level in range(len(GROUPINGS))]
    plan = plan_split(tables, first["val_fraction"], first["split_seed"])
    is_val = plan.mask(all_hashes[:, plan.level])
    if plan.warning:
        logger.warning(f"{manifest_path}: {plan.warning}")
    tokenizer_mismatch = _tokenizer_mismatch(first.get("tokenizer_val_excluded"), plan, names)
    if tokenizer_mismatch:
        logger.warning(f"{manifest_path}: {tokenizer_mismatch}")

    splits: dict[str, Any] = {}
    for split, keep in (("train", ~is_val), ("val", is_val)):
        n_docs, n_tokens = indexed.merge(prefixes, out / split, masks=np.split(keep, cuts))
        per_source = {}
        for i, name in enumerate(names):
            sel = keep & (all_src == i)
            if sel.any():
                per_source[name] = {
                    "docs": int(sel.sum()),
                    "tokens": int(all_len[sel].sum()),
                    "bytes": int(all_bytes[sel].sum()),
                }
        splits[split] = {
            "docs": n_docs,
            "tokens": n_tokens,
            "bytes": int(all_bytes[keep].sum()),
            "sources": per_source,
            "prefix": f"{out.name}/{split}",
        }

    fim_counts = {k: sum(s["fim_counts"][k] for s in stats) for k in first["fim_counts"]}
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    manifest.update(
        {
            "manifest_version": MANIFEST_VERSION,
            "tokenizer_hash": first["tokenizer_hash"],
            "vocab_size": first["vocab_size"],
            "dtype": first["dtype"],
            "format": "megatron-mmap-indexed-v1",
            "fim": {**first["fim"], "counts": fim_counts},
            "split": plan.to_json()
            | ({"tokenizer_mismatch": tokenizer_mismatch} if tokenizer_mismatch else {}),
            "splits": splits,
        }
    )
    _write_json(manifest_path, manifest)
    shutil.rmtree(shard_dir)
    return manifest


def _tokenizer_mismatch(excluded: dict | None, plan: SplitPlan, sources: list[str]) -> str | None:
    """A line when the tokenizer left out another val split than this one (other fraction, seed or
    grouping), so val bpb may be measured on text the tokenizer trained on; None when they agree."""
    if not excluded:
        return None
    grouping = excluded.get("grouping")
    if isinstance(grouping, dict):  # planned per source (a mixture): this .bin holds one source
        grouping = grouping.get(sources[0]) if len(sources) == 1 else None
    asked = (excluded.get("val_fraction"), excluded.get("split_seed"), grouping or plan.grouping)
    if asked == (plan.val_fraction, plan.seed, plan.grouping):
        return None
    return (
        f"the tokenizer left out the val split of val_fraction {asked[0]}, seed {asked[1]}, grouping "
        f"{asked[2]}; this split is {plan.val_fraction}, {plan.seed}, {plan.grouping}: val bpb may include "
        "text the tokenizer was trained on"
    )


class BinMerger(PipelineStep):
    """Run `merge_shards` (one task, after every `BinShardWriter` task has finished)."""

    name = "🔢 .bin merger"
    type = "🔢 - TOKENIZER"

    def __init__(self, output_folder: str | os.PathLike, manifest_path: str | os.PathLike | None = None):
        super().__init__()
        self.output_folder = Path(output_folder)
        self.manifest_path = manifest_path

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if rank != 0:
            return
        manifest = merge_shards(self.output_folder, self.manifest_path)
        for split in SPLITS:
            self.stat_update(f"{split}_tokens", value=manifest["splits"][split]["tokens"])


def write_bins(
    docs_folder: str | os.PathLike,
    output_dir: str | os.PathLike,
    tokenizer_path: str | os.PathLike,
    *,
    fim: FIMConfig = FIMConfig(),
    val_fraction: float = DEFAULT_VAL_FRACTION,
    split_seed: int = 0,
    tasks: int = 1,
    workers: int = 1,
    logging_dir: str | os.PathLike | None = None,
) -> dict:
    """Parquet documents (`text` + metadata columns) -> `output_dir/bin/{train,val}.bin/.idx`.

    Returns the manifest (also written to `output_dir/manifest.json`).
    """
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import ParquetReader

    out = Path(output_dir)
    logs = Path(logging_dir) if logging_dir else out / "logs" / "bin"
    writer = LocalPipelineExecutor(
        pipeline=[
            ParquetReader(str(docs_folder), text_key="text", id_key="id", glob_pattern="**/*.parquet"),
            BinShardWriter(
                out / "bin", tokenizer_path, fim=fim, val_fraction=val_fraction, split_seed=split_seed
            ),
        ],
        tasks=tasks,
        workers=workers,
        logging_dir=str(logs / "write"),
    )
    merger = LocalPipelineExecutor(
        pipeline=[BinMerger(out / "bin", out / "manifest.json")],
        tasks=1,
        logging_dir=str(logs / "merge"),
        depends=writer,
    )
    merger.run()
    return json.loads((out / "manifest.json").read_text())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m cppllm.pipeline.pretokenize.binwriter",
        description="Pretokenize parquet documents with FIM into Megatron .bin/.idx train/val datasets.",
    )
    p.add_argument("--docs", required=True, help="folder of parquet documents (e.g. DIR/docs)")
    p.add_argument("--tokenizer", required=True, help="tokenizer directory or tokenizer.json")
    p.add_argument("--output", required=True, help="output DIR: writes DIR/bin/ and DIR/manifest.json")
    p.add_argument(
        "--fim-rate",
        type=float,
        default=FIMConfig.fim_rate,
        help="share of documents turned into FIM (0: off)",
    )
    p.add_argument(
        "--spm-rate", type=float, default=FIMConfig.spm_rate, help="share of FIM documents in SPM order"
    )
    p.add_argument("--fim-seed", type=int, default=0, help="seed of the per-document FIM choices")
    p.add_argument(
        "--val-fraction", type=float, default=DEFAULT_VAL_FRACTION, help="share of repository groups in val"
    )
    p.add_argument("--split-seed", type=int, default=0, help="seed of the train/val group hash")
    p.add_argument("--tasks", type=int, default=1, help="number of shards (datatrove tasks)")
    p.add_argument("--workers", type=int, default=1, help="parallel worker processes")
    args = p.parse_args(argv)
    manifest = write_bins(
        args.docs,
        args.output,
        args.tokenizer,
        fim=FIMConfig(fim_rate=args.fim_rate, spm_rate=args.spm_rate, seed=args.fim_seed),
        val_fraction=args.val_fraction,
        split_seed=args.split_seed,
        tasks=args.tasks,
        workers=args.workers,
    )
    for split in SPLITS:
        s = manifest["splits"][split]
        print(f"{split}: {s['docs']} docs, {s['tokens']} tokens, {s['bytes']} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
