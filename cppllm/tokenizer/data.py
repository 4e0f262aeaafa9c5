"""Documents for tokenizer training and reports: streamed readers, held-out split, deterministic sample.

Inputs (auto-detected from the path):
- the pipeline's output directory (`DIR/docs/*.parquet`, column `text` plus metadata columns);
- any directory or file of `.parquet` / `.jsonl` / `.jsonl.gz` documents (field `text`);
- a directory of raw C++ source files (selected by extension), when it holds no parquet/jsonl;
- `embedded`: the embedded corpus (the g++ and torch headers of this machine).

Every document has a *key*: `source/path` when the metadata has a path (so a pipeline document and the
raw file it came from share a key), else its id, else `file:row`, and a *project*: the whole source tree
(`libstdcxx`, `llvm`) or the repository (`owner/name` of a Hub dataset). Two held-out splits are never
trained on: whole projects (`heldout_projects`, by a hash of the project: the tokenizer report's
cross-project figures, on code it never saw) and files of the other projects (`heldout`, by a hash of the
key: in-distribution figures). Both are pure functions of names (xxhash): the same on every run and machine.

Pipeline documents also carry their train/val *groups* (`cppllm.pipeline.split.group_keys`), so
tokenizer training can leave out the documents the `.bin` writer will put in the model's val split
(`exclude_val`, `ModelVal`): val bpb is then measured on text the tokenizer never saw either. Which
grouping the writer uses depends on the whole corpus (a single repository falls back to directories), so
`ModelVal` makes one extra streamed pass to plan the split exactly as the writer will.
Nothing is ever held in memory beyond one parquet record batch or one file.
"""

from __future__ import annotations

import gzip
import json
import os
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cppllm.atomic import atomic_path

EMBEDDED = "embedded"
DEFAULT_HELDOUT = 0.05  # fraction of documents never used for training, kept for the report
DEFAULT_HELDOUT_PROJECTS = 0.05  # fraction of whole projects (trees, repositories) never used for training
SPLITS = ("train", "heldout", "heldout_projects")
AUTO = "auto"  # `sample_texts(max_project_chars=AUTO)`: the cap that balances projects within the budget


@dataclass(frozen=True, slots=True)
class Doc:
    key: str
    text: str
    groups: tuple[str, ...] = field(default=(), compare=False)  # `split.group_keys`; () for raw files
    source: str = field(default="", compare=False)
    project: str = field(default="", compare=False)  # source tree or repository; "" = the key's first part

    @property
    def project_name(self) -> str:
        return self.project or self.key.split("/", 1)[0]


def hash01(key: str, salt: str = "") -> float:
    """A deterministic uniform number in [0, 1) for a key."""
    import xxhash

    return xxhash.xxh64_intdigest(f"{salt}\x00{key}".encode("utf-8", "surrogatepass")) / 2.0**64


def is_heldout(key: str, fraction: float = DEFAULT_HELDOUT) -> bool:
    """True for the documents kept out of tokenizer training (the report's held-out split)."""
    return hash01(key, "cppllm-tokenizer-heldout") < fraction


def is_heldout_project(project: str, fraction: float = DEFAULT_HELDOUT_PROJECTS) -> bool:
    """True for the projects kept out of tokenizer training as a whole (the report's cross-project split)."""
    return hash01(project, "cppllm-tokenizer-heldout-project") < fraction


def project_name(source: str | None, repo: str | None) -> str:
    """A document's project: its tree (`source`) when the repo is a folder of that tree (tarballs, the
    embedded corpus: `llvm/clang/lib` -> `llvm`), else its repository (`owner/name`), else its source."""
    if repo:
        first = str(repo).split("/", 1)[0]
        return str(source) if source and first == source else str(repo)
    return str(source or "")


def _doc(row: dict, fallback: str) -> Doc:
    """A row's document: its key (see the module docstring) and split groups."""
    from cppllm.pipeline.split import group_keys

    meta = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
    fields = {k: row.get(k) or meta.get(k) for k in ("path", "source", "repo", "id")}
    path, source, doc_id = fields["path"], fields["source"], fields["id"]
    if path:
        key = f"{source}/{path}" if source else str(path)
    else:
        key = str(doc_id) if doc_id else fallback
    return Doc(key, row["text"], group_keys(fields), str(source or ""), project_name(source, fields["repo"]))


