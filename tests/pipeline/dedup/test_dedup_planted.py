"""Measured recall / false positives on a planted near-duplicate set, and datatrove == datasketch clusters.

Each family is a synthetic C++ file plus one copy edited down to a target Jaccard level (measured exactly
with the same shingling): identifiers renamed, statement lines edited, comments rewritten, functions
reordered, whitespace reformatted. Requirements: recall >= 0.95 on pairs with J >= 0.8, false-positive
rate <= 1% on pairs with J < 0.5, no merges across families, and both paths give the same clusters.
"""

from __future__ import annotations

import random
import re
import struct

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cppllm.pipeline.dedup.near import NearDedupConfig, code_shingles, datasketch_clusters, jaccard

SYL = re.findall(r"\w+", "ka lo mi ne ru ta vo si pe du ga ze fi bo cu ha ji wy xe qo la mo ni")
TYPES = ["int", "long", "double", "size_t", "float", "bool", "unsigned"]
CMPS = ["<", ">", "<=", ">=", "==", "!="]
OPS = ["+", "-", "*", "^", "|", "&"]
WORDS = re.findall(
    r"\w+", "fast path slow check value buffer index note keep update cache limit handle table"
)
_WORD = re.compile(r"[A-Za-z0-9_]+")
# Target Jaccard levels, cycled over the families: positives, the grey zone around 0.7, negatives.
LEVELS = [0.98, 0.93, 0.88, 0.83, 0.74, 0.64, 0.49, 0.44, 0.38, 0.3]


def _ident(rng: random.Random) -> str:
    return "".join(rng.choice(SYL) for _ in range(rng.randint(2, 4))) + rng.choice(["", "_", "_x", "2"])


def _comment(rng: random.Random) -> str:
    return "// " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7)))


def _stmt(rng: random.Random, names: list[str], vs: list[str]) -> str:
    v, a, b, k = rng.choice(vs), rng.choice(vs), rng.choice(vs), rng.randint(0, 99)
    form = rng.randrange(5)
    if form == 0:
        return f"{v} = {a} {rng.choice(OPS)} {b} {rng.choice(OPS)} {k};"
    if form == 1:
        return f"if ({a} {rng.choice(CMPS)} {b}) {{ {v} += {k}; }}"
    if form == 2:
        return f"for (int i = 0; i < {k}; ++i) {{ {v} = {rng.choice(names)}({v}, i); }}"
    if form == 3:
        return f"{v} = {rng.choice(names)}({a}, {b});"
    return f"while ({v} {rng.choice(CMPS)} {k}) {{ --{v}; }}"


def make_file(rng: random.Random) -> dict:
    names = list(dict.fromkeys(_ident(rng) for _ in range(40)))
    funcs = []
    for _ in range(rng.randint(3, 6)):
        fname, params, local = rng.choice(names), rng.sample(names, 2), rng.sample(names, 3)
        vs = params + local
        lines = [_comment(rng), f"{rng.choice(TYPES)} {fname}(int {params[0]}, long {params[1]}) {{"]
        lines += [f"    {rng.choice(TYPES)} {v} = {rng.randint(0, 9)};" for v in local]
        for _ in range(rng.randint(6, 12)):
            if rng.random() < 0.2:
                lines.append("    " + _comment(rng))
            lines.append("    " + _stmt(rng, names, vs))
        funcs.append({"lines": lines + [f"    return {local[0]};", "}"], "vars": vs})
    return {"names": names, "funcs": funcs}


def render(f: dict, order: list[int] | None = None, reformat: bool = False) -> str:
    funcs = [f["funcs"][i] for i in (order or range(len(f["funcs"])))]
    text = "\n\n".join("\n".join(fn["lines"]) for fn in funcs) + "\n"
    if reformat:  # whitespace only: re-indent, split braces onto their own lines
        text = re.sub(r"[ ]+", "  ", text).replace(") {", ")\n{").replace("{ ", "{\n\t")
    return text


def draw_edits(rng: random.Random, f: dict, n: int) -> list[tuple]:
    """A random sequence of elementary edits: rename an identifier, edit a statement, rewrite a comment."""
    edits = []
    for _ in range(n):
        kind = rng.choice(["rename", "edit", "edit", "comment"])
        fi = rng.randrange(len(f["funcs"]))
        lines = f["funcs"][fi]["lines"]
        if kind == "rename":
            edits.append(("rename", rng.choice(f["names"]), _ident(rng) + "_r"))
        elif kind == "edit":
            li = rng.randrange(2, len(lines) - 2)
            edits.append(("line", fi, li, "    " + _stmt(rng, f["names"], f["funcs"][fi]["vars"])))
        else:
            edits.append(("line", fi, 0, _comment(rng)))
    return edits


def apply_edits(f: dict, edits: list[tuple], order: list[int] | None, reformat: bool) -> str:
    g = {"names": f["names"], "funcs": [{**fn, "lines": list(fn["lines"])} for fn in f["funcs"]]}
    renames = {}
    for e in edits:
        if e[0] == "rename":
            renames[e[1]] = e[2]
        else:
            g["funcs"][e[1]]["lines"][e[2]] = e[3]
    text = render(g, order, reformat)
    if renames:
        text = _WORD.sub(lambda m: renames.get(m[0], m[0]), text)
    return text


