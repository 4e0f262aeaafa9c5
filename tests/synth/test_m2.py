"""M2 and the synthetic sources: what is missing is said exactly; `--synthetic-endpoint` generates into the
folders the milestone reads; generated documents go through the pipeline's per-document steps (normalize,
filters, PII, decontamination) labelled with their source and generator."""

from __future__ import annotations

import json
from pathlib import Path

from cppllm.synth.__main__ import main as synth_main
from pipelines import m2

TEXTBOOK = """# Vectors

```cpp
#include <vector>
int main() { std::vector<int> v{1, 2}; return v.size() == 2 ? 0 : 1; }
```
"""
# a textbook that quotes an eval prompt verbatim: decontamination must drop it
EVAL_TEXT = (
    "Return the number of distinct palindromic substrings of the given string, counting each one once; "
    "empty strings do not count and the comparison is case sensitive"
)
CONTAMINATED = TEXTBOOK.replace("# Vectors", f"# Vectors\n\n{EVAL_TEXT}.")
EXERCISE = """## Problem
Write `int half(int x)` returning x / 2.
## Solution
```cpp
int half(int x) { return x / 2; }
```
## Tests
```cpp
#include <cassert>
int main() { assert(half(4) == 2); }
```
"""


def _chat(text: str) -> bytes:
    return json.dumps(
        {"choices": [{"message": {"content": text}, "finish_reason": "stop"}], "usage": {}}
    ).encode()


def test_m2_says_exactly_what_is_missing(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert m2.main(["--output", str(tmp_path / "m2")]) == 2
    err = capsys.readouterr().err
    for kind in ("textbooks", "exercises"):
        assert f"'synthetic-{kind}' at data/synthetic/{kind}" in err
        assert f"python -m cppllm.synth {kind} --endpoint URL" in err
    assert "--synthetic-endpoint URL" in err
    assert m2.main(["--synthetic-endpoint", "http://127.0.0.1:9"]) == 2  # no model: refused before any work
    assert "needs --synthetic-model" in capsys.readouterr().err


def test_synthetic_endpoint_fills_the_m2_folders(tmp_path: Path, monkeypatch, scripted_server):
    from pipelines.milestone import missing
    from pipelines.sources import M2

    monkeypatch.chdir(tmp_path)
    srv = scripted_server(lambda req, n: (200, _chat(EXERCISE if "exercise" in str(req) else TEXTBOOK), 0.0))
    args = m2.synthetic_parser().parse_args(
        ["--synthetic-endpoint", srv.url, "--synthetic-model", "teacher-x", "--synthetic-n", "2"]
    )
    assert m2.generate_synthetic(args) == 0
    assert len(srv.requests) == 4
    for kind in ("textbooks", "exercises"):
        folder = tmp_path / "data" / "synthetic" / kind
        assert [p.name for p in folder.iterdir()] == [f"{kind}.jsonl"]  # documents only: the reader reads all
        docs = [json.loads(x) for x in (folder / f"{kind}.jsonl").read_text().splitlines()]
        assert len(docs) == 2 and {d["source"] for d in docs} == {f"synthetic-{kind}"}
    assert missing(M2) is None  # M2 can start


def test_generated_docs_go_through_the_pipeline_steps(tmp_path: Path, monkeypatch, scripted_server):
    from cppllm.pipeline.readers.registry import make_reader
    from pipelines.cli import parse_config
    from pipelines.sources import M2
    from pipelines.stages import data_steps

    monkeypatch.chdir(tmp_path)
    answers = [TEXTBOOK, CONTAMINATED]
    srv = scripted_server(lambda req, n: (200, _chat(answers[(n - 1) % 2]), 0.0))
    docs_dir = "data/synthetic/textbooks"
    rc = synth_main(
        ["textbooks", "--endpoint", srv.url, "--model", "teacher-x", "--n", "2", "--concurrency", "1"]
        + ["--out", "work", "--docs-dir", docs_dir]
    )
    assert rc == 0
    evals = tmp_path / "eval_prompts.jsonl"
    evals.write_text(json.dumps({"set": "humaneval", "text": EVAL_TEXT}) + "\n")
    spec = next(s for s in M2.reader_specs() if s.name == "synthetic-textbooks")
    config = parse_config(M2, ["--no-license", "--decontam", str(evals), "--output", str(tmp_path / "m2")])
    steps = data_steps(
        config, reader=make_reader(spec.spec, **spec.options), audit_dir=str(tmp_path / "audit")
    )
    data = None
    for step in steps:
        data = step(data, rank=0, world_size=1)
    out = list(data)
    assert len(out) == 1  # the contaminated textbook is dropped
    assert out[0].metadata["source"] == "synthetic-textbooks" and out[0].metadata["generator"] == "teacher-x"
    assert "std::vector<int> v{1, 2}" in out[0].text
    assert out[0].metadata["repo"].startswith("synthetic-textbooks/")  # the val split holds out whole topics
