"""Contrastive training pairs mined from C++ repositories without labels (for `--stage embed`).

Five kinds, each a (query, positive) pair the code itself provides:
- `doc`: a function's or class's leading doc comment -> its code (the comment removed);
- `decl_def`: a function declaration in a header (with its doc comment) -> its definition elsewhere;
- `test_call`: a test function -> the repository function it calls (the one named most like the test);
- `signature`: a function's name and signature -> its body;
- `call`: a line of a (non-test) function that calls a repository function -> that function's definition
  (its short name unique in the repository; one pair per callee, from its first caller in path order).
Each pair also gets a hard negative: the repository function whose identifiers overlap most with the
positive's (Jaccard over identifier sets, among a deterministic sample), so in-batch negatives are not the
only ones. Units come from `cppllm.pipeline.codeunits`. Pairs are split by repository (`split.group_key`,
the `.bin` writer's hash rule, or `--val-repo` names), so no repository has pairs on both sides.

`PairMiner` is the DataTrove step (groups a task's documents by repository, counts every pair kind and
drop reason); `python -m cppllm.pipeline.pairs --source DIR --out OUT` runs it over source trees and
writes `OUT/pairs/{train,val}.jsonl` and `OUT/pairs/stats.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from cppllm.atomic import write_text
from cppllm.pipeline.codeunits import Unit, calls, extract_units, line_of
from cppllm.pipeline.split import group_in_val, group_key

KINDS = ("doc", "decl_def", "test_call", "signature", "call")
HEADER_EXTENSIONS = (".h", ".hh", ".hpp", ".hxx", ".h++", ".inl", ".ipp", ".tcc", ".cuh")
_TEST_PATH = re.compile(r"(^|/)(tests?|unittests?|testing)/|(^|[/_])test_|_tests?\.\w+$|Test\.\w+$", re.I)
_IDENT = re.compile(r"[A-Za-z_]\w{2,}")


@dataclass(frozen=True, kw_only=True)
class PairConfig:
    min_doc_words: int = 4  # shorter doc comments ("Constructor.") say too little to retrieve by
    min_body_lines: int = 3  # signature pairs: one-line bodies are too easy to be worth a pair
    max_chars: int = 4000  # query/positive/negative are cut to this many characters
    negative_candidates: int = 64  # hard-negative search: this many repository functions per pair
    seed: int = 0


@dataclass(frozen=True, kw_only=True)
class Pair:
    kind: str
    query: str
    positive: str
    negative: str  # "" when the repository has no other function
    repo: str
    path: str  # the positive's file
    line: int  # the positive's first line


@dataclass(frozen=True)
class _Def:
    path: str
    unit: Unit
    code: str


def is_test_path(path: str) -> bool:
    return bool(_TEST_PATH.search(path))


def _idents(code: str) -> frozenset[str]:
    return frozenset(_IDENT.findall(code))


class _Negatives:
    """The most identifier-similar other function of the repository, from a seeded candidate sample."""

    def __init__(self, defs: list[_Def], cfg: PairConfig) -> None:
        self.defs = defs
        self.idents = [_idents(d.code) for d in defs]
        self.cfg = cfg

    def pick(self, positive: str, key: str, exclude_name: str) -> str:
        if len(self.defs) < 2:
            return ""
        rng = random.Random(f"{self.cfg.seed}\x00{key}")
        n = min(self.cfg.negative_candidates, len(self.defs))
        cands = rng.sample(range(len(self.defs)), n)
        target = _idents(positive)
        best, best_score = "", -1.0
        for i in cands:
            d = self.defs[i]
            if d.code == positive or d.unit.short_name == exclude_name:
                continue
            other = self.idents[i]
            score = len(target & other) / max(1, len(target | other))
            if score > best_score:
                best, best_score = d.code, score
        return best


def mine_pairs(
    files: Mapping[str, str], repo: str, cfg: PairConfig = PairConfig(), counts: Counter | None = None
) -> list[Pair]:
    """All pairs of one repository's files ({path: text}); drops are counted in `counts`."""
    counts = Counter() if counts is None else counts
    cut = cfg.max_chars
    units: dict[str, list[Unit]] = {}
    for path in sorted(files):
        units[path] = extract_units(files[path], header=False)
    defs = [_Def(path, u, u.code(files[path])) for path in units for u in units[path] if u.kind == "function"]
    negatives = _Negatives(defs, cfg)
    out: list[Pair] = []

    def add(kind: str, query: str, positive: str, path: str, pos: int, name: str) -> None:
        neg = negatives.pick(positive, f"{kind}:{path}:{pos}", name)
        line = line_of(files[path], pos)
        out.append(Pair(kind=kind, query=query[:cut], positive=positive[:cut], negative=neg[:cut],
                        repo=repo, path=path, line=line))  # fmt: skip
        counts[f"pairs_{kind}"] += 1

    for path, us in units.items():
        text = files[path]
        for u in us:
            if u.kind not in ("function", "class"):
                continue
            if u.doc:
                if len(u.doc.split()) >= cfg.min_doc_words:
                    add("doc", u.doc, u.code(text), path, u.start, u.short_name)
                else:
                    counts["dropped_doc_too_short"] += 1
            if u.kind == "function":
                body = u.body(text)
                if body.count("\n") + 1 >= cfg.min_body_lines:
                    add("signature", u.signature, body, path, u.body_start, u.short_name)
                else:
                    counts["dropped_body_too_short"] += 1
    _decl_def_pairs(files, units, defs, add, counts)
    _test_pairs(defs, add, counts)
    _call_pairs(defs, add, counts)
    return out


