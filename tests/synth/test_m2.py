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
# the first HumanEval-C++ problem (MultiPL-E), as a teacher that memorized it might write it
HUMANEVAL_QUOTE = """
```cpp
// Check if in given vector of numbers, are any two numbers closer to each other than
// given threshold.
// >>> has_close_elements((std::vector<float>({(float)1.0f, (float)2.0f, (float)3.0f})), (0.5f))
// (false)
bool has_close_elements(std::vector<float> numbers, float threshold) {
    return false;
}
```
"""
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
    assert not (tmp_path / "data").exists()


def _m2_chain(tmp_path: Path, *argv: str, executor: str = "local") -> list:
    """The executors of an M2 run with these flags (nothing runs)."""
    from pipelines.cli import build_executors, parse_config
    from pipelines.sources import M2

    config = parse_config(
        M2, ["--output", str(tmp_path / "m2"), "--no-license", "--executor", executor, *argv]
    )
    return build_executors(config, M2)


def _stage(ex) -> str:
    return Path(ex.logging_dir.path).name


def _inputs(chain: list) -> list:
    """The stages before the first read stage: eval sets, generation, collect."""
    return chain[: next(i for i, ex in enumerate(chain) if _stage(ex).startswith("process_"))]


def test_synthetic_endpoint_makes_generation_stages_of_the_run(tmp_path: Path, monkeypatch, scripted_server):
    """`--synthetic-endpoint` puts eval sets -> generate -> collect (per kind) before the read stages, which
    then read what collect wrote; run locally, as the run's local executor does; a rerun requests nothing."""
    from pipelines.cli import _run_local
    from pipelines.milestone import missing
    from pipelines.sources import M2

    monkeypatch.chdir(tmp_path)
    answers = {"exercise": EXERCISE, "textbook": TEXTBOOK}
    planted = {"n": 0}

    def answer(req, n):
        if "exercise" in str(req):
            return 200, _chat(EXERCISE), 0.0
        planted["n"] += 1  # the second textbook quotes a HumanEval-C++ problem: dropped by default
        return 200, _chat(TEXTBOOK if planted["n"] != 2 else TEXTBOOK + HUMANEVAL_QUOTE), 0.0

    srv = scripted_server(answer)
    flags = ["--synthetic-endpoint", srv.url, "--synthetic-model", "teacher-x", "--synthetic-n", "3"]
    chain = _m2_chain(tmp_path, *flags)
    inputs = _inputs(chain)
    assert [_stage(ex) for ex in inputs] == [
        "eval_sets",
        "generate_textbooks_0000000_0000003",
        "synthetic_textbooks_collect",
        "generate_exercises_0000000_0000003",
        "synthetic_exercises_collect",
    ]
    # the read stages of the synthetic sources read the folders collect writes (not there yet)
    reader = next(ex for ex in chain if _stage(ex) == "process_00_synthetic-textbooks").pipeline[0]
    assert reader.path == (tmp_path / "data" / "synthetic" / "textbooks").resolve()
    assert not reader.path.exists()

    assert _run_local(inputs) is None
    assert len(srv.requests) == 6 and answers
    for kind in ("textbooks", "exercises"):
        folder = tmp_path / "data" / "synthetic" / kind
        assert [p.name for p in folder.iterdir()] == [f"{kind}.jsonl"]  # documents only: the reader reads all
        docs = [json.loads(x) for x in (folder / f"{kind}.jsonl").read_text().splitlines()]
        assert {d["source"] for d in docs} == {f"synthetic-{kind}"}
        stats = json.loads((tmp_path / "data" / "synthetic" / "work" / kind / "stats.json").read_text())
        assert stats["decontamination"]["enabled"] is True
        assert len(docs) == (2 if kind == "textbooks" else 3)
    stats = json.loads((tmp_path / "data/synthetic/work/textbooks/stats.json").read_text())
    assert stats["by_reason"] == {"contaminated": 1}
    assert missing(M2) is None  # M2 can start reading

    # the same run again: every stage complete, nothing requested
    assert _run_local(_inputs(_m2_chain(tmp_path, *flags))) is None
    assert len(srv.requests) == 6


