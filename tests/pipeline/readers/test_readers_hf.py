"""Hugging Face readers on local parquet fixtures in the datasets' real column layouts; hydration from a
local HTTP server on 127.0.0.1 and from file://; gated-dataset errors; HF_TOKEN pass-through."""

from __future__ import annotations

import http.server
import importlib
import importlib.util
import pickle
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from cppllm.pipeline.license.tagger import dataset_license
from cppllm.pipeline.readers import make_reader
from cppllm.pipeline.readers.hf import GatedDatasetError, HFDatasetReader, fenced_cpp
from cppllm.pipeline.readers.hydrate import Hydrator, RateLimiter
from cppllm.pipeline.readers.rows import RowLayout, row_document

FIX = Path(__file__).parents[2] / "fixtures" / "readers"


def _repo_files() -> dict:
    spec = importlib.util.spec_from_file_location("make_fixtures", FIX / "make_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.REPO_FILES


REPO_FILES = _repo_files()


def stats(reader) -> dict[str, int]:
    return {k: v.total for k, v in reader.stats.stats.items()}


class RepoHost(http.server.BaseHTTPRequestHandler):
    """Serves REPO_FILES at /{repo}/{commit}/{path}; `flaky` paths answer 503 once first."""

    hits: list[str] = []
    failed_once: set[str] = set()

    def do_GET(self):  # noqa: N802
        path = urllib.parse.unquote(self.path)
        type(self).hits.append(path)
        owner, name, commit, rel = path.lstrip("/").split("/", 3)
        data = REPO_FILES.get((f"{owner}/{name}", commit, rel))
        if "flaky" in owner + name and path not in self.failed_once:
            self.failed_once.add(path)
            self.send_error(503)
            return
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def host():
    handler = type("Host", (RepoHost,), {"hits": [], "failed_once": set()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield handler, f"http://127.0.0.1:{httpd.server_address[1]}/{{repo}}/{{commit}}/{{path}}"
    httpd.shutdown()
    httpd.server_close()


def hydrating_reader(name: str, template: str, cache: Path, **kw) -> HFDatasetReader:
    fixture = {
        "nemotron-code-v1": "nemotron_code_v1_metadata",
        "nemotron-code-v2": "nemotron_code_v2_metadata",
    }[name]
    return make_reader(
        name,
        data_files=str(FIX / f"{fixture}.parquet"),
        hydrate_url=template,
        cache_dir=str(cache),
        fetch_retries=2,
        fetch_backoff=0.05,
        **kw,
    )


@pytest.mark.parametrize("name", ["nemotron-code-v1", "nemotron-code-v2"])
def test_nemotron_metadata_is_hydrated(tmp_path, host, name):
    handler, template = host
    reader = hydrating_reader(name, template, tmp_path / "cache")
    reader.hydrate_opts["rate_per_s"] = 0  # the rate limiter has its own test
    docs = {(d.metadata["repo"], d.metadata["path"]): d for d in pickle.loads(pickle.dumps(reader)).run()}
    assert set(docs) == {
        ("octo/widgets", "src/widget.cpp"),
        ("octo/widgets", "include/widget.hpp"),
        ("acme/flaky", "src/retry me.cc"),  # a 503 is retried; the space in the path is URL-quoted
    }
    d = docs[("octo/widgets", "src/widget.cpp")]
    assert d.text == REPO_FILES[("octo/widgets", "5d81d77", "src/widget.cpp")].decode()
    assert d.metadata == {
        "source": name,
        "path": "src/widget.cpp",
        "repo": "octo/widgets",
        "version": "5d81d77",
    }
    assert d.id == f"{name}/octo/widgets/src/widget.cpp@5d81d77"
    assert not any(h.endswith("gen.py") for h in handler.hits)  # non-C++ rows are never fetched


def test_hydration_drops_and_cache(tmp_path, host):
    handler, template = host
    cache = tmp_path / "cache"
    reader = hydrating_reader("nemotron-code-v1", template, cache)
    n = len(list(reader.run()))
    s = stats(reader)
    assert n == 3
    assert s["dropped_fetch_failed"] == 1  # the 404
    assert s["dropped_binary"] == 1  # table.h has NUL bytes
    assert s["skipped_not_cpp"] == 1  # tools/gen.py
    assert s["hydrate_retries"] == 1  # the 503
    # a rerun is served from the on-disk cache, 404 included: no request reaches the host
    handler.hits.clear()
    again = hydrating_reader("nemotron-code-v1", template, cache)
    assert sorted(d.id for d in again.run()) == sorted(d.id for d in reader.run())
    assert handler.hits == []
    assert stats(again)["hydrate_cache_hits"] == 5


def test_hydration_from_file_url(tmp_path):
    root = tmp_path / "mirror"
    for (repo, commit, path), data in REPO_FILES.items():
        if data is not None:
            f = root / repo / commit / path
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(data)
    h = Hydrator(
        tmp_path / "c", url_template=root.as_uri() + "/{repo}/{commit}/{path}", retries=1, backoff_s=0.01
    )
    keys = [("octo/widgets", "5d81d77", "src/widget.cpp"), ("acme/gone", "0000000", "lib/missing.cc")]
    assert h.fetch_many(keys) == [REPO_FILES[keys[0]], None]
    assert h.stats["failed"] == 1 and h.stats["fetched"] == 1


def test_rate_limiter_spaces_requests():
    limiter = RateLimiter(rate=50.0)
    t0 = time.monotonic()
    for _ in range(11):
        limiter.acquire()
    assert time.monotonic() - t0 >= 0.19  # 10 intervals of 20 ms


def test_the_stack_dedup_layout():
    reader = make_reader("the-stack-dedup", data_files=str(FIX / "the_stack_dedup_cpp.parquet"))
    docs = list(reader.run())
    assert [d.metadata["path"] for d in docs] == ["src/main.cpp", "include/vec.hpp"]
    assert docs[0].metadata == {
        "source": "the-stack-dedup",
        "path": "src/main.cpp",
        "repo": "octo/app",
        "version": "c0ffee" + "0" * 34,
        "licenses": '["MIT"]',  # max_stars_repo_licenses, for the license step's dataset fallback
    }
    assert dataset_license(docs[0].metadata) == "MIT"
    assert docs[0].id == f"{0:040x}"  # the-stack's hexsha
    assert stats(reader)["dropped_binary"] == 1


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (["MIT", "Apache-2.0", "MIT"], "MIT AND Apache-2.0"),  # The Stack v1: a list per repository
        ('["BSD-3-Clause"]', "BSD-3-Clause"),  # a JSON list in a jsonl/csv export
        ("GPL-2.0-only", "GPL-2.0-only"),
        ([], None),
        (None, None),
    ],
)
def test_row_license_column_reaches_the_license_step(cell, expected):
    row = {"content": "int x;\n", "path": "a.cpp", "repo": "o/r", "detected_licenses": cell}
    doc = row_document(row, RowLayout(), source="s")
    assert dataset_license(doc.metadata) == expected
    assert ("licenses" in doc.metadata) == (expected is not None)


def test_nemotron_synthetic_text_rows():
    reader = make_reader(
        "nemotron-code-v1-synthetic", data_files=str(FIX / "nemotron_code_v1_synthetic.parquet")
    )
    docs = list(reader.run())
    assert len(docs) == 2 and docs[0].text.startswith("// Computes")
    assert stats(reader)["dropped_empty"] == 1
    ids = [d.id for d in docs]
    assert len(set(ids)) == 2 and ids == [d.id for d in reader.run()]  # content-addressed, stable


def test_nemotron_cc_code_keeps_cpp_blocks_only():
    reader = make_reader("nemotron-cc-code", data_files=str(FIX / "nemotron_cc_code.parquet"))
    (doc,) = reader.run()
    assert "std::sort" in doc.text and "int main() {}" in doc.text
    assert "sorted(a)" not in doc.text
    assert stats(reader)["dropped_no_cpp_blocks"] == 1
    assert fenced_cpp("```C++\nint x;\n```\n") == "int x;\n"


def test_sharding_over_tasks_is_a_partition():
    fixture = str(FIX / "the_stack_dedup_cpp.parquet")
    readers = [make_reader("the-stack-dedup", data_files=fixture) for _ in range(3)]
    shards = [[d.id for d in r.run(rank=k, world_size=3)] for k, r in enumerate(readers)]
    assert sorted(shards[0] + shards[1] + shards[2]) == sorted(
        d.id for d in make_reader("the-stack-dedup", data_files=fixture).run()
    )
    assert [len(s) for s in shards] == [1, 1, 0]
    assert sum(stats(r).get("dropped_binary", 0) for r in readers) == 1


def test_hf_token_and_dataset_options_are_passed_through(monkeypatch):
    import datasets

    calls = []
    real_load = datasets.load_dataset

    def fake_load(*args, **kwargs):
        calls.append((args, kwargs))
        return real_load(
            "parquet", data_files=str(FIX / "the_stack_dedup_cpp.parquet"), split="train", streaming=True
        )

    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    assert len(list(make_reader("bigcode/the-stack-dedup").run())) == 2
    (args, kwargs) = calls[0]
    assert args == ("bigcode/the-stack-dedup", None)
    assert kwargs == {"split": "train", "streaming": True, "data_dir": "data/c++", "token": "hf_test_token"}


def _gated_401() -> Exception:
    from huggingface_hub import errors

    # the HTTP client huggingface_hub builds its errors from (httpx or its successor)
    http = importlib.import_module(errors.Response.__module__.split(".")[0])
    response = http.Response(401, request=http.Request("GET", "https://huggingface.co/api/datasets/x"))
    return errors.GatedRepoError("401 Client Error: access to this repo is restricted", response=response)


def _datasets_gated() -> Exception:
    from datasets.exceptions import DatasetNotFoundError

    try:
        raise DatasetNotFoundError(
            "Dataset 'nvidia/Nemotron-CC-Code-v1' is a gated dataset on the Hub."
        ) from (_gated_401())
    except DatasetNotFoundError as e:
        return e


@pytest.mark.parametrize("make_error", [_gated_401, _datasets_gated])
def test_gated_dataset_gives_one_line_error(monkeypatch, make_error):
    import datasets

    def fake_load(*args, **kwargs):
        raise make_error()

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    with pytest.raises(GatedDatasetError) as info:
        list(make_reader("nemotron-cc-code").run())
    msg = str(info.value)
    assert "\n" not in msg
    assert msg == (
        "dataset nvidia/Nemotron-CC-Code-v1 is gated: accept its terms at "
        "https://huggingface.co/datasets/nvidia/Nemotron-CC-Code-v1 and set HF_TOKEN"
    )


def test_other_errors_are_not_reported_as_gated(monkeypatch):
    import datasets

    def fake_load(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'bigcode/the-stack-dedup' on the Hub (OfflineModeIsEnabled)")

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    with pytest.raises(ConnectionError):
        list(make_reader("the-stack-dedup").run())


def test_unknown_option_is_an_error():
    with pytest.raises(TypeError):
        make_reader("the-stack-dedup", no_such_option=1)
