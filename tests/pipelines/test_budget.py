"""A milestone run reads each source only up to its share of the token budget (`pipelines.plan` caps)."""

from __future__ import annotations

import dataclasses
import json
import tarfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cppllm.pipeline.readers import make_reader
from pipelines import plan as P
from pipelines import sources as S
from pipelines.cli import build_executors, parse_config, run_caps

DOC = "int f{i}(int x) {{ return x * {i}; }}\n" + "// padding line for a realistic file size\n" * 20


def docs(n: int) -> list[str]:
    return [DOC.format(i=i) for i in range(n)]


def read_bytes(reader, world_size: int) -> tuple[int, int]:
    """Bytes of text the reader's tasks yield in all, and the largest document."""
    total = largest = 0
    for rank in range(world_size):
        for d in reader.run(rank=rank, world_size=world_size):
            n = len(d.text.encode())
            total, largest = total + n, max(largest, n)
    return total, largest


@pytest.fixture
def local_sources(tmp_path):
    """One fixture per kind of source, each far larger than its tiny share: a parquet in The Stack's
    layout (streamed rows), a release tarball (a tree) and a jsonl folder (a local source)."""
    rows = [
        {
            "content": t,
            "lang": "C++",
            "max_stars_repo_path": f"src/f{i}.cpp",
            "max_stars_repo_name": f"o/r{i}",
        }
        for i, t in enumerate(docs(400))
    ]
    stack = tmp_path / "stack.parquet"
    pq.write_table(pa.Table.from_pylist(rows), stack)
    tree = tmp_path / "boost_1_86_0"
    tree.mkdir()
    for i, t in enumerate(docs(300)):
        (tree / f"f{i}.hpp").write_text(t)
    archive = tmp_path / "boost_1_86_0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname=tree.name)
    jsonl = tmp_path / "textbooks"
    jsonl.mkdir()
    for k in range(4):
        (jsonl / f"part{k}.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in docs(50)))
    return {"the-stack-dedup": stack, "boost": archive, "synthetic-textbooks": jsonl}


def test_tiny_plan_caps_what_each_source_reads(local_sources, tmp_path):
    m = S.Milestone(
        name="t",
        preset="tiny",
        mixture=(("the-stack-dedup", 0.5), ("boost", 0.3), ("synthetic-textbooks", 0.2)),
        budget_tokens=20_000,
    )
    plan = P.build_plan(m, output=tmp_path, steps=())
    caps = P.reader_caps(plan)
    assert caps == {p.name: P.share_bytes(p.tokens_needed, plan.bytes_per_token) for p in plan.sources}
    readers = {
        "the-stack-dedup": make_reader(
            "the-stack-dedup",
            data_files=str(local_sources["the-stack-dedup"]),
            byte_budget=caps["the-stack-dedup"],
        ),
        "boost": make_reader(
            str(local_sources["boost"]), cache_dir=str(tmp_path / "c"), byte_budget=caps["boost"]
        ),
        "synthetic-textbooks": make_reader(
            str(local_sources["synthetic-textbooks"]), byte_budget=caps["synthetic-textbooks"]
        ),
    }
    tasks = 3
    for name, reader in readers.items():
        total, largest = read_bytes(reader, tasks)
        uncapped = (
            make_reader(name, data_files=str(local_sources[name]))
            if name == "the-stack-dedup"
            else make_reader(
                str(local_sources[name]), **({"cache_dir": str(tmp_path / "c")} if name == "boost" else {})
            )
        )
        whole, _ = read_bytes(uncapped, 1)
        assert whole > 2 * caps[name], name  # the fixture is far larger than the share: the cap must bite
        # no more than the share, plus one document per task (the one that crosses the task's line)
        assert caps[name] * 0.5 < total <= caps[name] + tasks * largest, (name, total, caps[name])


def test_a_run_builds_its_readers_with_the_plans_caps(tmp_path):
    config = parse_config(S.M1, ["--output", str(tmp_path), "--token-budget", "1000000"])
    caps = run_caps(config, S.M1)
    plan = P.build_plan(dataclasses.replace(S.M1, budget_tokens=1_000_000), steps=())
    assert caps == P.reader_caps(plan)
    assert sum(p.tokens_needed for p in plan.sources) == pytest.approx(1_000_000, abs=len(plan.sources))
    # libc++ lives in the LLVM tarball: its share is added to the one reader of that archive
    by_name = {p.name: p.cap_bytes for p in plan.sources}
    assert caps["llvm"] == by_name["llvm"] + by_name["libcxx"] and "libcxx" not in caps
    built = P.chain_caps(build_executors(config, S.M1))
    assert sorted(built.values()) == sorted(caps.values())
    for stage, cap in built.items():
        assert cap == caps[next(n for n in caps if stage.endswith("_" + n))]


def test_dry_run_prints_the_caps_the_run_uses(tmp_path, capsys):
    from pipelines.m1 import main

    assert main(["--dry-run", "--output", str(tmp_path), "--token-budget", "1000000"]) == 0
    out = capsys.readouterr().out
    caps = run_caps(parse_config(S.M1, ["--token-budget", "1000000"]), S.M1)
    assert "reader caps" in out
    for name, cap in caps.items():
        assert any(name in line and f"{cap:,} bytes" in line for line in out.splitlines()), name