def _unique(items: Iterable[tuple[str, object]], counts: Counter, reason: str) -> dict:
    seen: dict[str, list] = {}
    for key, item in items:
        seen.setdefault(key, []).append(item)
    unique = {k: v[0] for k, v in seen.items() if len(v) == 1}
    counts[reason] += sum(len(v) for v in seen.values() if len(v) > 1)
    return unique


def _decl_def_pairs(files, units, defs: list[_Def], add, counts: Counter) -> None:
    decls = _unique(
        ((u.key, (p, u)) for p, us in units.items() if p.endswith(HEADER_EXTENSIONS) for u in us
         if u.kind == "declaration"),
        counts, "dropped_decl_overloaded",
    )  # fmt: skip
    by_key = _unique(((d.unit.key, d) for d in defs), counts, "dropped_def_overloaded")
    for key, (path, u) in decls.items():
        d = by_key.get(key)
        if d is None:
            counts["dropped_decl_without_def"] += 1
            continue
        text = files[path]
        query = text[u.doc_start : u.end]
        add("decl_def", query, d.code, d.path, d.unit.start, d.unit.short_name)


def _test_pairs(defs: list[_Def], add, counts: Counter) -> None:
    targets = _unique(
        ((d.unit.short_name, d) for d in defs if not is_test_path(d.path)), Counter(), "overloaded"
    )
    for t in defs:
        if not is_test_path(t.path):
            continue
        body = t.code[t.unit.body_start - t.unit.start :]
        called = [n for n in calls(body) if n in targets and targets[n].path != t.path]
        if not called:
            counts["dropped_test_without_callee"] += 1
            continue
        test_name = t.unit.short_name.lower()
        # the callee named most like the test (TEST(Parse, Empty) -> parse), else the first one called
        callee = max(called, key=lambda n: (n.lower() in t.code.lower().split("{", 1)[0] or n.lower() in test_name,
                                            -called.index(n)))  # fmt: skip
        d = targets[callee]
        add("test_call", t.code, d.code, d.path, d.unit.start, d.unit.short_name)


def _call_pairs(defs: list[_Def], add, counts: Counter) -> None:
    targets = _unique(((d.unit.short_name, d) for d in defs), Counter(), "overloaded")
    done: set[str] = set()
    for caller in defs:
        if is_test_path(caller.path):
            continue
        body = caller.code[caller.unit.body_start - caller.unit.start :]
        for name in calls(body):
            d = targets.get(name)
            if d is None or d is caller or name in done:
                continue
            m = re.search(rf"^.*\b{re.escape(name)}\s*\(.*$", body, re.M)
            if m is None:  # the call spans lines in a way the line search misses
                counts["dropped_call_line_not_found"] += 1
                continue
            done.add(name)
            add("call", m.group().strip(), d.code, d.path, d.unit.start, d.unit.short_name)