def planted_pairs(n_families: int, seed: int = 0) -> list[tuple[str, str, float]]:
    """(original, near-copy, exact Jaccard) per family; the copy is edited until J <= the target level."""
    rng = random.Random(seed)
    out = []
    for i in range(n_families):
        target = LEVELS[i % len(LEVELS)]
        f = make_file(rng)
        base = render(f)
        order = rng.sample(range(len(f["funcs"])), len(f["funcs"])) if rng.random() < 0.5 else None
        reformat = rng.random() < 0.5
        edits = draw_edits(rng, f, 128)
        base_set = code_shingles(base)

        def j(copy: str, base_set: set = base_set) -> float:
            s = code_shingles(copy)
            return len(base_set & s) / len(base_set | s)

        lo, hi = 0, len(edits)  # smallest number of edits reaching the target (binary search)
        while lo < hi:
            mid = (lo + hi) // 2
            if j(apply_edits(f, edits[:mid], order, reformat)) <= target:
                hi = mid
            else:
                lo = mid + 1
        copy = apply_edits(f, edits[:lo], order, reformat)
        out.append((base, copy, jaccard(base, copy)))
    return out


@pytest.fixture(scope="module")
def planted():
    pairs = planted_pairs(400)
    texts = [t for base, copy, _ in pairs for t in (base, copy)]
    return pairs, texts


def _pair_metrics(pairs, clusters):
    cluster_of = {i: ci for ci, members in enumerate(clusters) for i in members}
    together = [cluster_of.get(2 * k, -1) == cluster_of.get(2 * k + 1, -2) for k in range(len(pairs))]
    pos = [t for (_, _, j), t in zip(pairs, together, strict=True) if j >= 0.8]
    neg = [t for (_, _, j), t in zip(pairs, together, strict=True) if j < 0.5]
    cross = sum(len({i // 2 for i in members}) > 1 for members in clusters)
    return sum(pos) / len(pos), sum(neg) / len(neg), len(pos), len(neg), cross


def test_planted_levels_cover_both_sides(planted):
    pairs, _ = planted
    js = [j for _, _, j in pairs]
    assert sum(j >= 0.8 for j in js) >= 120 and sum(j < 0.5 for j in js) >= 120
    assert sum(0.5 <= j < 0.8 for j in js) >= 40


def test_datasketch_recall_and_false_positives(planted):
    pairs, texts = planted
    recall, fp, n_pos, n_neg, cross = _pair_metrics(pairs, datasketch_clusters(texts, NearDedupConfig()))
    print(f"datasketch: recall {recall:.3f} on {n_pos} pairs J>=0.8, FP {fp:.3f} on {n_neg} pairs J<0.5")
    assert recall >= 0.95
    assert fp <= 0.01
    assert cross == 0


def test_datatrove_stages_find_the_same_clusters(planted, tmp_path):
    from datatrove.pipeline.readers import ParquetReader
    from datatrove.pipeline.writers import JsonlWriter

    from cppllm.pipeline.dedup.run import minhash_executors
    from cppllm.pipeline.executors import executor_factory

    pairs, texts = planted
    half = len(texts) // 2
    sources = ["crawl", "the-stack-dedup"]
    for shard, (start, stop) in enumerate([(0, half), (half, len(texts))]):
        (tmp_path / "docs").mkdir(exist_ok=True)
        ids = [f"doc{i:04d}" for i in range(start, stop)]
        table = pa.table(
            {
                "text": texts[start:stop],
                "id": ids,
                "source": [sources[i % 2] for i in range(start, stop)],
            }
        )
        pq.write_table(table, tmp_path / "docs" / f"{shard:02d}.parquet")

    cfg = NearDedupConfig()
    execs = minhash_executors(
        reader=ParquetReader(str(tmp_path / "docs")),
        after_filter=[JsonlWriter(str(tmp_path / "out"), compression=None)],
        work_dir=str(tmp_path / "work"),
        config=cfg,
        tasks=2,
        make_executor=executor_factory(str(tmp_path / "logs")),
    )
    execs[-1].run()

    # clusters of the datatrove path, as (task, position) -> global index
    reference = datasketch_clusters(texts, cfg)
    dt_clusters = _datatrove_clusters(tmp_path / "work" / "clusters", half)
    assert dt_clusters == reference

    # the filter kept exactly one document per cluster: the curated source ("the-stack-dedup") when the
    # cluster has one, and all the others
    import json

    kept = {json.loads(line)["id"] for p in (tmp_path / "out").glob("*.jsonl") for line in p.open()}
    removed = {i for members in reference for i in members} - {
        min(members, key=lambda i: (-(i % 2), -len(texts[i]), f"doc{i:04d}")) for members in reference
    }
    assert kept == {f"doc{i:04d}" for i in range(len(texts))} - {f"doc{i:04d}" for i in removed}


def _datatrove_clusters(folder, half: int) -> list[list[int]]:
    groups: dict[int, list[int]] = {}
    for path in sorted(folder.glob("*.clusters")):
        task = int(path.name.split(".")[0])
        data = path.read_bytes()
        for doc, cid in struct.iter_unpack("<2I", data):
            groups.setdefault(cid, []).append(task * half + doc)
    return sorted(sorted(g) for g in groups.values())
