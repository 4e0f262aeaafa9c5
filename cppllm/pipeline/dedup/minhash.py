"""The scalable near-dedup path: datatrove's four MinHash stages with code shingles and survivor choice.

Stage 1 `CodeMinhashSignature` (many tasks, streaming): our code shingles and datasketch-compatible
signatures (`dedup.py`) instead of datatrove's English word tokenizer; it writes the LSH bands as
datatrove's sorted bucket files, plus a per-task sidecar (`meta/`) with each document's source priority,
length and id so the cluster stage can choose survivors. Stage 2 `CodeMinhashBuckets` is datatrove's
merge of the sorted bucket files (constant memory), also runnable with fewer tasks than bands. Stage 3
`CodeMinhashCluster` (one task) unions the duplicate pairs and keeps, per cluster, the highest-priority, then longest, then
smallest-id document; its memory is proportional to the number of duplicates only. Stage 4
`CodeMinhashFilter` (many tasks) re-reads the same documents and drops the removed ones, counting them
by source.

Stages 1 and 4 must read the same documents with the same number of tasks: the bucket files refer to
documents by (task, position in the task's stream).
"""

from __future__ import annotations

import contextlib

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.utils.binaryio import read_tuples_from_file
from datatrove.utils.hashing import HashConfig

from cppllm.pipeline.dedup.near import (
    NearDedupConfig,
    groups_from_pairs,
    minhash_signature,
    shingle_hashes,
    survivor_key,
)

# One record per document of a signature task: priority, text length, id offset and id length in `.ids`.
META_DTYPE = np.dtype([("priority", "<i4"), ("length", "<i8"), ("id_off", "<u8"), ("id_len", "<u4")])


def datatrove_config(config: NearDedupConfig) -> MinhashConfig:
    """datatrove's MinhashConfig for our banding: `bands` buckets of `rows` 32-bit hashes."""
    return MinhashConfig(
        n_grams=config.ngram,
        num_buckets=config.bands,
        hashes_per_bucket=config.rows,
        seed=config.seed,
        hash_config=HashConfig(precision=32, hash_fc="xxhash"),
    )


class CodeMinhashSignature(MinhashDedupSignature):
    """Stage 1: code-shingle signatures into sorted per-band bucket files, plus the survivor sidecar."""

    name = "🎯 MinHash 1: code signatures"
    _requires_dependencies = ["xxhash"]

    def __init__(self, output_folder: DataFolderLike, config: NearDedupConfig | None = None):
        # Not MinhashDedupSignature.__init__: it loads an English word tokenizer (spaCy) we never use.
        PipelineStep.__init__(self)
        self.near = config or NearDedupConfig()
        self.output_folder = get_datafolder(output_folder)
        self.config = datatrove_config(self.near)
        self.num_hashes = self.near.bands * self.near.rows
        self.skip_existing_sigs = False
        self._parameters = None

    def get_shingles(self, text: str) -> np.ndarray:
        return shingle_hashes(text, self.near.ngram)

    def get_signature(self, shingles: np.ndarray) -> list[list[int]]:
        sig = minhash_signature(shingles, self.near.num_perm, self.near.seed)[: self.num_hashes]
        return sig.reshape(self.near.bands, self.near.rows).tolist()

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> None:
        # datatrove's own run, with bucket records written in batches of numpy rows instead of one
        # struct.pack + write per document and band (a third of this stage's time): same file format.
        bands, rows, batch = self.near.bands, self.near.rows, 4096
        record = np.dtype([(f"field{i + 1}", "<u4") for i in range(rows + 1)])  # rows hashes + doc index
        paths = [f"bucket_{bi:03d}/{rank:05d}.minhash.sig" for bi in range(bands)]
        sigs, idxs, metas, id_bytes, offset = [], [], [], [], 0
        with (
            self.output_folder.open(f"meta/{rank:05d}.meta", mode="wb") as meta,
            self.output_folder.open(f"meta/{rank:05d}.ids", mode="wb") as ids,
            contextlib.ExitStack() as stack,
        ):
            buckets = [stack.enter_context(self.output_folder.open(p, mode="wb")) for p in paths]

            def flush() -> None:
                if sigs:
                    block = np.empty((len(sigs), bands, rows + 1), dtype="<u4")  # (docs, bands, rows + 1)
                    block[:, :, :rows] = np.stack(sigs).reshape(len(sigs), bands, rows)
                    block[:, :, rows] = np.asarray(idxs, dtype="<u4")[:, None]
                    for bi, f in enumerate(buckets):
                        f.write(np.ascontiguousarray(block[:, bi, :]).tobytes())
                meta.write(np.array(metas, dtype=META_DTYPE).tobytes())
                ids.write(b"".join(id_bytes))
                for buf in (sigs, idxs, metas, id_bytes):
                    buf.clear()

            with self.track_time():
                for doc_idx, doc in enumerate(data):
                    self.stat_update("total")
                    raw = str(doc.id).encode("utf-8")
                    priority = self.near.priority(doc.metadata.get("source"))
                    metas.append((priority, len(doc.text), offset, len(raw)))
                    id_bytes.append(raw)
                    offset += len(raw)
                    shingles = self.get_shingles(doc.text)
                    if shingles.size:
                        sigs.append(
                            minhash_signature(shingles, self.near.num_perm, self.near.seed)[: self.num_hashes]
                        )
                        idxs.append(doc_idx)
                    if len(metas) >= batch:
                        flush()
                flush()
        with self.track_time():
            for path in paths:  # sort each bucket file, as the bucket stage merges sorted files
                with self.output_folder.open(path, mode="rb") as f:
                    records = np.frombuffer(f.read(), dtype=record).copy()
                records.sort(order=record.names)
                with self.output_folder.open(path, mode="wb") as f:
                    f.write(records.tobytes())


