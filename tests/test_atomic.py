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