class PairMiner(PipelineStep):
    """Documents -> one document per mined pair (text = positive; query, negative, kind, split in
    metadata). A task groups its documents by repository: keep a repository's files in one task."""

    name = "🔗 contrastive pairs"
    type = "🔢 - TOKENIZER"

    def __init__(self, cfg: PairConfig = PairConfig(), *, val_fraction: float = 0.05,
                 val_repos: Iterable[str] = (), split_seed: int = 0):  # fmt: skip
        super().__init__()
        self.cfg, self.val_fraction, self.split_seed = cfg, val_fraction, split_seed
        self.val_repos = frozenset(val_repos)

    def split_of(self, repo: str, key: str) -> str:
        if self.val_repos:
            return "val" if repo in self.val_repos else "train"
        return "val" if group_in_val(key, self.val_fraction, self.split_seed) else "train"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        groups: dict[str, dict[str, str]] = {}
        names: dict[str, str] = {}
        for doc in data:
            if not isinstance(doc.text, str) or not doc.text:
                self.stat_update("dropped_empty_text")
                continue
            key = group_key(doc.metadata)
            names.setdefault(key, str(doc.metadata.get("repo") or key.split(":", 1)[-1]))
            files = groups.setdefault(key, {})
            path = str(doc.metadata.get("path") or doc.id)
            if path in files:
                self.stat_update("dropped_duplicate_path")
                continue
            files[path] = doc.text
            self.stat_update("files")
        for key in sorted(groups):
            counts: Counter = Counter()
            repo = names[key]
            split = self.split_of(repo, key)
            self.stat_update("repositories")
            for i, pair in enumerate(mine_pairs(groups[key], repo, self.cfg, counts)):
                meta = {k: v for k, v in asdict(pair).items() if k != "positive"}
                yield Document(text=pair.positive, id=f"{key}#{i}", metadata={**meta, "split": split})
            for name, value in counts.items():
                self.stat_update(name, value=value)


def read_trees(sources: list[str], max_file_bytes: int = 1_000_000) -> Iterable[Document]:
    """Documents of every C/C++ file under each source: `NAME=DIR` (one repository) or `DIR` (each
    sub-folder one repository, named after it; files directly in DIR form a repository named DIR)."""
    from cppllm.pipeline.readers.cppfiles import is_cpp_path

    for src in sources:
        name, sep, folder = src.partition("=")
        root = Path(folder if sep else name).expanduser()
        if not root.is_dir():
            raise FileNotFoundError(f"--source {src}: no such folder")
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for fn in sorted(filenames):
                if not is_cpp_path(fn):
                    continue
                full = Path(dirpath) / fn
                rel = full.relative_to(root).as_posix()
                if full.is_symlink() or full.stat().st_size > max_file_bytes:
                    continue
                repo = name if sep else (rel.split("/", 1)[0] if "/" in rel else root.name)
                if not sep and "/" in rel:
                    rel = rel.split("/", 1)[1]  # the path inside its repository
                text = full.read_bytes().decode("utf-8", errors="replace")
                yield Document(text=text, id=f"{repo}/{rel}", metadata={"repo": repo, "path": rel})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m cppllm.pipeline.pairs",
        description="Mine contrastive (query, code) pairs from C++ trees, split by repository.",
    )
    p.add_argument("--source", action="append", required=True,
                   help="NAME=DIR (one repository) or DIR (each sub-folder a repository); repeatable")  # fmt: skip
    p.add_argument("--out", required=True, help="output DIR: writes DIR/pairs/{train,val}.jsonl, stats.json")
    p.add_argument("--val-fraction", type=float, default=0.05, help="share of repositories in val (hash)")
    p.add_argument("--val-repo", action="append", default=[],
                   help="put this repository in val (repeatable; overrides --val-fraction)")  # fmt: skip
    p.add_argument("--split-seed", type=int, default=0, help="seed of the repository hash")
    p.add_argument("--max-chars", type=int, default=4000, help="cut query/positive/negative to this")
    args = p.parse_args(argv)
    step = PairMiner(PairConfig(max_chars=args.max_chars), val_fraction=args.val_fraction,
                     val_repos=args.val_repo, split_seed=args.split_seed)  # fmt: skip
    lines: dict[str, list[str]] = {"train": [], "val": []}
    kinds: dict[str, Counter] = {"train": Counter(), "val": Counter()}
    repos: dict[str, set] = {"train": set(), "val": set()}
    for doc in step.run(read_trees(args.source)):
        m = doc.metadata
        row = {"kind": m["kind"], "query": m["query"], "positive": doc.text, "negative": m["negative"],
               "repo": m["repo"], "path": m["path"], "line": m["line"]}  # fmt: skip
        lines[m["split"]].append(json.dumps(row))
        kinds[m["split"]][m["kind"]] += 1
        repos[m["split"]].add(m["repo"])
    out = Path(args.out) / "pairs"
    out.mkdir(parents=True, exist_ok=True)
    for split, rows in lines.items():
        write_text(out / f"{split}.jsonl", "".join(r + "\n" for r in rows))
    stats = {
        "splits": {
            s: {"pairs": len(lines[s]), "kinds": dict(kinds[s]), "repositories": sorted(repos[s])}
            for s in lines
        },  # fmt: skip
        "counts": {k: v.total for k, v in sorted(step.stats.stats.items())},
    }
    write_text(out / "stats.json", json.dumps(stats, indent=2))
    print(json.dumps({s: stats["splits"][s]["kinds"] | {"repositories": len(repos[s])} for s in lines}))
    print(json.dumps(stats["counts"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