def _doc_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    base = root / "docs" if (root / "docs").is_dir() else root
    files = [
        p
        for p in base.rglob("*")
        if p.is_file() and (p.suffix == ".parquet" or p.name.endswith((".jsonl", ".jsonl.gz")))
    ]
    return sorted(files)


def _iter_parquet(path: Path) -> Iterator[Doc]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    names = set(pf.schema_arrow.names)
    if "text" not in names:
        raise ValueError(f"{path}: no 'text' column (columns: {sorted(names)})")
    cols = [c for c in ("text", "id", "path", "source", "repo", "metadata") if c in names]
    row = 0
    for batch in pf.iter_batches(columns=cols, batch_size=256):
        for rec in batch.to_pylist():
            if isinstance(rec.get("text"), str):
                yield _doc(rec, f"{path.name}:{row}")
            row += 1


def _iter_jsonl(path: Path) -> Iterator[Doc]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for row, line in enumerate(f):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{row + 1}: not JSON ({e.msg})") from None
            if isinstance(rec, dict) and isinstance(rec.get("text"), str):
                yield _doc(rec, f"{path.name}:{row}")


def _iter_source_tree(root: Path, name: str) -> Iterator[Doc]:
    """C/C++ files of a tree, chosen and decoded as the pipeline's readers do (extension or sniffing)."""
    from cppllm.pipeline.readers.cppfiles import (
        SNIFF_BYTES,
        decode_source,
        is_cpp_path,
        is_extensionless,
        looks_like_cpp,
    )

    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            p = Path(dirpath) / fn
            rel = p.relative_to(root).as_posix()
            if not (is_cpp_path(rel) or is_extensionless(rel)):
                continue
            try:
                data = p.read_bytes()
            except OSError:
                continue
            if not is_cpp_path(rel) and not looks_like_cpp(data[:SNIFF_BYTES]):
                continue
            decoded = decode_source(data)
            if decoded.text is not None:
                yield Doc(f"{name}/{rel}", decoded.text, project=name)


def iter_docs(data: str | os.PathLike) -> Iterator[Doc]:
    """Every document under `data` (see the module docstring), streamed in a stable order."""
    if str(data) == EMBEDDED:
        from cppllm.pipeline.readers.corpus import embedded_roots

        for root in embedded_roots():
            yield from _iter_source_tree(root.path, root.name)
        return
    root = Path(data)
    if not root.exists():
        raise FileNotFoundError(f"no data at {root}")
    files = _doc_files(root)
    if not files:
        if root.is_dir():
            yield from _iter_source_tree(root, root.name)
        return
    for f in files:
        yield from _iter_parquet(f) if f.suffix == ".parquet" else _iter_jsonl(f)


def is_raw_source(data: str | os.PathLike) -> bool:
    """True when `data` is source files (a tree or `embedded`), not pipeline documents (already normalized)."""
    if str(data) == EMBEDDED:
        return True
    root = Path(data)
    return root.is_dir() and not _doc_files(root)


def list_projects(data: str | os.PathLike) -> list[str]:
    """The distinct projects of `data`, sorted (documents' metadata only where the format allows)."""
    if str(data) == EMBEDDED:
        from cppllm.pipeline.readers.corpus import embedded_roots

        return sorted({r.name for r in embedded_roots()})
    root = Path(data)
    files = _doc_files(root) if root.exists() else []
    if not files:
        return [root.name] if root.is_dir() else []
    names: set[str] = set()
    for f in files:
        if f.suffix == ".parquet":
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(f)
            cols = [c for c in ("id", "path", "source", "repo", "metadata") if c in pf.schema_arrow.names]
            for batch in pf.iter_batches(columns=cols, batch_size=4096):
                names.update(_doc(r | {"text": ""}, "").project_name for r in batch.to_pylist())
        else:
            names.update(d.project_name for d in _iter_jsonl(f))
    return sorted(names)


def heldout_projects(projects: Iterable[str], fraction: float = DEFAULT_HELDOUT_PROJECTS) -> list[str]:
    """The projects kept out of training as a whole (by hash); none when that would be all of them
    (a one-project corpus is trained on, and the report says it has no cross-project text)."""
    projects = sorted(set(projects))
    held = [p for p in projects if is_heldout_project(p, fraction)]
    return [] if len(held) == len(projects) else held