class CodeMinhashBuckets(MinhashDedupBuckets):
    """Stage 2: datatrove's bucket merge; fewer tasks than bands is allowed (each task takes several bands).

    datatrove needs tasks = bands x workers per band; a small local run then pays for 25 tasks of executor
    start-up. Here any task count up to `bands` works too, and multiples of `bands` behave as datatrove's.
    """

    name = "🎯 MinHash 2: buckets"

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> None:
        bands = self.config.num_buckets
        if world_size % bands == 0:
            return super().run(data, rank, world_size)
        if world_size > bands:
            raise ValueError(f"bucket stage tasks must be <= {bands} or a multiple of it, got {world_size}")
        for band in range(rank, bands, world_size):
            super().run(data, band, bands)


class CodeMinhashCluster(MinhashDedupCluster):
    """Stage 3 (one task): clusters from the duplicate pairs; the best document of each survives."""

    name = "🎯 MinHash 3: clusters and survivors"

    def __init__(
        self,
        input_folder: DataFolderLike,
        output_folder: DataFolderLike,
        meta_folder: DataFolderLike,
        config: NearDedupConfig | None = None,
        save_cluster_id: bool = True,
    ):
        self.near = config or NearDedupConfig()
        super().__init__(
            input_folder, output_folder, config=datatrove_config(self.near), save_cluster_id=save_cluster_id
        )
        self.meta_folder = get_datafolder(meta_folder)

    def _pairs(self):
        for dup_file in self.input_folder.list_files(glob_pattern="*.dups"):
            with self.input_folder.open(dup_file, "rb") as f:
                for f1, d1, f2, d2 in read_tuples_from_file(f, "4I", lines_to_buffer=self.lines_to_buffer):
                    yield (f1, d1), (f2, d2)

    def _keys(self, file: int, docs: list[int]) -> dict[int, tuple]:
        """Survivor keys of the given documents of one signature task, read from its sidecar."""
        with self.meta_folder.open(f"meta/{file:05d}.meta", "rb") as f:
            records = np.frombuffer(f.read(), dtype=META_DTYPE)
        keys = {}
        with self.meta_folder.open(f"meta/{file:05d}.ids", "rb") as f:
            for d in sorted(docs):
                rec = records[d]
                f.seek(int(rec["id_off"]))
                doc_id = f.read(int(rec["id_len"])).decode("utf-8")
                keys[d] = survivor_key(int(rec["priority"]), int(rec["length"]), doc_id)
        return keys

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> None:
        if world_size != 1:
            raise ValueError(f"the cluster stage runs as one task, got {world_size}")
        with self.track_time():
            clusters = groups_from_pairs(self._pairs())
            by_file: dict[int, list[int]] = {}
            for members in clusters:
                for file, doc in members:
                    by_file.setdefault(file, []).append(doc)
            keys = {(file, d): k for file, docs in by_file.items() for d, k in self._keys(file, docs).items()}
            removals: dict[int, list[int]] = {}
            cluster_ids: dict[int, list[tuple[int, int]]] = {}
            for ci, members in enumerate(clusters):
                keep = min(members, key=lambda node: keys[node])
                self.stat_update("clusters")
                self.stat_update("cluster_size", value=len(members), unit="cluster")
                for file, doc in members:
                    cluster_ids.setdefault(file, []).append((doc, ci))
                    if (file, doc) != keep:
                        removals.setdefault(file, []).append(doc)
                        self.stat_update("to_remove")
            for file, docs in sorted(removals.items()):
                with self.output_folder.open(f"{file:06d}.remove", "wb") as out:
                    out.write(np.array(sorted(docs), dtype="<u4").tobytes())
            if self.save_cluster_id:  # datatrove's format: (doc, cluster id) uint32 pairs
                for file, rows in sorted(cluster_ids.items()):
                    with self.output_folder.open(f"{file:06d}.clusters", "wb") as out:
                        out.write(np.array(sorted(rows), dtype="<u4").tobytes())


class CodeMinhashFilter(MinhashDedupFilter):
    """Stage 4: drop the documents the cluster stage removed; removals are counted by source."""

    name = "🎯 MinHash 4: filter"

    def __init__(self, input_folder: DataFolderLike):
        super().__init__(input_folder)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        removed = np.empty(0, dtype="<u4")
        if self.data_folder.isfile(f"{rank:06d}.remove"):
            with self.data_folder.open(f"{rank:06d}.remove", "rb") as f:
                removed = np.frombuffer(f.read(), dtype="<u4")
        nxt = 0
        for idx, doc in enumerate(data):
            self.stat_update("total")
            if nxt < len(removed) and removed[nxt] == idx:
                nxt += 1
                self.stat_update(
                    "dropped", "dropped_near_duplicate", f"removed_{doc.metadata.get('source', 'unknown')}"
                )
                continue
            self.stat_update("forwarded")
            yield doc
        if nxt != len(removed):
            raise ValueError(
                f"task {rank} saw fewer documents than the signature stage: stages 1 and 4 must read "
                "the same input with the same number of tasks"
            )
