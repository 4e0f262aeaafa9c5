"""`make demo`'s orchestration: stages run in order, complete ones are skipped, failures stop with a hint."""

import dataclasses

import pytest

import cppllm.demo as demo


def _fake_stages(log: list[str], fail: str | None = None):
    def make(name):
        marker = f"{name.replace(' ', '_')}.done"

        def run(c):
            log.append(name)
            if name == fail:
                return 3
            (c.run / marker).write_text("ok")
            return 0

        return demo.Stage(
            name=name,
            done=lambda c: (c.run / marker).is_file(),
            run=run,
            artefact=lambda c: c.run / marker,
        )

    return tuple(make(s.name) for s in demo.STAGES)


def test_stages_run_in_order_then_skip_when_complete(tmp_path, monkeypatch, capsys):
    log: list[str] = []
    monkeypatch.setattr(demo, "STAGES", _fake_stages(log))
    (tmp_path / "run").mkdir()
    argv = ["--data", str(tmp_path / "data"), "--run", str(tmp_path / "run")]
    assert demo.main(argv) == 0
    assert log == ["data", "tokenizer report", "train", "eval", "report"]
    log.clear()
    assert demo.main(argv) == 0
    assert log == []  # a rerun is fast: every stage is complete
    assert capsys.readouterr().out.count("already complete") == 5


def test_failed_stage_stops_and_says_how_to_resume(tmp_path, monkeypatch, capsys):
    log: list[str] = []
    monkeypatch.setattr(demo, "STAGES", _fake_stages(log, fail="train"))
    (tmp_path / "run").mkdir()
    rc = demo.main(["--data", str(tmp_path / "data"), "--run", str(tmp_path / "run")])
    assert rc == 3
    assert log == ["data", "tokenizer report", "train"]
    assert "rerun `make demo` to resume" in capsys.readouterr().err


def test_fresh_removes_earlier_outputs(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "STAGES", ())
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "old").write_text("x")
    assert demo.main(["--data", str(tmp_path / "data"), "--run", str(tmp_path / "run"), "--fresh"]) == 0
    assert not (tmp_path / "data").exists()


@pytest.mark.slow
def test_real_demo_end_to_end_on_a_small_subset(tmp_path):
    """The real stages on ~1.5 MB of the embedded corpus: every artefact is written."""
    c = dataclasses.replace(
        demo.DemoConfig(data=tmp_path / "data", run=tmp_path / "run"), max_bytes=1_500_000, steps=6
    )
    argv = ["--data", str(c.data), "--run", str(c.run), "--max-bytes", "1500000", "--steps", "6"]
    argv += ["--vocab-size", "1024"]
    assert demo.main(argv) == 0
    for stage in demo.STAGES:
        assert stage.done(c), stage.name
    assert (c.run / "report.md").read_text().strip()


def test_long_recipe_keeps_every_checkpoint_and_adds_the_curve_stage(tmp_path, monkeypatch):
    seen = []

    def stage(name):
        def run(c):
            seen.append((name, c))
            return 0

        return demo.Stage(name=name, done=lambda c: name in dict(seen), run=run, artefact=lambda c: c.run)

    monkeypatch.setattr(demo, "STAGES", (stage("train"), stage("report")))
    monkeypatch.setattr(demo, "CURVE", stage("curve"))
    assert demo.main(["--long", "--data", str(tmp_path / "d"), "--run", str(tmp_path / "r")]) == 0
    assert [name for name, _ in seen] == ["train", "curve", "report"]  # the report shows the curve
    c = seen[0][1]
    assert c.long and c.steps == demo.LONG_STEPS and c.keep_ckpts == 0 and c.ckpt_every == 250
    assert c.max_bytes == 20_000_000 and c.val_fraction == 0.1 and c.data == tmp_path / "d"
    seen.clear()
    assert demo.main(["--data", str(tmp_path / "d"), "--run", str(tmp_path / "r")]) == 0
    assert [name for name, _ in seen] == ["train", "report"]  # plain `make demo` has no curve stage


def test_long_headline_carries_the_verdict_and_old_points_are_measured_again(tmp_path):
    import json

    from cppllm.eval.curve import add_tests

    c = demo.DemoConfig(data=tmp_path / "d", run=tmp_path / "r", long=True)
    ck = c.run / "ckpt" / "step_000010"
    ck.mkdir(parents=True)
    (ck / "config.json").write_text("{}")
    (ck / "model.safetensors").write_bytes(b"")
    oks = [True] * 12 + [False] * 36
    curve = {
        "steps": {"10": {"step": 10, "n": 48, "ok": 12, "ci95": [0.15, 0.39], "oks": oks}},
        "bigram": {"ok": 1, "n": 48, "oks": [True] + [False] * 47},
    }
    add_tests(curve)
    (c.run / "compile_curve.json").write_text(json.dumps(curve))
    assert "step 10: 12/48 compile" in demo.headline(c) and "at 95%: shown" in demo.headline(c)
    assert demo._curve_done(c)
    del curve["steps"]["10"]["oks"], curve["verdict"]  # a point from before the paired tests
    (c.run / "compile_curve.json").write_text(json.dumps(curve))
    assert not demo._curve_done(c)
