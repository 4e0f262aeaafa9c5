"""Decontamination: drop training documents that share a long span of text with the evaluation prompts.

Like the decontamination of StarCoder's training data (bigcode, arXiv:2305.06161: files containing
HumanEval/MBPP/... prompts or solutions were removed) and GPT-3's 13-gram overlap filter
(arXiv:2005.14165), with long character n-grams so that code idioms do not count as overlap. Eval items are
the HumanEval-C++ problems (prompt + tests), the HumanEvalFix-C++ problems (HumanEvalPack records:
declaration + buggy and canonical solutions + tests), the held-out (`split: bench`) items of
`python -m cppllm.bugs make` (the nullfix benchmark: buggy and fixed files), and the compile and FIM prompt
sets (`python -m cppllm.eval` writes them to `runs/NAME/eval_prompts.jsonl`).

Both sides are normalized the same way: preprocessor lines (`#include`, guards) removed, whitespace runs
collapsed to one space. Every n-gram of length `n = min_overlap - stride + 1` of every eval item is
indexed (xxh64); a document is checked at every `stride`-th position, which finds every shared run of at
least `min_overlap` characters (any such run holds one checked window); a hit is confirmed with the
`min_overlap`-grams around it, so shorter runs never count. N-grams found in
`max_shared_items` or more eval items are boilerplate (licence headers, common idioms) and ignored.

    DecontaminationFilter(DecontamConfig(eval_files=("runs/m1/eval_prompts.jsonl",)))

drops with reason `contaminated` and counts `contaminated_<set>` per eval set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

_PREPROCESSOR_LINE = re.compile(r"^[ \t]*#.*$", re.M)


@dataclass(frozen=True, kw_only=True)
class DecontamConfig:
    eval_files: tuple[str, ...] = ()  # JSONL: {"set", "text"} rows, or MultiPL-E records (prompt + tests)
    min_overlap: int = 50  # characters (normalized): any shared run this long is found
    stride: int = 10  # document windows are checked every `stride` characters
    max_shared_items: int = 3  # n-grams in this many eval items are boilerplate

    def __post_init__(self) -> None:
        if not 1 <= self.stride < self.min_overlap:
            raise ValueError(f"need 1 <= stride ({self.stride}) < min_overlap ({self.min_overlap})")

    @property
    def ngram(self) -> int:
        return self.min_overlap - self.stride + 1


def normalize(text: str) -> str:
    """Preprocessor lines removed, whitespace runs collapsed to one space."""
    return " ".join(_PREPROCESSOR_LINE.sub(" ", text).split())


def load_eval_texts(paths: Iterable[str | Path]) -> dict[str, list[str]]:
    """Eval items by set name from JSONL files: `{"set", "text"}` rows, MultiPL-E or HumanEvalPack problem
    records, or `cppllm.bugs` items (bench split only)."""
    sets: dict[str, list[str]] = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                if "text" in row:
                    sets.setdefault(row.get("set", Path(path).stem), []).append(row["text"])
                elif "prompt" in row and "tests" in row:
                    sets.setdefault("humaneval", []).append(row["prompt"] + row["tests"])
                elif "buggy_solution" in row and "declaration" in row:  # HumanEvalPack (HumanEvalFix)
                    for part in ("buggy_solution", "canonical_solution"):
                        sets.setdefault("humanevalfix", []).append(
                            row["declaration"] + row.get(part, "") + row.get("test", "")
                        )
                elif "files" in row and "kind" in row:  # a `cppllm.bugs make` item
                    if row.get("split") == "bench":  # training items are not eval items
                        texts = [*row["files"].values(), *(row.get("fixed_files") or {}).values()]
                        sets.setdefault("nullfix", []).extend(texts)
                else:
                    raise ValueError(
                        f"{path}:{n}: expected a 'text', MultiPL-E, HumanEvalPack or cppllm.bugs item record"
                    )
    return sets


class EvalIndex:
    """The hashed n-grams of the eval items, each mapped to the eval set it came from."""

    def __init__(
        self, eval_sets: Mapping[str, Iterable[str]], cfg: DecontamConfig = DecontamConfig()
    ) -> None:
        self.cfg = cfg
        owner: dict[int, str] = {}
        seeds: dict[int, int] = {}  # n-gram -> number of eval items holding it
        full: dict[int, int] = {}  # min_overlap-gram -> number of eval items holding it
        for name, texts in sorted(eval_sets.items()):
            for text in texts:
                norm = normalize(text)
                for g in _grams(norm, cfg.ngram):
                    owner.setdefault(g, name)
                    seeds[g] = seeds.get(g, 0) + 1
                for g in _grams(norm, cfg.min_overlap):
                    full[g] = full.get(g, 0) + 1
        self.grams = {g: owner[g] for g, k in seeds.items() if k < cfg.max_shared_items}
        self.full = {g for g, k in full.items() if k < cfg.max_shared_items}
        self.boilerplate = len(seeds) - len(self.grams)

    def __len__(self) -> int:
        return len(self.grams)

    def match(self, text: str) -> str | None:
        """The eval set `text` overlaps (a shared run of >= min_overlap normalized chars), else None.

        A checked window that hits is confirmed by the `min_overlap`-grams that contain it, so the answer is
        exactly "shares a run of at least `min_overlap` characters" (boilerplate n-grams aside).
        """
        from xxhash import xxh64_intdigest

        if not self.grams:
            return None
        n, s, m = self.cfg.ngram, self.cfg.stride, self.cfg.min_overlap
        norm = normalize(text)
        grams, full = self.grams, self.full
        for i in range(0, len(norm) - n + 1, s):
            hit = grams.get(xxh64_intdigest(norm[i : i + n].encode("utf-8", "surrogatepass")))
            if hit is None:
                continue
            for j in range(max(0, i - s + 1), min(i, len(norm) - m) + 1):
                if xxh64_intdigest(norm[j : j + m].encode("utf-8", "surrogatepass")) in full:
                    return hit
        return None


def _grams(norm: str, n: int) -> set[int]:
    from xxhash import xxh64_intdigest

    return {
        xxh64_intdigest(norm[i : i + n].encode("utf-8", "surrogatepass")) for i in range(len(norm) - n + 1)
    }


class DecontaminationFilter(BaseFilter):
    """DataTrove step: drop documents overlapping the eval prompts (`dropped_contaminated`, per-set counts)."""

    name = "🧼 decontamination"
    _requires_dependencies = ["xxhash"]

    def __init__(
        self,
        config: DecontamConfig = DecontamConfig(),
        eval_sets: Mapping[str, list[str]] | None = None,
        exclusion_writer=None,
    ) -> None:
        super().__init__(exclusion_writer)
        self.config = config
        self.eval_sets = dict(eval_sets or {})
        if not self.eval_sets and not config.eval_files:
            raise ValueError("DecontaminationFilter needs eval_files or eval_sets (the eval prompts)")
        self._index: EvalIndex | None = None  # built lazily, in the worker

    @property
    def index(self) -> EvalIndex:
        if self._index is None:
            sets = {k: list(v) for k, v in self.eval_sets.items()}
            for k, v in load_eval_texts(self.config.eval_files).items():
                sets.setdefault(k, []).extend(v)
            self._index = EvalIndex(sets, self.config)
        return self._index

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_index"] = None  # rebuilt in the worker; the hash table does not travel
        return state

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        hit = self.index.match(doc.text)
        if hit is None:
            return True
        self.stat_update(f"contaminated_{hit}")
        return False, "contaminated"
