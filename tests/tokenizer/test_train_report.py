from __future__ import annotations

import json

import pytest

from cppllm.tokenizer import baselines
from cppllm.tokenizer.data import Doc, is_heldout, write_docs_parquet
from cppllm.tokenizer.report import main as report_main
from cppllm.tokenizer.tokenizer import CppTokenizer
from cppllm.tokenizer.train import main as train_main


@pytest.fixture(scope="module")
def pipeline_out(tmp_path_factory, cpp_sample):
    """A pipeline-style output dir (`docs/*.parquet`) holding the C++ sample."""
    from cppllm.pipeline.clean.normalize import normalize

    out = tmp_path_factory.mktemp("m0")
    docs = [Doc(k, normalize(t)) for k, t in sorted(cpp_sample.items())]
    write_docs_parquet(docs, out / "docs" / "00000.parquet")
    return out


@pytest.fixture(scope="module")
def trained(pipeline_out, tmp_path_factory):
    tok_dir = tmp_path_factory.mktemp("tok")
    args = ["--data", str(pipeline_out), "--vocab-size", "800", "--out", str(tok_dir), "--quiet"]
    assert train_main([*args, "--heldout-fraction", "0.25", "--max-chars", "0"]) == 0
    return tok_dir


def test_train_cli_writes_tokenizer_and_record(trained, pipeline_out, cpp_sample):
    tok = CppTokenizer.load(trained)
    assert tok.vocab_size == 800
    info = json.loads((trained / "tokenizer_train.json").read_text())
    assert info["hash"] == tok.hash() and info["heldout_fraction"] == 0.25 and info["normalized"] is False
    n_train = sum(not is_heldout(k, 0.25) for k in cpp_sample)
    assert info["train_docs"] == n_train < len(cpp_sample)


def test_train_cli_is_deterministic(trained, pipeline_out, tmp_path):
    args = ["--data", str(pipeline_out), "--vocab-size", "800", "--out", str(tmp_path), "--quiet"]
    assert train_main([*args, "--heldout-fraction", "0.25", "--max-chars", "0"]) == 0
    assert CppTokenizer.load(tmp_path).hash() == CppTokenizer.load(trained).hash()


def test_train_cli_leaves_out_the_model_val_split(pipeline_out, tmp_path, cpp_sample):
    from cppllm.pipeline.split import assign_split

    args = ["--data", str(pipeline_out), "--vocab-size", "800", "--out", str(tmp_path), "--quiet"]
    assert (
        train_main(
            [*args, "--heldout-fraction", "0.25", "--exclude-val-fraction", "0.3", "--split-seed", "3"]
        )
        == 0
    )
    info = json.loads((tmp_path / "tokenizer_train.json").read_text())

    # write_docs_parquet's rows carry source + path: the .bin writer groups them by top directory
    def in_val(key: str) -> bool:
        source, path = key.split("/", 1)
        return assign_split({"source": source, "path": path}, 0.3, 3) == "val"

    val = [k for k in cpp_sample if not is_heldout(k, 0.25) and in_val(k)]
    assert val  # the sample spans enough directories for some to land in val
    want = {"val_fraction": 0.3, "split_seed": 3, "docs": len(val), "grouping": "repo"}
    assert info["model_val_excluded"] == want  # enough top directories: no finer grouping needed
    assert info["train_docs"] == sum(not is_heldout(k, 0.25) for k in cpp_sample) - len(val)
    with pytest.raises(SystemExit):
        train_main([*args, "--exclude-val-fraction", "1.5"])


