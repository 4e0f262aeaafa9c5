"""Archive readers: safe extraction (traversal, links, bombs), formats, downloads with resume and sha256."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from cppllm.pipeline.readers import make_reader
from cppllm.pipeline.readers.archive import ArchiveLimitError, extract_archive, link_escapes, safe_member_path
from cppllm.pipeline.readers.download import DownloadError, download, url_filename
from cppllm.pipeline.readers.trees import ArchiveReader

GOOD = {"proj-1.2/src/a.cpp": b"int a = 1;\n", "proj-1.2/include/b.hpp": b"#pragma once\nstruct B {};\n"}


def stats(reader) -> dict[str, int]:
    return {k: v.total for k, v in reader.stats.stats.items()}


def add_file(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tf.addfile(info, io.BytesIO(data))


def add_link(tf: tarfile.TarFile, name: str, target: str, kind=tarfile.SYMTYPE) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    tf.addfile(info)


def make_tar(path: Path, files: dict[str, bytes], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for name, data in files.items():
            add_file(tf, name, data)
    return path


def make_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def test_member_path_rules():
    assert safe_member_path("a/./b.h") == "a/b.h"
    for bad in ("/etc/passwd", "../x.h", "a/../../x.h", "C:/x.h", "..\\x.h", ""):
        assert safe_member_path(bad) is None, bad
    assert not link_escapes("a/b/link.h", "../c.h")
    assert link_escapes("a/link.h", "../../c.h")
    assert link_escapes("link.h", "/etc/passwd")


@pytest.mark.parametrize(
    ("suffix", "maker"),
    [
        (".tar.gz", lambda p, f: make_tar(p, f, "w:gz")),
        (".tar.xz", lambda p, f: make_tar(p, f, "w:xz")),
        (".tar.bz2", lambda p, f: make_tar(p, f, "w:bz2")),
        (".zip", make_zip),
    ],
)
def test_archive_formats_and_metadata(tmp_path, suffix, maker):
    archive = maker(tmp_path / f"proj-1.2{suffix}", GOOD | {"proj-1.2/README.md": b"# hi\n"})
    reader = make_reader(str(archive), cache_dir=tmp_path / "cache")
    assert isinstance(reader, ArchiveReader)
    docs = {d.metadata["path"]: d for d in reader.run()}
    assert set(docs) == {"src/a.cpp", "include/b.hpp"}  # the single top-level folder is the tree root
    assert docs["src/a.cpp"].text == "int a = 1;\n"
    meta = dict(docs["src/a.cpp"].metadata)
    assert '"include_dirs": ["include", "."]' in meta.pop("build_context")  # the extracted tree's context
    assert meta == {
        "source": "proj-1.2",
        "path": "src/a.cpp",
        "repo": "proj-1.2",
        "version": "1.2",
    }
    assert docs["src/a.cpp"].id == "proj-1.2/src/a.cpp"


def test_tar_traversal_and_link_escapes_are_skipped(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        add_file(tf, "ok.cpp", b"int ok;\n")
        add_file(tf, "../outside/trav.h", b"int pwn;\n")
        add_file(tf, "sub/../../outside/trav2.h", b"int pwn;\n")
        add_file(tf, str(outside / "abs.h"), b"int pwn;\n")
        add_link(tf, "esc.h", "../../../../etc/passwd")
        add_link(tf, "dirlink", str(outside))  # a symlinked folder ...
        add_file(tf, "dirlink/through.h", b"int pwn;\n")  # ... that a later member writes through
        add_link(tf, "hard.h", "../outside/x", kind=tarfile.LNKTYPE)
        add_link(tf, "inner.h", "ok.cpp")  # harmless link inside the tree: skipped, not an escape
    reader = ArchiveReader(archive, cache_dir=tmp_path / "cache")
    docs = {d.metadata["path"]: d.text for d in reader.run()}
    assert list(outside.iterdir()) == []  # nothing was written outside the extraction folder
    assert docs == {"ok.cpp": "int ok;\n", "dirlink/through.h": "int pwn;\n"}  # a real folder, inside
    s = stats(reader)
    assert s["dropped_unsafe_path"] == 3
    assert s["dropped_symlink_escape"] == 3
    assert s["archive_link_skipped"] == 1
    extracted = tmp_path / "cache" / "extracted"
    assert not any(p.is_symlink() for p in extracted.rglob("*"))


def test_zip_traversal_and_symlink(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.cc", b"int ok;\n")
        zf.writestr("../outside/trav.h", b"int pwn;\n")
        link = zipfile.ZipInfo("esc.h")
        link.external_attr = (0o120777 << 16) | 0x20
        zf.writestr(link, "../../etc/passwd")
    reader = ArchiveReader(archive, cache_dir=tmp_path / "cache")
    assert [d.metadata["path"] for d in reader.run()] == ["ok.cc"]
    assert list(outside.iterdir()) == []
    s = stats(reader)
    assert s["dropped_unsafe_path"] == 1 and s["dropped_symlink_escape"] == 1


def test_decompression_bomb_stops_with_clear_error(tmp_path):
    zeros = b"\0" * (4 * 2**20)  # 4 MB of zeros compress to a few KB
    tar = make_tar(tmp_path / "bomb.tar.gz", {f"z{i}.cpp": zeros for i in range(4)})
    zip_ = make_zip(tmp_path / "bomb.zip", {f"z{i}.cpp": zeros for i in range(4)})
    assert tar.stat().st_size < 200_000 and zip_.stat().st_size < 200_000
    for archive in (tar, zip_):
        reader = ArchiveReader(archive, cache_dir=tmp_path / "cache", max_archive_bytes=10 * 2**20)
        with pytest.raises(ArchiveLimitError, match="decompression bomb"):
            list(reader.run())
    # nothing half-extracted is left behind for a rerun to trust
    assert not [p for p in (tmp_path / "cache" / "extracted").iterdir() if p.is_dir()]


def test_file_count_bomb(tmp_path):
    archive = make_tar(tmp_path / "many.tar.gz", {f"f{i}.h": b"int x;\n" for i in range(60)})
    with pytest.raises(ArchiveLimitError, match="members"):
        list(ArchiveReader(archive, cache_dir=tmp_path / "c", max_archive_files=50).run())


def test_oversized_member_is_a_counted_drop(tmp_path):
    archive = make_tar(tmp_path / "big.tar.gz", {"big.cpp": b"x" * 5000, "ok.cpp": b"int ok;\n"})
    reader = ArchiveReader(archive, cache_dir=tmp_path / "c", max_file_bytes=1000)
    assert [d.metadata["path"] for d in reader.run()] == ["ok.cpp"]
    assert stats(reader)["dropped_too_large"] == 1


def test_corrupt_archive_is_a_clear_error(tmp_path):
    good = make_tar(tmp_path / "t.tar.gz", GOOD)
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(good.read_bytes()[:60])
    with pytest.raises(ValueError, match="bad.tar.gz"):
        list(ArchiveReader(bad, cache_dir=tmp_path / "c").run())


def test_extraction_is_reused_and_sharded(tmp_path):
    files = {f"p/f{i:02d}.cpp": f"int v{i};\n".encode() for i in range(10)}
    archive = make_tar(tmp_path / "p.tar.gz", files | {"../bad.h": b"x"})
    cache = tmp_path / "cache"
    readers = [ArchiveReader(archive, cache_dir=cache) for _ in range(3)]
    shards = [[d.id for d in r.run(rank=k, world_size=3)] for k, r in enumerate(readers)]
    assert sorted(i for s in shards for i in s) == sorted(f"p/f{i:02d}.cpp" for i in range(10))
    # extraction drops are counted once (by rank 0), not once per task
    assert [stats(r).get("dropped_unsafe_path", 0) for r in readers] == [1, 0, 0]
    (dest,) = [p for p in (cache / "extracted").iterdir() if p.is_dir()]
    before = dest.stat().st_mtime_ns
    assert len(list(ArchiveReader(archive, cache_dir=cache).run())) == 10
    assert dest.stat().st_mtime_ns == before


def test_extract_archive_direct(tmp_path):
    archive = make_tar(tmp_path / "a.tar", {"x.cpp": b"int x;\n", "data.bin": b"\x00" * 10}, "w")
    counts = extract_archive(archive, tmp_path / "out")
    assert counts == {"extracted": 1}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x.cpp"]  # non-C++ never written


class RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves `payload` with HTTP Range support (or without, when `ranges` is False)."""

    payload = b""
    ranges = True
    requests: list[str | None] = []

    def do_GET(self):  # noqa: N802
        rng = self.headers.get("Range")
        type(self).requests.append(rng)
        if self.path.endswith("/missing.tar.gz"):
            self.send_error(404)
            return
        start = int(rng.split("=")[1].split("-")[0]) if rng and self.ranges else 0
        body = self.payload[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(self.payload) - 1}/{len(self.payload)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    handler = type("H", (RangeHandler,), {"requests": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_source_downloads_and_checks_sha256(tmp_path, server):
    handler, base = server
    handler.payload = make_tar(tmp_path / "p-3.0.tar.gz", GOOD).read_bytes()
    digest = hashlib.sha256(handler.payload).hexdigest()
    url = f"{base}/dl/p-3.0.tar.gz"
    reader = make_reader(url, cache_dir=tmp_path / "cache", sha256=digest)
    assert sorted(d.metadata["path"] for d in reader.run()) == ["include/b.hpp", "src/a.cpp"]
    assert {d.metadata["version"] for d in reader.run()} == {"3.0"}
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        download(url, tmp_path / "other", sha256="0" * 64)
    kept = [p.name for p in (tmp_path / "other").iterdir() if not p.name.endswith(".lock")]
    assert kept == []  # neither the corrupt file nor its .part is kept
    with pytest.raises(DownloadError, match="404"):
        download(f"{base}/missing.tar.gz", tmp_path / "other")


def test_download_resumes_with_range(tmp_path, server):
    handler, base = server
    handler.payload = bytes(range(256)) * 4000
    url = f"{base}/big.tar.gz"
    dest_dir = tmp_path / "dl"
    dest_dir.mkdir()
    half = len(handler.payload) // 2
    (dest_dir / (url_filename(url) + ".part")).write_bytes(handler.payload[:half])
    out = download(url, dest_dir, sha256=hashlib.sha256(handler.payload).hexdigest())
    assert out.read_bytes() == handler.payload
    assert handler.requests == [f"bytes={half}-"]
    # a server that ignores Range restarts the download cleanly
    handler.ranges, handler.requests = False, []
    (dest_dir / "x").mkdir()
    (dest_dir / "x" / (url_filename(url) + ".part")).write_bytes(b"garbage")
    assert download(url, dest_dir / "x").read_bytes() == handler.payload


def test_file_url_download_and_resume(tmp_path):
    src = make_tar(tmp_path / "src-0.1.tar.gz", GOOD)
    url = src.as_uri()
    dest_dir = tmp_path / "dl"
    dest_dir.mkdir()
    (dest_dir / (url_filename(url) + ".part")).write_bytes(src.read_bytes()[:100])
    assert download(url, dest_dir).read_bytes() == src.read_bytes()
    docs = list(make_reader(url, cache_dir=tmp_path / "cache").run())
    assert {d.metadata["source"] for d in docs} == {"src-0.1"}


def test_url_must_be_an_archive():
    with pytest.raises(ValueError, match="archive"):
        make_reader("https://example.com/page.html")