def heldout_projects_of(data: str | os.PathLike, fraction: float = DEFAULT_HELDOUT_PROJECTS) -> list[str]:
    """`heldout_projects(list_projects(data), fraction)` (no pass over the data when `fraction` is 0)."""
    return heldout_projects(list_projects(data), fraction) if fraction else []


def split_docs(
    docs: Iterable[Doc],
    split: str,
    fraction: float = DEFAULT_HELDOUT,
    held_projects: Iterable[str] = (),
) -> Iterator[Doc]:
    """The documents of one split of a stream: `"train"`, `"heldout"` (files of trained projects, by key
    hash) or `"heldout_projects"` (every file of the `held_projects`)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    held = frozenset(held_projects)

    def which(d: Doc) -> str:
        if held and d.project_name in held:
            return "heldout_projects"
        return "heldout" if is_heldout(d.key, fraction) else "train"

    return (d for d in docs if which(d) == split)


class ModelVal:
    """The documents of `data` that the `.bin` writer puts in val at (val_fraction, split_seed).

    The writer's grouping is a function of its whole corpus (`split.plan_split`), so the groups and
    their byte sizes are tallied over every document first (one streamed pass), exactly as the writer
    tallies its input. `by_source`: the run writes one `.bin` per source (a mixture), so each source is
    planned on its own, as its writer sees it.
    """

    def __init__(
        self, data: str | os.PathLike, val_fraction: float, seed: int = 0, *, by_source: bool = False
    ):
        from cppllm.pipeline.split import GroupTally

        self.seed, self.by_source = seed, by_source
        tallies: dict[str, GroupTally] = {}
        for d in iter_docs(data):
            if d.groups and d.text:  # the writer drops empty texts before it counts them
                part = d.source if by_source else ""
                tally = tallies.setdefault(part, GroupTally(seed))
                tally.add(d.groups, len(d.text.encode("utf-8", "surrogatepass")))
        self.plans = {part: t.plan(val_fraction) for part, t in tallies.items()}

    def __contains__(self, doc: Doc) -> bool:
        from cppllm.pipeline.split import group_hash

        plan = self.plans.get(doc.source if self.by_source else "")
        if plan is None or not doc.groups or not plan.val_groups:
            return False
        return group_hash(self.seed, doc.groups[plan.level]) in plan.val_groups

    def groupings(self) -> str | dict[str, str]:
        """The grouping the writer uses (per source with `by_source`), for the tokenizer's record."""
        if not self.by_source:
            return self.plans[""].grouping if self.plans else "repo"
        return {part: plan.grouping for part, plan in sorted(self.plans.items())}


def sample_texts(data: str | os.PathLike, **kw) -> Iterator[str]:
    """The texts of :func:`sample_docs` (same arguments)."""
    return (text for _, text in sample_docs(data, **kw))


