import os

import pytest

from cppllm.atomic import write_text


def test_write_text_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "stats.json"
    target.write_text("old")
    write_text(target, "new ü")
    assert target.read_text(encoding="utf-8") == "new ü"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stats.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_text(target, "bad \ud800")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.txt"]


def test_atomic_path_renames_on_success_and_cleans_up_on_error(tmp_path):
    from cppllm.atomic import atomic_path

    target = tmp_path / "plot.png"
    with atomic_path(target, suffix=".png") as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png" and not tmp.exists()
        tmp.write_bytes(b"png")
    assert target.read_bytes() == b"png"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"png"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plot.png"]


def test_atomic_dir_swaps_a_whole_folder(tmp_path):
    from cppllm.atomic import atomic_dir

    out = tmp_path / "export"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    with atomic_dir(out) as tmp:
        (tmp / "model.safetensors").write_bytes(b"x")
    assert sorted(p.name for p in out.iterdir()) == ["model.safetensors"]
    with pytest.raises(ValueError), atomic_dir(out) as tmp:
        (tmp / "partial").write_bytes(b"x")
        raise ValueError("bad input")
    assert sorted(p.name for p in out.iterdir()) == ["model.safetensors"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
