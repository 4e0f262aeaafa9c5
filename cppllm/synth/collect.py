"""From generated answers to pipeline documents: per-kind checks, drop reasons, stats (`DIR/docs`,
`DIR/dropped.jsonl`, `DIR/stats.json`; exercises also `DIR/sft.jsonl` and `DIR/verify/`)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from cppllm.atomic import write_text
from cppllm.eval.syntax_check import CompileChecker, CompileConfig
from cppllm.synth.decontam import DEGRADED, SyntheticDecontam
from cppllm.synth.diversity import diversity
from cppllm.synth.generate import SOURCES, GenerateConfig, read_raw
from cppllm.synth.parse import code_blocks, parse_exercise, parse_qa
from cppllm.synth.sft import exercise_to_conversation
from cppllm.synth.taxonomy import Taxonomy

META_KEYS = ("category", "topic", "standard", "level", "format")


def _doc(cfg: GenerateConfig, rec: dict, text: str, **extra: Any) -> dict:
    meta = rec["metadata"]
    return {
        "text": text,
        "id": f"{SOURCES[cfg.kind]}/{rec['id']}",
        "source": SOURCES[cfg.kind],
        "generator": cfg.client.model,
        # the repo-grouped train/val split then holds out whole topics
        "repo": f"{SOURCES[cfg.kind]}/{meta['topic']}",
        **{k: meta[k] for k in META_KEYS},
        **extra,
    }


def _drop(rec: dict, reason: str, detail: str = "", **extra: Any) -> dict:
    return {"id": rec["id"], "reason": reason, "detail": detail[:500], **extra}


def _result(rec: dict) -> dict:
    results = rec["metadata"].get("rollout_results") or [{"status": "failed_request", "detail": "no result"}]
    return results[0]


def collect_textbooks(cfg: GenerateConfig, ok: list[tuple[dict, dict]]) -> tuple[list, list, dict]:
    docs, drops = [], []
    blocks = [code_blocks(r["text"]) for _, r in ok]
    flat = [b for bs in blocks for b in bs]
    with CompileChecker(CompileConfig(compiler=cfg.verify.compiler, std=cfg.verify.std)) as checker:
        results = iter(checker.check_many(flat, jobs=cfg.jobs))
    n_blocks = n_pass = 0
    for (rec, r), bs in zip(ok, blocks, strict=True):
        verdicts = [next(results) for _ in bs]
        passed = sum(v.ok for v in verdicts)
        n_blocks, n_pass = n_blocks + len(bs), n_pass + passed
        if not bs:
            drops.append(_drop(rec, "no_code", "no ```cpp block"))
            continue
        rate = passed / len(bs)
        if rate < cfg.min_pass_rate:
            cats = Counter(v.category for v in verdicts if not v.ok)
            detail = (
                f"{passed}/{len(bs)} code blocks compile (< {cfg.min_pass_rate:g}); failures {dict(cats)}"
            )
            drops.append(_drop(rec, "low_compile_rate", detail, code_pass_rate=rate))
            continue
        docs.append(_doc(cfg, rec, r["text"], code_blocks=len(bs), code_pass_rate=round(rate, 4)))
    rate = round(n_pass / n_blocks, 4) if n_blocks else None
    return (
        docs,
        drops,
        {"code_blocks": n_blocks, "code_blocks_compiled": n_pass, "code_block_pass_rate": rate},
    )


def collect_qa(cfg: GenerateConfig, ok: list[tuple[dict, dict]]) -> tuple[list, list, dict]:
    docs, drops = [], []
    for rec, r in ok:
        qa = parse_qa(r["text"])
        if qa is None:
            drops.append(_drop(rec, "malformed_response", "no '## Question' / '## Answer' sections"))
            continue
        text = f"## Question\n\n{qa['question']}\n\n## Answer\n\n{qa['answer']}\n"
        docs.append(_doc(cfg, rec, text))
    return docs, drops, {}


def collect_exercises(cfg: GenerateConfig, ok: list[tuple[dict, dict]]) -> tuple[list, list, dict]:
    from cppllm.synth.verify import verify_rows

    docs, drops, cands = [], [], {}
    for rec, r in ok:
        ex = parse_exercise(r["text"])
        if ex is None:
            drops.append(
                _drop(rec, "malformed_response", "no Problem / Solution ```cpp / Tests ```cpp sections")
            )
            continue
        cands[rec["id"]] = (rec, {"id": rec["id"], **ex, "reasoning": r.get("reasoning", "")})
    rows = list(enumerate((c for _, c in cands.values()), 1))
    vstats = verify_rows(rows, cfg.out / "verify", cfg.verify, jobs=cfg.jobs, progress=True)
    dropped = {}
    verify_dropped = cfg.out / "verify" / "dropped.jsonl"
    for line in verify_dropped.read_text().splitlines():
        d = json.loads(line)
        dropped[d["id"]] = d
    for rid, (rec, cand) in cands.items():
        if rid in dropped:
            d = dropped[rid]
            drops.append(_drop(rec, d["reason"], d["detail"], stage="verify"))
            continue
        text = (
            f"## Problem\n\n{cand['problem']}\n\n## Solution\n\n```cpp\n{cand['solution'].strip()}\n```\n\n"
            f"## Tests\n\n```cpp\n{cand['tests'].strip()}\n```\n"
        )
        # the SFT conversation travels with its document: decontamination keeps or drops both (`collect`)
        docs.append(_doc(cfg, rec, text, verified=True, _sft=exercise_to_conversation(cand)))
    extra = {"verify": {k: vstats[k] for k in ("candidates", "kept", "keep_rate", "by_reason", "sandbox")}}
    extra["verify"]["cpu_seconds"] = vstats["cpu_seconds_this_run"]
    return docs, drops, extra


def _decontaminate(cfg: GenerateConfig, docs: list[dict], drops: list[dict]) -> tuple[list, list, dict]:
    """Every document (and an exercise's SFT conversation) checked against the eval sets
    (`cppllm.synth.decontam`); hits become `contaminated` drops. Returns (docs, sft, stats record)."""
    sft = [d.pop("_sft") for d in docs if "_sft" in d]
    if not cfg.decontam:
        return docs, sft, {"enabled": False, "warning": DEGRADED}
    checker = SyntheticDecontam(cfg.eval_files)
    kept, kept_sft, hits = [], [], Counter()
    for doc, conv in zip(docs, sft or [None] * len(docs), strict=True):
        turns = [m["content"] for m in conv["messages"]] if conv else []
        hit = checker.match(doc["text"], "\n".join(turns))
        if hit is None:
            kept.append(doc)
            kept_sft += [conv] if conv else []
            continue
        hits[hit] += 1
        rid = doc["id"].split("/", 1)[1]
        drops.append(
            {
                "id": rid,
                "reason": "contaminated",
                "detail": f"overlaps the {hit} eval set",
                "stage": "decontam",
            }
        )
    return kept, kept_sft, checker.record(hits)


COLLECTORS = {"textbooks": collect_textbooks, "exercises": collect_exercises, "qa": collect_qa}


def collect(cfg: GenerateConfig, run_stats: dict[str, Any]) -> dict[str, Any]:
    """Check every generated answer of prompts 0..n-1, write docs/drops/stats; returns the stats."""
    records = read_raw(cfg.out, cfg.n)
    ok, drops = [], []
    tokens: Counter = Counter()
    finish: Counter = Counter()
    for rec in records:
        r = _result(rec)
        for k, v in (r.get("usage") or {}).items():
            tokens[k] += int(v or 0)
        if r["status"] != "ok":
            drops.append(_drop(rec, r["status"], r.get("detail", ""), stage="request"))
            continue
        finish[r.get("finish_reason") or "unknown"] += 1
        ok.append((rec, r))
    docs, kind_drops, extra = COLLECTORS[cfg.kind](cfg, ok)
    drops += kind_drops
    docs, sft, decontam = _decontaminate(cfg, docs, drops)
    missing = cfg.n - len(records)  # never silent: prompts without any record
    tax = Taxonomy.load(cfg.taxonomy, cfg.prompts)
    by_reason = Counter(d["reason"] for d in drops)
    if missing:
        by_reason["missing_record"] = missing
    completion_s = run_stats.get("inference_seconds") or 0
    stats = {
        "kind": cfg.kind,
        "source": SOURCES[cfg.kind],
        "generator": cfg.client.model,
        "prompts": cfg.n,
        "kept": len(docs),
        "dropped": sum(by_reason.values()),
        "keep_rate": len(docs) / cfg.n if cfg.n else None,
        "by_reason": dict(sorted(by_reason.items())),
        "finish_reasons": dict(finish),
        "tokens": {"prompt": tokens["prompt_tokens"], "completion": tokens["completion_tokens"]},
        "this_run": {
            **run_stats,
            # the server's own token counts (usage) over the stage's inference time
            "completion_tokens_per_s": round(run_stats.get("completion_tokens", 0) / completion_s, 2)
            if completion_s
            else None,
        },
        "diversity": diversity([d["text"] for d in docs], docs, n_topics=len(tax.topics)),
        "decontamination": decontam,
        **extra,
    }
    cfg.docs_path.parent.mkdir(parents=True, exist_ok=True)
    write_text(
        cfg.docs_path,
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs),
    )
    if cfg.kind == "exercises":
        write_text(cfg.out / "sft.jsonl", "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in sft))
    write_text(cfg.out / "dropped.jsonl", "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in drops))
    write_text(cfg.out / "stats.json", json.dumps(stats, indent=2, sort_keys=True, default=str))
    return stats