def test_train_cli_caps_each_project(tmp_path):
    """`--max-project-chars`: a large project does not crowd the others out of the sample; recorded."""
    big = [Doc(f"big/f{i}.cpp", f"int big{i}() {{ return {i} + x; }}\n" * 30) for i in range(200)]
    small = [Doc(f"small/f{i}.cpp", f"long small{i}(long y) {{ return y * {i}; }}\n" * 30) for i in range(20)]
    write_docs_parquet(big + small, tmp_path / "data" / "docs" / "00000.parquet")
    small_chars = sum(len(d.text) for d in small)
    budget = 2 * small_chars
    args = ["--data", str(tmp_path / "data"), "--vocab-size", "600", "--quiet", "--heldout-fraction", "0"]
    args += ["--heldout-projects-fraction", "0", "--max-chars", str(budget)]
    assert train_main([*args, "--out", str(tmp_path / "auto")]) == 0
    info = json.loads((tmp_path / "auto" / "tokenizer_train.json").read_text())
    assert info["max_project_chars"] == "auto" and info["projects_capped"] == 1
    assert info["project_cap"] == budget - small_chars  # the small project whole, as much of the big one
    assert 0.8 * budget < info["train_chars"] <= budget + len(big[0].text)
    assert train_main([*args, "--out", str(tmp_path / "none"), "--max-project-chars", "0"]) == 0
    info = json.loads((tmp_path / "none" / "tokenizer_train.json").read_text())
    assert info["max_project_chars"] is None and info["project_cap"] is None
    with pytest.raises(SystemExit):
        train_main([*args, "--out", str(tmp_path / "x"), "--max-project-chars", "-5"])


def test_train_cli_errors(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert train_main(["--data", str(tmp_path / "empty"), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    assert "no training documents" in capsys.readouterr().err
    assert train_main(["--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--quiet"]) == 1
    with pytest.raises(SystemExit):
        train_main(["--data", "x", "--out", "y", "--unknown-flag"])


def test_report_on_pipeline_docs(trained, pipeline_out, tmp_path, capsys):
    assert (
        report_main(["--tokenizer", str(trained), "--data", str(pipeline_out), "--out", str(tmp_path)]) == 0
    )
    printed = capsys.readouterr().out
    md = (tmp_path / "tokenizer_report.md").read_text()
    assert md in printed
    rec = json.loads((tmp_path / "tokenizer_report.json").read_text())
    assert [r["name"] for r in rec["rows"]] == ["cppllm (ours)", *baselines.ENCODINGS]
    assert rec["meta"]["heldout_fraction"] == 0.25  # read back from tokenizer_train.json
    ours = rec["rows"][0]
    assert ours["ratio_vs_ours"]["normalized"] == 1.0 and ours["bytes_per_token"]["normalized"] > 1
    assert "Raw rows: not measured" in md
    assert set(rec["goals"]) == {"gpt2", "cl100k_base"}
    png = (tmp_path / "tokenizer_report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_report_raw_and_missing_encodings(trained, tmp_path, monkeypatch, cpp_sample):
    # A raw source tree: the report measures it as written and normalized; no encoding files at all.
    tree = tmp_path / "tree"
    for k, t in list(cpp_sample.items())[:30]:
        p = tree / k
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(t)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(baselines.tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(baselines, "PACKAGED", {})
    out = tmp_path / "r"
    args = ["--tokenizer", str(trained / "tokenizer.json"), "--data", str(tree), "--out", str(out)]
    assert report_main([*args, "--heldout-fraction", "0.5", "--encodings", "gpt2", "cl100k_base"]) == 0
    rec = json.loads((out / "tokenizer_report.json").read_text())
    assert rec["bytes"]["raw"] > rec["bytes"]["normalized"] > 0
    gpt2 = rec["rows"][1]
    assert (
        gpt2["name"] == "gpt2"
        and gpt2["source"].startswith("missing")
        and gpt2["tokens"]["normalized"] is None
    )
    assert rec["goals"]["gpt2"]["status"] == "missing"
    md = (out / "tokenizer_report.md").read_text()
    assert "| gpt2 |" in md and "missing" in md


def test_report_errors(tmp_path, trained, capsys):
    assert report_main(["--tokenizer", str(tmp_path), "--data", "x", "--out", str(tmp_path)]) == 1
    (tmp_path / "empty").mkdir()
    args = ["--tokenizer", str(trained), "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]
    assert report_main(args) == 1
    assert "no held-out documents" in capsys.readouterr().err


def test_report_shr_compare(trained, pipeline_out, tmp_path):
    args = ["--tokenizer", str(trained), "--data", str(pipeline_out), "--out", str(tmp_path)]
    assert report_main([*args, "--encodings", "cl100k_base", "--shr-compare"]) == 0
    rec = json.loads((tmp_path / "tokenizer_report.json").read_text())
    assert [r["shr"] for r in rec["shr_compare"]] == ["whole", "split", "closer"]
    assert all(r["tokens"] > 0 for r in rec["shr_compare"])
    assert "(best)" in (tmp_path / "tokenizer_report.md").read_text()
