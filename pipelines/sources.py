"""The milestones (M0, M1, M2) and the source catalog of M1/M2: mixtures and token budgets, as data.

Three kinds of source:
- `HubSource`: a Hugging Face dataset known to `cppllm.pipeline.readers` (`HF_SOURCES`), streamed.
- `Tarball`: a pinned release archive (URL, version, sha256 where known), downloaded once, verified and
  extracted safely by `ArchiveReader`. A `Subtree` names part of an archive as its own source: libstdc++
  lives in GCC's tarball and libc++ in LLVM's, so each archive is read once and its documents are
  relabelled by path (`relabel_subtrees`).
- `LocalSource`: a folder of jsonl/parquet you provide (M2's synthetic textbooks and exercises, generated
  in the style of phi-1, arXiv 2306.11644); it is sized from disk when present.

Sizes marked `approx_` are rough estimates written by hand (order of magnitude, for disk planning), not
measurements: `python -m pipelines.plan` prints them as such. A `sha256` is only set where the published
hash was checked against several independent pins; None means "not pinned" and the download is still
resumable and atomic, just unverified.

Budgets: Chinchilla's 20 tokens per parameter (Hoffmann et al., arXiv 2203.15556), the parameter count
taken from the model preset (`cppllm.model.config.get_preset`), as the trainer does. Mixture weights: see
`M1` and `M2` below for the reasoning; `pipelines.plan` checks that no source is repeated more than
`MAX_EPOCHS` times (Muennighoff et al., arXiv 2305.16264: up to ~4 epochs cost about as little as fresh
data).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

GB = 10**9
MB = 10**6
MAX_EPOCHS = 4.0
BYTES_PER_TOKEN = 3.5  # estimate for C/C++ with a 32K code tokenizer; `plan --calibrate DIR` measures it


@dataclass(frozen=True, kw_only=True)
class SourceSpec:
    """One reader of a run: `make_reader(spec, **options)`, with a name for logs, stats and the mixture."""

    name: str
    spec: str | None
    options: dict = field(default_factory=dict)
    weight: float | None = None  # mixture weight, where the milestone has one


@dataclass(frozen=True, kw_only=True)
class HubSource:
    """A Hugging Face dataset, by its name in `cppllm.pipeline.readers.HF_SOURCES`."""

    name: str
    description: str
    license: str  # the dataset's terms, not per-file licenses (the license step labels files)
    approx_cpp_bytes: int | None  # C/C++ text available; None = unknown (the plan says so)
    gated: bool = True

    @property
    def hub_id(self) -> str:
        from cppllm.pipeline.readers.hf import HF_SOURCES

        return HF_SOURCES[self.name].dataset

    @property
    def hydrated(self) -> bool:
        """Rows are (repo, commit, path) and the text is fetched from GitHub (rate-limited, cached)."""
        from cppllm.pipeline.readers.hf import HF_SOURCES

        return HF_SOURCES[self.name].mode == "hydrate"

    def reader_args(self) -> tuple[str, dict]:
        """`make_reader(*reader_args())`."""
        return self.name, {}


@dataclass(frozen=True, kw_only=True)
class Subtree:
    """Part of a tarball read as its own source (`source` metadata), e.g. libstdc++ inside GCC."""

    name: str
    prefix: str  # path prefix inside the tree, with a trailing "/"
    description: str
    license: str
    approx_cpp_bytes: int


@dataclass(frozen=True, kw_only=True)
class Tarball:
    """A release archive, pinned by URL and version."""

    name: str
    version: str
    url: str
    sha256: str | None
    description: str
    license: str  # SPDX of the tree's main license (files are labelled one by one later)
    approx_archive_bytes: int  # download size
    approx_cpp_bytes: int  # C/C++ files in the whole tree, subtrees included (what extraction writes)
    repo_depth: int = 2  # train/val groups by `<name>/<dir>/<dir>`, so one tree is not all train or all val
    subtrees: tuple[Subtree, ...] = ()

    @property
    def own_cpp_bytes(self) -> int:
        return self.approx_cpp_bytes - sum(s.approx_cpp_bytes for s in self.subtrees)

    def reader_args(self) -> tuple[str, dict]:
        """`make_reader(*reader_args())`: an `ArchiveReader` labelling documents `source=self.name`."""
        return self.url, dict(
            sha256=self.sha256,
            source=self.name,
            repo=self.name,
            version=self.version,
            repo_depth=self.repo_depth,
        )


@dataclass(frozen=True, kw_only=True)
class LocalSource:
    """Jsonl/parquet files you bring (a `text` column), e.g. generated synthetic data."""

    name: str
    path: str  # relative paths are relative to the working directory
    description: str
    license: str = "NOASSERTION"

    def present_bytes(self) -> int | None:
        """Bytes of the files under `path` (None when it does not exist)."""
        p = Path(self.path)
        if p.is_file():
            return p.stat().st_size
        if p.is_dir():
            return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        return None

    def reader_args(self) -> tuple[str, dict]:
        # `source=`: the local reader labels rows itself (a folder's name otherwise, not the mixture's name)
        # `rows`: jsonl/parquet files, possibly written by an earlier stage of the run (synthetic generation)
        return self.path, dict(source=self.name, rows=True)


Source = HubSource | Tarball | LocalSource

# ----- the catalog -----------------------------------------------------------------------------------
# HF sizes: The Stack's C++ after its near-dedup is ~50 GB per the paper's tables (arXiv 2211.15533, v1.x);
# Nemotron's code sets do not publish a per-language size, so the plan takes only what the mixture needs
# and marks their availability unknown.
HUB_SOURCES = (
    HubSource(
        name="the-stack-dedup",
        description="bigcode/the-stack-dedup, data/c++ (permissively licensed GitHub, near-deduplicated)",
        license="per-file permissive (The Stack terms of use)",
        approx_cpp_bytes=50 * GB,
    ),
    HubSource(
        name="nemotron-code-v1",
        description="nvidia/Nemotron-Pretraining-Code-v1 metadata, C/C++ files hydrated from GitHub",
        license="NVIDIA Data Agreement for Model Training",
        approx_cpp_bytes=None,
    ),
    HubSource(
        name="nemotron-code-v2",
        description="nvidia/Nemotron-Pretraining-Code-v2 metadata, C/C++ files hydrated from GitHub",
        license="NVIDIA Data Agreement for Model Training",
        approx_cpp_bytes=None,
    ),
    HubSource(
        name="nemotron-code-v1-synthetic",
        description="nvidia/Nemotron-Pretraining-Code-v1 Synthetic-Code (LLM-written code, C/C++ rows)",
        license="NVIDIA Data Agreement for Model Training",
        approx_cpp_bytes=None,
    ),
    HubSource(
        name="nemotron-code-v2-transpilation",
        description="nvidia/Nemotron-Pretraining-Code-v2 Synthetic-Transpilation (Python -> C++)",
        license="NVIDIA Data Agreement for Model Training",
        approx_cpp_bytes=None,
    ),
    HubSource(
        name="nemotron-cc-code",
        description="nvidia/Nemotron-CC-Code-v1 Common Crawl pages, their C/C++ fenced code blocks",
        license="NVIDIA Data Agreement for Model Training",
        approx_cpp_bytes=None,
    ),
)

# sha256 values: each was found identical in several independent package recipes (Yocto, Homebrew, xmake,
# Spack, Bazel, distro build scripts); GitHub `archive/refs/tags` tarballs are generated on demand, so
# theirs can change in principle (the download then fails loudly rather than reading other bytes).
TARBALLS = (
    Tarball(
        name="linux",
        version="6.10",
        url="https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.10.tar.xz",
        # Arch's linux-api-headers, Yocto's linux-libc-headers, Termux's kernel headers recipes
        sha256="774698422ee54c5f1e704456f37c65c06b51b4e9a8b0866f34580d86fef8e226",
        description="Linux 6.10 kernel (the seed's version): C, a systems-code counterweight to C++ libraries",
        license="GPL-2.0-only WITH Linux-syscall-note",
        approx_archive_bytes=142 * MB,
        approx_cpp_bytes=1150 * MB,
    ),
    Tarball(
        name="llvm",
        version="19.1.7",
        url="https://github.com/llvm/llvm-project/releases/download/llvmorg-19.1.7/llvm-project-19.1.7.src.tar.xz",
        # Homebrew's lld formula and two independent CMake/shell build scripts pin the same value
        sha256="82401fea7b79d0078043f7598b835284d6650a75b93e64b6f761ea7b63097501",
        description="llvm-project 19.1.7 (the seed's 19.1.x: LLVM, Clang, MLIR, lld, ...), modern C++17",
        license="Apache-2.0 WITH LLVM-exception",
        approx_archive_bytes=141 * MB,
        approx_cpp_bytes=740 * MB,
        subtrees=(
            Subtree(
                name="libcxx",
                prefix="libcxx/",
                description="libc++, LLVM's C++ standard library (headers, sources, tests)",
                license="Apache-2.0 WITH LLVM-exception",
                approx_cpp_bytes=60 * MB,
            ),
        ),
    ),
    Tarball(
        name="gcc",
        version="13.2.0",
        url="https://ftp.gnu.org/gnu/gcc/gcc-13.2.0/gcc-13.2.0.tar.xz",
        sha256="e275e76442a6067341a27f04c5c6b83d8613144004c0413528863dc6b5c743da",
        description="GCC 13.2.0 compiler sources and test suites (C and C++)",
        license="GPL-3.0-or-later",
        approx_archive_bytes=88 * MB,
        approx_cpp_bytes=450 * MB,
        subtrees=(
            Subtree(
                name="libstdcxx",
                prefix="libstdc++-v3/",
                description="libstdc++, GCC's C++ standard library (headers, sources, tests)",
                license="GPL-3.0-or-later WITH GCC-exception-3.1",
                approx_cpp_bytes=45 * MB,
            ),
        ),
    ),
    Tarball(
        name="boost",
        version="1.86.0",
        url="https://archives.boost.io/release/1.86.0/source/boost_1_86_0.tar.bz2",
        # the value a project's README records from Boost's release metadata (boost_1_86_0.tar.bz2.json)
        # and a CMake fetch script's expected hash
        sha256="1bed88e40401b2cb7a1f76d4bab499e352fa4d0c5f31c0dbae64e24d34d7513b",
        description="Boost 1.86.0 (the seed's version): header-heavy generic C++ (templates, metaprogramming)",
        license="BSL-1.0",
        approx_archive_bytes=126 * MB,
        approx_cpp_bytes=360 * MB,
    ),
    Tarball(
        name="cccl",
        version="2.4.0",
        url="https://github.com/NVIDIA/cccl/archive/refs/tags/v2.4.0.tar.gz",
        sha256="2368db9440fbd302450424c624d7f885529ba0e6c96eb4076aa4412c436b2359",
        description="NVIDIA CCCL 2.4.0: Thrust, CUB, libcu++ (CUDA C++)",
        license="Apache-2.0 WITH LLVM-exception",
        approx_archive_bytes=10 * MB,
        approx_cpp_bytes=40 * MB,
        repo_depth=1,
    ),
    Tarball(
        name="cutlass",
        version="3.5.0",
        url="https://github.com/NVIDIA/cutlass/archive/refs/tags/v3.5.0.tar.gz",
        sha256="ef6af8526e3ad04f9827f35ee57eec555d09447f70a0ad0cf684a2e426ccbcb6",  # one pin found (Bazel)
        description="NVIDIA CUTLASS 3.5.0: CUDA C++ GEMM templates (CuTe)",
        license="BSD-3-Clause",
        approx_archive_bytes=20 * MB,
        approx_cpp_bytes=80 * MB,
        repo_depth=1,
    ),
    Tarball(
        name="cuda-samples",
        version="12.4.1",
        url="https://github.com/NVIDIA/cuda-samples/archive/refs/tags/v12.4.1.tar.gz",
        sha256="01bb311cc8f802a0d243700e4abe6a2d402132c9d97ecf2c64f3fbb1006c304c",
        description="NVIDIA CUDA samples 12.4.1: small complete CUDA C++ programs",
        license="BSD-3-Clause",
        approx_archive_bytes=130 * MB,
        approx_cpp_bytes=15 * MB,
    ),
)

# CUDA toolkit headers (cuda_runtime.h, the math and cuBLAS headers, ...) are NOT a source: the CUDA Toolkit
# EULA lets an application redistribute only the files its Attachment A lists (runtime libraries in binary form,
# a few headers such as cuda_fp16.h since 9.2), and only as part of that application; a training corpus that
# others download is not that. CUDA C++ comes instead from NVIDIA's open-source trees: CCCL (Thrust, CUB and
# libcu++, the C++ library the toolkit ships, Apache-2.0 WITH LLVM-exception), CUTLASS and cuda-samples.
LOCAL_SOURCES = (
    LocalSource(
        name="synthetic-textbooks",
        path="data/synthetic/textbooks",
        description="generated C++ textbook sections: explanation + code (phi-1's 'textbook' data)",
    ),
    LocalSource(
        name="synthetic-exercises",
        path="data/synthetic/exercises",
        description="generated C++ exercises with solutions and tests (phi-1's 'CodeExercises')",
    ),
)


def catalog() -> dict[str, Source | Subtree]:
    """Every source by name: HF datasets, tarballs, subtrees of tarballs, local folders."""
    out: dict[str, Source | Subtree] = {}
    for s in (*HUB_SOURCES, *TARBALLS, *LOCAL_SOURCES):
        out[s.name] = s
        for sub in getattr(s, "subtrees", ()):
            out[sub.name] = sub
    return out


def parent_tarball(name: str) -> Tarball | None:
    """The tarball that holds subtree `name` (None if `name` is not a subtree)."""
    return next((t for t in TARBALLS for s in t.subtrees if s.name == name), None)


# ----- milestones ------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Milestone:
    """A milestone's data: the model it feeds, its sources and their mixture, its token budget.

    Sources come from the catalog (`mixture` names catalog sources: M1, M2), or are given as readers
    (`specs`: M0's embedded corpus); a mixture writes one `.bin` per source (`DIR/bin/<name>/`), weighted by
    the trainer's loader. Catalog milestones read each source up to its share of the token budget
    (`pipelines.plan`).
    """

    name: str
    preset: str
    mixture: tuple[tuple[str, float], ...] = ()  # (source name, weight), weights summing to 1
    specs: tuple[SourceSpec, ...] = ()  # readers of a milestone outside the catalog (M0)
    tokens_per_param: float = 20.0
    description: str = ""
    budget_tokens: int | None = None  # overrides tokens_per_param x params (`--token-budget`)
    near_dedup: str = "datatrove"  # default --near-dedup
    superwords: int = 0  # default --superwords (SuperBPE stage-2 tokens of the tokenizer)

    def __post_init__(self) -> None:
        if not self.mixture and not self.specs:
            raise ValueError(f"{self.name}: no sources (give a mixture of catalog sources or specs)")
        if self.from_catalog:
            known = catalog()
            unknown = [n for n, _ in self.mixture if n not in known]
            if unknown:
                raise ValueError(f"{self.name}: unknown sources in the mixture: {unknown}")
        if self.mixture:
            total = sum(w for _, w in self.mixture)
            if abs(total - 1.0) > 1e-9:
                raise ValueError(f"{self.name}: mixture weights sum to {total}, not 1")
            if any(w <= 0 for _, w in self.mixture):
                raise ValueError(f"{self.name}: mixture weights must be positive")

    @property
    def from_catalog(self) -> bool:
        """Sources from the catalog, each read up to its share of the token budget (M1, M2)."""
        return not self.specs

    @property
    def weights(self) -> dict[str, float]:
        return dict(self.mixture)

    @property
    def params(self) -> int:
        """Total parameters of the preset (what the trainer's token budget counts)."""
        from cppllm.model.config import get_preset
        from cppllm.model.gpt import count_params

        return count_params(get_preset(self.preset))["total"]

    @property
    def token_budget(self) -> int:
        if self.budget_tokens is not None:
            return int(self.budget_tokens)
        return int(self.tokens_per_param * self.params)

    def sources(self) -> list[Source | Subtree]:
        """The catalog entries of the mixture (catalog milestones only)."""
        known = catalog()
        return [known[n] for n, _ in self.mixture]

    def reader_specs(self) -> list[SourceSpec]:
        """The milestone's readers, with their mixture weights: `specs`, or one per catalog source (a subtree
        such as `libstdcxx` inside GCC is read with its parent tarball, once, and relabelled)."""
        if self.specs:
            return list(self.specs)
        specs: dict[str, SourceSpec] = {}
        for src, (_, weight) in zip(self.sources(), self.mixture, strict=True):
            if isinstance(src, Subtree):
                src = parent_tarball(src.name)
                if src.name in specs:
                    continue
            spec, opts = src.reader_args()
            specs.setdefault(src.name, SourceSpec(name=src.name, spec=spec, options=opts, weight=weight))
        return list(specs.values())


# M0 (d12): the embedded corpus (your g++'s libstdc++ headers and torch's C++ headers), no near-dedup.
M0 = Milestone(
    name="m0",
    preset="d12",
    description="M0 data: clean C++ for a first model, from the embedded corpus or any `--source`",
    specs=(SourceSpec(name="embedded", spec=None),),
    near_dedup="off",
)

# M1 (d20, ~8.6B tokens): real code only. The curated trees are small, so their weights are set so that
# each repeats at most ~3-4 times over the budget (upweighted well above their natural share for quality:
# standard libraries, compilers, Boost, CUDA); the rest goes to the large crawls by quality and size:
# The Stack's permissive, deduplicated C++ first, then Nemotron v2 (newer repositories) and v1, and a small
# share of web-page code blocks (short snippets next to prose, as users ask for code).
M1 = Milestone(
    name="m1",
    preset="d20",
    description="d20 on real C/C++: HF code datasets + pinned source trees",
    mixture=(
        ("the-stack-dedup", 0.43),
        ("nemotron-code-v2", 0.25),
        ("nemotron-code-v1", 0.125),
        ("nemotron-cc-code", 0.06),
        ("llvm", 0.04),
        ("linux", 0.03),
        ("boost", 0.025),
        ("gcc", 0.0205),
        ("cutlass", 0.0065),
        ("libcxx", 0.005),
        ("libstdcxx", 0.0035),
        ("cccl", 0.0033),
        ("cuda-samples", 0.0012),
    ),
    # 8,000 of the 32K tokens as superwords (stage 2 on 50 M chars, short lines joined): +15% bytes/token
    # on 7 C++ projects the tokenizer never saw (benchmarks/bench_tokenizer_xproject.py, README "Tokenizer")
    superwords=8000,
)

# M2 (d26, ~17.4B tokens): the synthetic share (textbooks 20%, exercises 10%), LLM-written code
# from Nemotron's synthetic sets, and the M1 sources scaled into the remaining 65% (trees kept under the
# epoch cap at the larger budget).
M2 = Milestone(
    name="m2",
    preset="d26",
    description="d26: M1's code + synthetic textbooks (20%) and exercises (10%)",
    mixture=(
        ("synthetic-textbooks", 0.20),
        ("synthetic-exercises", 0.10),
        ("nemotron-code-v1-synthetic", 0.03),
        ("nemotron-code-v2-transpilation", 0.02),
        ("the-stack-dedup", 0.30),
        ("nemotron-code-v2", 0.16),
        ("nemotron-code-v1", 0.0735),
        ("nemotron-cc-code", 0.04),
        ("llvm", 0.022),
        ("linux", 0.02),
        ("boost", 0.013),
        ("gcc", 0.012),
        ("cutlass", 0.0032),
        ("libcxx", 0.0024),
        ("libstdcxx", 0.0017),
        ("cccl", 0.0016),
        ("cuda-samples", 0.0006),
    ),
    superwords=8000,
)

MILESTONES = {m.name: m for m in (M0, M1, M2)}
CATALOG_MILESTONES = {n: m for n, m in MILESTONES.items() if m.from_catalog}  # those with a plan


def get_milestone(name: str) -> Milestone:
    if name not in MILESTONES:
        raise ValueError(f"unknown milestone {name!r}; known: {', '.join(MILESTONES)}")
    return MILESTONES[name]


# ----- reading a tarball's subtrees as their own sources ---------------------------------------------
def subtree_source(source: str, path: str) -> str:
    """The source name a document of tarball `source` at `path` gets (a subtree's name, or `source`)."""
    for t in TARBALLS:
        if t.name == source:
            for sub in t.subtrees:
                if path.startswith(sub.prefix):
                    return sub.name
    return source


class RelabelSubtrees(PipelineStep):
    """Sets `source` of documents inside a tarball's subtree (libstdc++ in GCC -> `libstdcxx`), so one
    read of the archive feeds both sources and the mixture weights them separately."""

    name = "relabel subtrees"
    type = "🔖 - FORMAT"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> Iterator:
        for doc in data:
            source = doc.metadata.get("source", "")
            new = subtree_source(source, doc.metadata.get("path", ""))
            if new != source:
                doc.metadata["source"] = new
                self.stat_update(f"relabelled_{new}")
            yield doc
