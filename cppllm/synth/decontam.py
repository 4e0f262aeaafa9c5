"""Decontamination of synthetic outputs, on by default: a teacher model may have memorized the benchmarks.

Every synthetic document (textbooks, exercises, Q&A, and the SFT conversations made from exercises) is
checked against the evaluation sets before it is written: HumanEval-C++ (MultiPL-E `humaneval-cpp`: prompt
+ tests), HumanEvalFix-C++ (HumanEvalPack `cpp`: declaration + buggy / canonical solution + tests) and any
further eval files (`--decontam FILE`: `runs/NAME/eval_prompts.jsonl`, `cppllm.bugs make` items whose
bench split is nullfix). The match is `cppllm.pipeline.dedup.decontam`'s (a shared run of >= 50 normalized
characters); a hit is a drop with reason `contaminated` (`detail` names the eval set).

The benchmark sets are read once, from a local `.jsonl` in their layout or the Hugging Face datasets (the
loaders of `cppllm.eval.humaneval` / `cppllm.eval.bugfix`), and written as `{"set", "text"}` rows
(`write_eval_sets`), the file every later step (a Slurm task, a rerun) reads. When they cannot be loaded
(offline, no cache) the run stops with an error naming the flags that fix it; `--no-decontam` runs without
(the outputs and `stats.json` then say so).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from cppllm.pipeline.dedup.decontam import DecontamConfig, DecontaminationFilter, EvalIndex, load_eval_texts

# where each benchmark comes from when no local file is given (mutable: the tests point it at fixtures)
DEFAULT_SOURCES = {"humaneval": "nuprl/MultiPL-E", "humanevalfix": "bigcode/humanevalpack"}
SYNTHETIC_PREFIX = "synthetic-"
DEGRADED = (
    "decontamination OFF (--no-decontam): synthetic documents are NOT checked against HumanEval-C++, "
    "HumanEvalFix-C++ or the eval prompt sets"
)


class DecontamUnavailable(RuntimeError):
    """The eval sets could not be loaded: decontamination cannot run."""


@dataclass(frozen=True, kw_only=True)
class EvalSources:
    """The eval sets synthetic outputs are checked against (None: `DEFAULT_SOURCES`)."""

    humaneval: str | None = None  # MultiPL-E humaneval-cpp: HF dataset name or local .jsonl
    humanevalfix: str | None = None  # HumanEvalPack cpp: HF dataset name or local .jsonl
    extra: tuple[str, ...] = ()  # more eval files (`cppllm.pipeline.dedup.decontam.load_eval_texts` layouts)

    def resolved(self) -> dict[str, str]:
        return {
            "humaneval": self.humaneval or DEFAULT_SOURCES["humaneval"],
            "humanevalfix": self.humanevalfix or DEFAULT_SOURCES["humanevalfix"],
        }


def load_eval_sets(sources: EvalSources) -> dict[str, list[str]]:
    """Eval texts by set name; `DecontamUnavailable` (saying how to fix it) when a set cannot be loaded."""
    from cppllm.eval.bugfix import load_humanevalfix
    from cppllm.eval.humaneval import load_problems

    src = sources.resolved()
    sets: dict[str, list[str]] = {}
    loaders = {
        "humaneval": lambda s: [p.prompt + p.tests for p in load_problems(s)],
        "humanevalfix": lambda s: [
            p.declaration + part + p.test
            for p in load_humanevalfix(s)
            for part in (p.buggy_solution, p.canonical_solution)
        ],
    }
    flags = {"humaneval": "--humaneval-source", "humanevalfix": "--humanevalfix-source"}
    for name, load in loaders.items():
        try:
            sets[name] = load(src[name])
        except Exception as e:  # offline without a cache, a bad file, ...: say which set and what to do
            raise DecontamUnavailable(
                f"decontamination of synthetic outputs needs the {name} eval set, which could not be loaded "
                f"from {src[name]!r} ({type(e).__name__}: {str(e)[:300]}); pass {flags[name]} FILE (a local "
                "copy in its layout) or --no-decontam to run without decontamination"
            ) from e
        if not sets[name]:
            raise DecontamUnavailable(f"the {name} eval set from {src[name]!r} is empty")
    try:
        for name, texts in load_eval_texts(sources.extra).items():
            sets.setdefault(name, []).extend(texts)
    except (OSError, ValueError) as e:
        raise DecontamUnavailable(f"eval file: {e}") from e
    return sets


def write_eval_sets(path: Path, sources: EvalSources) -> dict[str, int]:
    """Load the eval sets and write them as `{"set", "text"}` JSONL rows (atomically); items per set."""
    from cppllm.atomic import write_text

    sets = load_eval_sets(sources)
    rows = (json.dumps({"set": k, "text": t}, ensure_ascii=False) + "\n" for k, v in sets.items() for t in v)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, "".join(rows))
    return {k: len(v) for k, v in sets.items()}


class SyntheticDecontam:
    """The check `collect` runs on every document it writes: `match(text)` -> the eval set hit, or None."""

    def __init__(self, eval_files: Iterable[str | Path]):
        files = [str(f) for f in eval_files]
        if not files:
            raise DecontamUnavailable("decontamination is on but no eval sets were given")
        sets = load_eval_texts(files)
        self.items = {k: len(v) for k, v in sets.items()}
        self.index = EvalIndex(sets, DecontamConfig())

    def match(self, *texts: str) -> str | None:
        for text in texts:
            if (hit := self.index.match(text)) is not None:
                return hit
        return None

    def record(self, dropped: Mapping[str, int]) -> dict:
        """What `stats.json` says about it: the sets and items checked against, drops per set."""
        return {"enabled": True, "eval_items": dict(self.items), "contaminated": dict(dropped)}


class EvalSetsStep(PipelineStep):
    """One task, first in a data run with synthetic sources: the eval sets -> `path` (kept on a rerun)."""

    type = "🧼 - DECONTAM"
    name = "🧼 eval sets"

    def __init__(self, path: Path, sources: EvalSources):
        super().__init__()
        self.path, self.sources = Path(path), sources

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if self.path.is_file():
            self.stat_update("reused")
            return
        for name, n in write_eval_sets(self.path, self.sources).items():
            self.stat_update(f"items_{name}", value=n)
        return
        yield


class SyntheticDecontaminationFilter(DecontaminationFilter):
    """The pipeline's decontamination step for the documents of synthetic sources (`source=synthetic-*`);
    documents of other sources pass unchecked (`--decontam FILE` checks every source)."""

    name = "🧼 decontamination (synthetic)"

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if not str(doc.metadata.get("source", "")).startswith(SYNTHETIC_PREFIX):
            return True
        self.stat_update("synthetic_checked")
        return super().filter(doc)
