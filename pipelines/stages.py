"""The steps of the milestone pipelines, declared once: what each stage runs, in order.

`data_steps` is the per-document chain of the processing stage: one line per stage of the data recipe,
configured from the run's `DataRunConfig`. To add a per-document stage, add its line here, its settings
to `runconfig.DataRunConfig` and its flags in `cli.build_parser`. `TokenizerTrainStep` and `SummaryStep` wrap the single-process stages so
that they run under the same executors (local or Slurm) as the rest.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger

from cppllm.atomic import atomic_dir, write_text
from cppllm.pipeline.clean.filters import CodeQualityFilter
from cppllm.pipeline.clean.normalize import CppNormalizer
from pipelines.runconfig import DataRunConfig
from pipelines.synthetic import decontam_step


def data_steps(config: DataRunConfig, *, reader: PipelineStep, audit_dir: str) -> list[PipelineStep]:
    """read -> normalize -> quality filters -> PII/secrets -> license [-> decontamination]."""
    steps: list[PipelineStep] = [reader]
    # --- normalize (cppllm/pipeline/clean/normalize.py)
    steps.append(CppNormalizer(keep_indent=config.keep_indent, max_blank_lines=config.max_blank_lines))
    # --- BigCode quality filters (cppllm/pipeline/clean/filters.py)
    steps.append(CodeQualityFilter(config.filters))
    # --- PII + secrets (cppllm/pipeline/privacy/: step.py, pii.py, secrets.py)
    if config.privacy_action != "off":
        from cppllm.pipeline.privacy.pii import PrivacyConfig
        from cppllm.pipeline.privacy.step import PrivacyFilter

        privacy = PrivacyConfig(
            action=config.privacy_action,
            max_secrets=config.max_secrets,
            drop_private_keys=not config.keep_private_key_docs,
            ner_model=config.ner_model,
        )
        steps.append(PrivacyFilter(privacy, audit_dir=audit_dir))
    # --- license (cppllm/pipeline/license/tagger.py)
    if not config.no_license:
        from cppllm.pipeline.license.tagger import LicenseTagger

        steps.append(
            LicenseTagger(
                policy=config.license_policy,
                trees=reader if hasattr(reader, "trees") else None,
                tree_map=str(config.dirs.work / "license_trees.json"),
            )
        )
    # --- decontamination against eval prompts (cppllm/pipeline/dedup/decontam.py)
    if config.decontam:
        from cppllm.pipeline.dedup.decontam import DecontamConfig, DecontaminationFilter

        steps.append(DecontaminationFilter(DecontamConfig(eval_files=tuple(config.decontam))))
    # --- decontamination of synthetic sources' documents, on by default (pipelines/synthetic.py)
    if (step := decontam_step(config)) is not None:
        steps.append(step)
    return steps


class TokenizerTrainStep(PipelineStep):
    """One task: trains the C++ BPE tokenizer on the documents (skipped when it already exists)."""

    type = "🔢 - TOKENIZER"
    name = "🔤 tokenizer training"

    def __init__(
        self,
        docs: Path,
        out: Path,
        *,
        vocab_size: int,
        max_chars: int | None,
        seed: int = 0,
        val_fraction: float = 0.0,
        val_by_source: bool = False,
        superwords: int = 0,
    ):
        super().__init__()
        self.docs, self.out = Path(docs), Path(out)
        self.superwords = superwords  # SuperBPE stage-2 tokens (cppllm/tokenizer/superbpe.py)
        self.vocab_size, self.max_chars, self.seed = vocab_size, max_chars, seed
        self.val_fraction = val_fraction  # the .bin writer's: its val documents stay out of training
        self.val_by_source = val_by_source  # one .bin per source (a mixture): each split on its own

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from cppllm.tokenizer.train import train_from_data, write_info

        if (self.out / "tokenizer.json").is_file():
            self.stat_update("reused")
            return
        tok, info = train_from_data(
            self.docs,
            vocab_size=self.vocab_size,
            max_chars=self.max_chars or None,
            seed=self.seed,
            exclude_val=(self.val_fraction, self.seed) if self.val_fraction else None,
            val_by_source=self.val_by_source,
            superwords=self.superwords,
        )
        with atomic_dir(self.out) as tmp:
            tok.save(tmp)
            write_info(tmp, info)
        self.stat_update("train_docs", value=info.get("train_docs", 0))
        self.stat_update("vocab_size", value=tok.vocab_size)
        return
        yield


def _total(v) -> int:
    return int(v["total"] if isinstance(v, dict) else v or 0)


def stage_stats(logs: Path) -> dict[str, list]:
    """Per stage (a folder of `logs`), the per-step stats merged over its tasks' `stats/*.json`."""
    from datatrove.utils.stats import PipelineStats

    out = {}
    for stage in sorted(p for p in logs.iterdir() if p.is_dir()) if logs.is_dir() else []:
        files = sorted((stage / "stats").glob("*.json"))
        if not files:
            continue
        merged = sum(
            (PipelineStats.from_json(json.loads(f.read_text())) for f in files), start=PipelineStats()
        )
        out[stage.name] = [s.to_dict() for s in merged.stats]
    return out