def sample_docs(
    data: str | os.PathLike,
    *,
    max_chars: int | None,
    heldout: float = DEFAULT_HELDOUT,
    seed: int = 0,
    normalize: bool = False,
    stats: dict | None = None,
    exclude_val: tuple[float, int] | None = None,
    val_by_source: bool = False,
    held_projects: Iterable[str] = (),
    max_project_chars: int | str | None = AUTO,
) -> Iterator[tuple[str, str]]:
    """Training documents as `(project, text)`: the train split (never a held-out file or project),
    sampled by key to about `max_chars` characters.

    With a budget, a first streamed pass counts each project's characters in the train split to set each
    project's share, so the sample is spread over the whole corpus (not its first files) and no project
    gives more than `max_project_chars` (`AUTO`: `balanced_cap`, the level at which the capped projects
    just fill the budget; None or 0: no cap, one uniform rate). Within a project the sample is the files of
    lowest key hash (`seed`) that fill its share, one file past it at most: every project gets its share
    whatever order the projects are read in, and the sample is the budget to within one file per project.
    `normalize` applies the pipeline's normalizer to each text (for raw source trees).
    `held_projects` (`heldout_projects`) are left out whole. `exclude_val` = (val_fraction, split_seed) of
    the `.bin` writer leaves out the model's val documents (`ModelVal`; `val_by_source` when each source
    gets its own `.bin`). `stats` gets `docs`/`chars`/`val_docs_excluded`/`val_grouping`, and with a cap
    `project_cap` (characters) and `projects_capped`.
    """
    norm = _normalizer() if normalize else None
    model_val = None
    if exclude_val is not None:
        model_val = ModelVal(data, *exclude_val, by_source=val_by_source)
        if stats is not None:
            stats["val_grouping"] = model_val.groupings()

    def train_docs() -> Iterator[Doc]:
        excluded = 0
        for d in split_docs(iter_docs(data), "train", heldout, held_projects):
            if model_val is not None and d in model_val:
                excluded += 1
                continue
            yield d
        if stats is not None:  # counted over a whole pass
            stats["val_docs_excluded"] = excluded

    salt = f"cppllm-tokenizer-sample-{seed}"
    limits: dict[str, float] = {}  # per project: the largest key hash sampled; a missing project is whole
    if max_chars is not None or max_project_chars not in (None, 0, AUTO):
        keyed: dict[str, tuple[array, array]] = {}  # project -> (key hashes, characters) of its files
        for d in train_docs():
            hashes, sizes = keyed.setdefault(d.project_name, (array("d"), array("q")))
            hashes.append(hash01(d.key, salt))
            sizes.append(len(d.text))
        totals = {p: sum(sizes) for p, (_, sizes) in keyed.items()}
        rates = _project_rates(totals, max_chars, max_project_chars, stats)
        limits = {p: _hash_limit(*keyed[p], rates[p] * totals[p]) for p in totals if rates.get(p, 1.0) < 1.0}
        del keyed
    used_docs = used_chars = 0
    for d in train_docs():
        project = d.project_name
        if project in limits and hash01(d.key, salt) > limits[project]:
            continue
        text = norm(d.text) if norm else d.text
        used_docs += 1
        used_chars += len(text)
        if stats is not None:
            stats.update(docs=used_docs, chars=used_chars)
        yield project, text


def _hash_limit(hashes: array, sizes: array, share: float) -> float:
    """The key hash up to which a project's files, taken in hash order, first reach `share` characters."""
    import numpy as np

    order = np.argsort(np.frombuffer(hashes, dtype=np.float64), kind="stable")
    filled = np.cumsum(np.frombuffer(sizes, dtype=np.int64)[order])
    last = min(int(np.searchsorted(filled, share)), len(order) - 1)
    return hashes[int(order[last])]


def balanced_cap(totals: Iterable[int], budget: int) -> int | None:
    """The per-project cap at which the capped projects just fill `budget` characters (water filling:
    projects under it are taken whole, the larger ones give the same share each); None when everything
    fits."""
    sizes = sorted(totals)
    left = budget
    for i, size in enumerate(sizes):
        if size * (len(sizes) - i) > left:
            return max(1, left // (len(sizes) - i))
        left -= size
    return None


def _project_rates(
    totals: dict[str, int], max_chars: int | None, cap: int | str | None, stats: dict | None
) -> dict[str, float]:
    """Each project's sampling rate: first its cap (`sample_texts`), then one rate for the budget."""
    if cap == AUTO:
        cap = balanced_cap(totals.values(), max_chars) if max_chars is not None else None
    elif isinstance(cap, str):
        raise ValueError(f"max_project_chars must be a number of characters, None or {AUTO!r}, not {cap!r}")
    capped = {p: min(n, cap) if cap else n for p, n in totals.items()}
    total = sum(capped.values())
    rate = min(1.0, max_chars / total) if max_chars is not None and total else 1.0
    if stats is not None and cap:
        stats.update(project_cap=cap, projects_capped=sum(n > cap for n in totals.values()))
    return {p: rate * capped[p] / n for p, n in totals.items() if n}


def _normalizer():
    from cppllm.pipeline.clean.normalize import normalize

    return normalize


def write_docs_parquet(docs: Iterable[Doc], path: str | os.PathLike, *, source: str = "") -> Path:
    """Write documents as a pipeline-style parquet shard (`text`, `id`, `source`, `path`), atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = {"text": [], "id": [], "source": [], "path": []}
    for d in docs:
        src, _, rel = d.key.partition("/") if not source else (source, "/", d.key)
        rows["text"].append(d.text)
        rows["id"].append(d.key)
        rows["source"].append(src)
        rows["path"].append(rel or d.key)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        pq.write_table(pa.table(rows), tmp)
    return out
