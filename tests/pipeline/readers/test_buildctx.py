"""Build contexts of source trees: CMake / Makefile / compile_commands.json flags, recorded by the readers."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from cppllm.pipeline.readers.buildctx import BuildContext, detect
from cppllm.pipeline.readers.trees import ArchiveReader, DirectoryReader

FIXTURE = Path(__file__).parents[2] / "fixtures" / "buildctx" / "proj"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_cmake_include_dirs_defines_and_standard():
    ctx = detect(FIXTURE)
    assert ctx.root == str(FIXTURE.resolve())
    assert ctx.include_dirs[:2] == ("include", "src/internal")  # ${CMAKE_CURRENT_SOURCE_DIR}/ stripped
    assert ctx.defines == ("PROJ_WITH_STATS=1",)
    assert ctx.std == "c++17"
    assert ctx.origin == ("CMakeLists.txt", "conventional")
    assert BuildContext.from_json(ctx.to_json()) == ctx


def test_makefile_flags_and_dirs_outside_the_tree_are_dropped(tmp_path):
    root = write(
        tmp_path / "p",
        {
            "Makefile": "CPPFLAGS += -Ilib/api -I /usr/include/foo -DFAST \\\n  -DLEVEL=2\n"
            "CXXFLAGS = -O2 -std=gnu++14 -I../outside\n",
            "lib/api/a.h": "int a();\n",
        },
    )
    ctx = detect(root)
    assert ctx.include_dirs == ("lib/api", ".")
    assert ctx.defines == ("FAST", "LEVEL=2")
    assert ctx.std == "gnu++14"


def test_compile_commands_arguments_and_command_forms(tmp_path):
    root = write(tmp_path / "p", {"gen/x.h": "", "third/y.h": "", "include/z.h": ""})
    build = root / "build"
    build.mkdir()
    (build / "compile_commands.json").write_text(
        json.dumps(
            [
                {
                    "directory": str(build),
                    "arguments": ["c++", "-I../gen", "-isystem", f"{root}/third", "a.cc"],
                },
                {"directory": str(build), "command": "c++ -DX=1 -std=c++20 -I /nope -c b.cc", "file": "b.cc"},
            ]
        )
    )
    ctx = detect(root)
    assert ctx.include_dirs == ("gen", "third", "include", ".")
    assert ctx.defines == ("X=1",) and ctx.std == "c++20"
    assert ctx.origin[0] == "compile_commands.json"


def test_directory_reader_records_the_context_in_metadata():
    docs = list(DirectoryReader(FIXTURE).run())
    assert docs and all(d.metadata["build_context"] == detect(FIXTURE).to_json() for d in docs)


def test_archive_keeps_build_files_so_the_extracted_tree_has_its_context(tmp_path):
    src = write(
        tmp_path / "src" / "lib-1.0",
        {"CMakeLists.txt": "include_directories(api)\n", "api/l.h": "int l();\n"},
    )
    archive = tmp_path / "lib-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(src, arcname="lib-1.0")
    docs = list(ArchiveReader(archive, cache_dir=tmp_path / "cache").run())
    ctx = BuildContext.from_json(docs[0].metadata["build_context"])
    assert ctx.include_dirs == ("api", ".") and ctx.origin == ("CMakeLists.txt", "conventional")
    assert (Path(ctx.root) / "api" / "l.h").is_file()  # the tree stays extracted for the eval
    assert [d.metadata["path"] for d in docs] == ["api/l.h"]  # build files are not documents