def summarize(out: Path) -> dict:
    """Per-stage stats plus the headline numbers: docs/bytes in and out, drops by reason."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    stages = stage_stats(out / "logs")
    docs_in = chars_in = 0
    drops: Counter = Counter()
    for name, steps in stages.items():
        for i, step in enumerate(steps):
            stats = step.get("stats", {})
            if name.startswith("process_") and i == 0:  # the reader: documents read, files it refused
                docs_in += _total(stats.get("documents", 0)) + _total(stats.get("dropped", 0))
                chars_in += _total(stats.get("doc_len", 0))
            for k, v in stats.items():
                if k.startswith("dropped_"):
                    drops[k.removeprefix("dropped_")] += _total(v)
    docs_out = bytes_out = 0
    for f in sorted((out / "docs").glob("*.parquet")):
        t = pq.read_table(f, columns=["text"])
        docs_out += t.num_rows
        if t.num_rows:
            bytes_out += pc.sum(pc.binary_length(t["text"].cast("binary"))).as_py() or 0
    summary = {
        "docs_in": docs_in,
        "docs_out": docs_out,
        "chars_in": chars_in,
        "bytes_out": bytes_out,
        "drops": dict(sorted(drops.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
    manifest = out / "manifest.json"
    if manifest.is_file():
        summary["manifest"] = json.loads(manifest.read_text())
    summary["val_splits"] = val_splits(out)
    summary["warnings"] = [
        f"{where}: {v[key]}"
        for where, v in summary["val_splits"].items()
        for key in ("warning", "tokenizer_mismatch")
        if key in v
    ]
    return {"summary": summary, "stages": stages}


def val_splits(out: Path) -> dict[str, dict]:
    """Per `.bin` manifest (`manifest.json`, or `bin/<source>/manifest.json` of a mixture): the grouping
    its train/val split used, its val share and its warnings (val empty or far from --val-fraction; the
    tokenizer left out another val split)."""
    found = {}
    for path in [out / "manifest.json", *sorted((out / "bin").glob("*/manifest.json"))]:
        split = json.loads(path.read_text()).get("split", {}) if path.is_file() else {}
        if "grouping" in split:
            keys = ("grouping", "groups", "val_groups", "val_share_bytes", "val_fraction")
            keys += ("warning", "tokenizer_mismatch")
            found[str(path.relative_to(out))] = {k: split[k] for k in keys if k in split}
    return found


def format_summary(stats: dict) -> str:
    s = stats["summary"]
    lines = [
        "",
        f"{'documents in':<28}{s['docs_in']:>14,}",
        f"{'documents out':<28}{s['docs_out']:>14,}",
        f"{'characters in':<28}{s['chars_in']:>14,}",
        f"{'bytes out':<28}{s['bytes_out']:>14,}",
    ]
    if s["drops"]:
        lines.append("dropped, by reason:")
        lines += [f"  {k:<26}{v:>14,}" for k, v in s["drops"].items()]
    m = s.get("manifest")
    if m:
        lines.append(f"{'tokens (train / val)':<28}{_tokens(m, 'train'):>14,} / {_tokens(m, 'val'):,}")
        split = m.get("split", {})
        if split.get("grouping"):
            groups = f"({split['val_groups']} of {split['groups']})"
            lines.append(f"{'val split grouped by':<28}{split['grouping']:>14} {groups}")
    lines += [f"WARNING: {w}" for w in s.get("warnings", [])]
    return "\n".join(lines)


def _tokens(manifest: dict, split: str) -> int:
    node = manifest.get("splits", {}).get(split, manifest.get(split, {}))
    if isinstance(node, dict):
        if "tokens" in node:
            return int(node["tokens"])
        return sum(int(v.get("tokens", 0)) for v in node.values() if isinstance(v, dict))
    return 0


class SummaryStep(PipelineStep):
    """One task, last: writes `DIR/stats.json` (per-stage stats and the summary) atomically."""

    type = "📊 - STATS"
    name = "📊 summary"

    def __init__(self, out: Path):
        super().__init__()
        self.out = Path(out)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        stats = summarize(self.out)
        for warning in stats["summary"]["warnings"]:
            logger.warning(warning)
        write_text(self.out / "stats.json", json.dumps(stats, indent=2, sort_keys=True, default=str))
        return
        yield


class SourceIs(PipelineStep):
    """Passes only the documents of one source (`metadata["source"]`): a mixture's per-source `.bin`."""

    type = "🔻 - FILTER"
    name = "🔻 source"

    def __init__(self, source: str):
        super().__init__()
        self.source = source

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            if doc.metadata.get("source") == self.source:
                self.stat_update("kept")
                yield doc


def mixture_spec(parts: list[tuple[str, Path, float]]) -> str:
    """The trainer's `--data` value for a mixture: `name=DIR/bin/<name>:weight,...`."""
    return ",".join(f"{name}={folder}:{weight:g}" for name, folder, weight in parts)


class MixtureStep(PipelineStep):
    """One task: `DIR/mixture.json` with the per-source `.bin` folders, weights and the `--data` spec."""

    type = "📊 - STATS"
    name = "🧪 mixture"

    def __init__(self, out: Path, parts: list[tuple[str, Path, float]]):
        super().__init__()
        self.out, self.parts = Path(out), [(n, Path(f), float(w)) for n, f, w in parts]

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        spec = mixture_spec(self.parts)
        record = {
            "sources": [{"name": n, "bin": str(f), "weight": w} for n, f, w in self.parts],
            "data_spec": spec,
            "train": f"python -m cppllm.train --data '{spec}' --tokenizer {self.out / 'tokenizer'} --out runs/NAME",
        }
        write_text(self.out / "mixture.json", json.dumps(record, indent=2))
        return
        yield
