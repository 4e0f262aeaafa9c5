"""Seeded prompts from a C++ topic taxonomy x audience level x format, diverse by construction.

phi-1 (arXiv:2306.11644) gets the diversity of its synthetic textbooks by seeding each prompt with a topic
and an audience; Cosmopedia does the same at scale. Here the taxonomy (`data/taxonomy.json`: categories of
topics, each optionally tagged with the standard that introduced it, audience levels, formats per kind) and
the prompt templates (`data/prompts.json`) are data files a user edits or replaces (`--taxonomy`,
`--prompts`). Prompt `i` is the `i`-th cell of a seeded shuffle of topics x levels x formats, so the first
N prompts cover min(N, cells) distinct cells and N grows without changing the prompts already made.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

KINDS = ("textbooks", "exercises", "qa")


@dataclass(frozen=True, kw_only=True)
class PromptItem:
    index: int
    kind: str
    category: str
    topic: str
    standard: str
    level: str
    format: str
    messages: tuple[dict, ...]

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.index:07d}"

    def metadata(self) -> dict:
        return {
            "category": self.category,
            "topic": self.topic,
            "standard": self.standard,
            "level": self.level,
            "format": self.format,
            "messages": list(self.messages),
        }


def _load(path: str | Path | None, name: str) -> dict:
    if path is not None:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    return json.loads(resources.files("cppllm.synth").joinpath("data", name).read_text(encoding="utf-8"))


@dataclass(frozen=True, kw_only=True)
class Taxonomy:
    categories: dict[str, list[dict]]
    levels: tuple[str, ...]
    formats: dict[str, tuple[str, ...]]
    templates: dict[str, dict[str, str]]

    @classmethod
    def load(cls, taxonomy: str | Path | None = None, prompts: str | Path | None = None) -> Taxonomy:
        """The packaged taxonomy and templates, or user files in the same layout (validated)."""
        tax, tpl = _load(taxonomy, "taxonomy.json"), _load(prompts, "prompts.json")
        for key in ("categories", "levels", "formats"):
            if key not in tax:
                raise ValueError(f"taxonomy lacks {key!r} (see cppllm/synth/data/taxonomy.json)")
        for kind in KINDS:
            if kind not in tpl or not {"system", "user"} <= set(tpl[kind]):
                raise ValueError(f"prompt templates lack {kind!r} with 'system' and 'user'")
            if not tax["formats"].get(kind):
                raise ValueError(f"taxonomy has no formats for {kind!r}")
        for cat, topics in tax["categories"].items():
            for t in topics:
                if not isinstance(t, dict) or not t.get("topic"):
                    raise ValueError(f"taxonomy category {cat!r}: every entry needs a 'topic'")
        return cls(
            categories=tax["categories"],
            levels=tuple(tax["levels"]),
            formats={k: tuple(v) for k, v in tax["formats"].items()},
            templates=tpl,
        )

    @property
    def topics(self) -> list[tuple[str, dict]]:
        return [(cat, t) for cat, topics in self.categories.items() for t in topics]

    def cells(self, kind: str) -> list[tuple[int, str, str]]:
        """(topic index, level, format) for every combination."""
        return [
            (ti, level, fmt)
            for ti in range(len(self.topics))
            for level in self.levels
            for fmt in self.formats[kind]
        ]

    def prompts(self, kind: str, n: int, seed: int = 0, start: int = 0) -> list[PromptItem]:
        """Prompts `start..n-1` of `kind`: a seeded order of the cells, reshuffled each pass over them."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; valid: {', '.join(KINDS)}")
        cells = self.cells(kind)
        topics = self.topics
        out = []
        orders: dict[int, list[tuple[int, str, str]]] = {}
        for i in range(start, n):
            rnd = i // len(cells)
            if rnd not in orders:
                order = list(cells)
                random.Random(f"{seed}:{kind}:{rnd}").shuffle(order)
                orders[rnd] = order
            ti, level, fmt = orders[rnd][i % len(cells)]
            cat, t = topics[ti]
            fields = {
                "category": cat,
                "topic": t["topic"],
                "standard": t.get("standard", "any modern standard"),
                "level": level,
                "format": fmt,
            }
            tpl = self.templates[kind]
            messages = (
                {"role": "system", "content": tpl["system"].format(**fields)},
                {"role": "user", "content": tpl["user"].format(**fields)},
            )
            out.append(PromptItem(index=i, kind=kind, messages=messages, **fields))
        return out