def test_slurm_chain_orders_generation_before_reading(tmp_path: Path, monkeypatch, capsys):
    """`--executor slurm --dry-run`: the generation and collect stages are job arrays of the chain (same venv
    activation, logs), each `afterok` on the one before, and the first read stage waits for the last
    collect; the pickled generation stage holds the name of the API key's variable, not the key."""
    import sys

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-do-not-pickle-me")
    argv = ["--output", str(tmp_path / "m2"), "--no-license", "--executor", "slurm", "--dry-run"]
    argv += ["--synthetic-endpoint", "http://10.0.0.7:8000", "--synthetic-model", "teacher-x"]
    argv += ["--synthetic-n", "50", "--synthetic-tasks", "3", "--synthetic-work", str(tmp_path / "work")]
    assert m2.main(argv) == 0
    out = capsys.readouterr().out
    # the plan says what these prompts can give against what the mixture needs, not "MISSING: put files"
    assert "synthetic-textbooks: generated by this run from --synthetic-n 50 prompts" in out
    assert "raise --synthetic-n to >= " in out and "MISSING" not in out
    scripts = out.split("#" * 100)[1:]
    jobs: dict[str, tuple[str, str | None, str]] = {}  # first script of each job name: the stage's array
    for text in scripts:
        name = text.split("#SBATCH --job-name=")[1].split()[0].removeprefix("cppllm-")
        sbatch = text.strip().splitlines()[0]  # `# sbatch ARGS SCRIPT  (job id N)`
        dep = sbatch.split("--dependency=afterok:")[1].split()[0] if "--dependency=" in sbatch else None
        jobs.setdefault(name, (sbatch.split("job id ")[1].rstrip(")"), dep, text))
    order = [n for n in jobs if not n.startswith(("bin", "mixture", "summary"))][:6]
    assert order == [
        "eval_sets",
        "generate_textbooks_0000000_0000050",
        "synthetic_textbooks_collect",
        "generate_exercises_0000000_0000050",
        "synthetic_exercises_collect",
        "process_00_synthetic-textbooks",
    ]
    for before, after in zip(order, order[1:], strict=False):
        assert jobs[after][1] == jobs[before][0], f"{after} does not wait for {before}"
    gen = jobs["generate_textbooks_0000000_0000050"][2]
    assert "#SBATCH --array=0-2" in gen  # --synthetic-tasks 3
    assert f"source {Path(sys.prefix) / 'bin' / 'activate'}" in gen  # the run's venv, as every stage
    assert str(tmp_path / "work" / "textbooks" / "logs" / "generate_textbooks_0000000_0000050") in gen
    pik = tmp_path / "work/textbooks/logs/generate_textbooks_0000000_0000050/executor.pik"
    assert pik.is_file() and b"sk-do-not-pickle-me" not in pik.read_bytes()
    assert b"OPENAI_API_KEY" in pik.read_bytes()


def test_generated_docs_go_through_the_pipeline_steps(tmp_path: Path, monkeypatch, scripted_server):
    """Synthetic documents, generated or brought pre-generated, pass the read stages' steps; those of a
    synthetic source are decontaminated against HumanEval-C++ by default (`--no-decontam`: not)."""
    from cppllm.pipeline.readers.registry import make_reader
    from cppllm.synth.decontam import EvalSetsStep, EvalSources
    from pipelines.cli import parse_config
    from pipelines.sources import M2
    from pipelines.stages import data_steps
    from pipelines.synthetic import eval_sets_path

    monkeypatch.chdir(tmp_path)
    answers = [TEXTBOOK, CONTAMINATED]
    srv = scripted_server(lambda req, n: (200, _chat(answers[(n - 1) % 2]), 0.0))
    docs_dir = "data/synthetic/textbooks"
    rc = synth_main(
        ["textbooks", "--endpoint", srv.url, "--model", "teacher-x", "--n", "2", "--concurrency", "1"]
        + ["--out", "work", "--docs-dir", docs_dir]
    )
    assert rc == 0
    # a pre-generated file from elsewhere, quoting a HumanEval-C++ problem
    planted = {"text": TEXTBOOK.replace("# Vectors", "# Closeness") + HUMANEVAL_QUOTE, "id": "elsewhere-1"}
    (tmp_path / docs_dir / "elsewhere.jsonl").write_text(json.dumps(planted) + "\n")
    evals = tmp_path / "eval_prompts.jsonl"
    evals.write_text(json.dumps({"set": "humaneval", "text": EVAL_TEXT}) + "\n")
    spec = next(s for s in M2.reader_specs() if s.name == "synthetic-textbooks")

    def run(*flags: str) -> list:
        argv = ["--no-license", "--decontam", str(evals), "--output", str(tmp_path / "m2"), *flags]
        config = parse_config(M2, argv)
        steps = data_steps(
            config, reader=make_reader(spec.spec, **spec.options), audit_dir=str(tmp_path / "a")
        )
        data = None
        for step in steps:
            data = step(data, rank=0, world_size=1)
        return sorted(list(data), key=lambda d: d.text)

    config = parse_config(M2, ["--output", str(tmp_path / "m2")])
    list(EvalSetsStep(eval_sets_path(config), EvalSources()).run())  # the run's eval_sets stage
    out = run()
    assert len(out) == 1  # --decontam drops the textbook quoting EVAL_TEXT, the default the HumanEval one
    assert out[0].metadata["source"] == "synthetic-textbooks" and out[0].metadata["generator"] == "teacher-x"
    assert "std::vector<int> v{1, 2}" in out[0].text
    assert out[0].metadata["repo"].startswith("synthetic-textbooks/")  # the val split holds out whole topics
    out = run("--no-decontam")
    assert [d.id for d in out] == ["elsewhere-1", out[1].id] and "has_close_elements" in out[0].text
