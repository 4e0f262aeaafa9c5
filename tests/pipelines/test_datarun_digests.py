"""The data run writes the same bytes as the recorded reference: a refactor must not change its outputs.

Two small runs of `python -m pipelines.m0` over committed C++ fixture trees (privacy, license headers, a
build-context project: ~200 KB, seconds, the same files on every machine, unlike the embedded corpus
whose headers come from the installed g++ and torch) write docs, privacy audit, tokenizer, FIM
`.bin/.idx`, manifest, provenance and stats. Their sha256 digests are compared against
`tests/fixtures/datarun_digests.json`, recorded from the code before the layout refactor (#18).

Not compared: `logs/`, `work/` (DataTrove's own bookkeeping), `config.json` (it records the run's
settings and tool versions, not what the run wrote), and the wall-clock fields of `stats.json`
(`time_stats`) and `tokenizer/tokenizer_train.json` (`seconds`, and `data`, the absolute docs folder).
Parquet files are compared by their rows, with the checkout's absolute path (a document's build-context
`root`) written as `<REPO>`, so a clone anywhere gives the same digests.

When a change is MEANT to change the outputs, regenerate the reference (and say why in the commit):

    CPPLLM_RECORD_DIGESTS=1 .venv/bin/python -m pytest tests/pipelines/test_datarun_digests.py -p no:cacheprovider
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from pipelines import m0

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPO = FIXTURES.parents[1]
REFERENCE = FIXTURES / "datarun_digests.json"
TREES = ("privacy", "privacy_heldout", "license/headers", "buildctx/proj")
RUNS = {
    "datatrove_redact": ["--near-dedup", "datatrove", "--vocab-size", "600"],
    "datasketch_drop": [
        "--near-dedup", "datasketch", "--privacy-action", "drop", "--keep-indent", "--vocab-size", "500",
        "--fim-rate", "0.9", "--spm-rate", "0.2", "--val-fraction", "0.1", "--seed", "3",
    ],
}  # fmt: skip
SKIPPED_DIRS = ("logs", "work")


def _without_time(value):
    if isinstance(value, dict):
        return {k: _without_time(v) for k, v in value.items() if k != "time_stats"}
    if isinstance(value, list):
        return [_without_time(v) for v in value]
    return value


def _canonical(rel: str, path: Path) -> bytes:
    if rel == "stats.json":
        return json.dumps(_without_time(json.loads(path.read_text())), sort_keys=True).encode()
    if rel == "tokenizer/tokenizer_train.json":
        record = json.loads(path.read_text())
        record.pop("seconds")
        record.pop("data")
        return json.dumps(record, sort_keys=True).encode()
    if rel.endswith(".parquet"):
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        rows = json.dumps({"schema": str(table.schema), "rows": table.to_pylist()}, sort_keys=True)
        return rows.replace(str(REPO), "<REPO>").encode()
    return path.read_bytes()


def output_digests(out: Path) -> dict[str, str]:
    """sha256 of every output file of a run (relative path -> hex digest), wall-clock fields left out."""
    digests = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if rel.split("/")[0] in SKIPPED_DIRS or rel == "config.json":
            continue
        digests[rel] = hashlib.sha256(_canonical(rel, path)).hexdigest()
    return digests


def _run(out: Path, flags: list[str]) -> dict[str, str]:
    sources = [a for tree in TREES for a in ("--source", str(FIXTURES / tree))]
    argv = ["--output", str(out), *sources, "--tasks", "2", "--workers", "1", "--quiet", *flags]
    assert m0.main(argv) == 0
    return output_digests(out)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_outputs_match_recorded_digests(tmp_path, name):
    got = _run(tmp_path / name, RUNS[name])
    if os.environ.get("CPPLLM_RECORD_DIGESTS"):
        recorded = json.loads(REFERENCE.read_text()) if REFERENCE.is_file() else {}
        recorded[name] = got
        REFERENCE.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
        pytest.skip(f"recorded {len(got)} digests of run {name!r} into {REFERENCE}")
    expected = json.loads(REFERENCE.read_text())[name]
    assert {"bin/train.bin", "bin/train.idx", "tokenizer/tokenizer.json", "stats.json"} <= set(expected)
    changed = sorted(k for k in expected.keys() | got.keys() if expected.get(k) != got.get(k))
    assert not changed, f"outputs differ from the recorded run {name!r}: {changed}"
