"""Suite-wide settings: no network, GPU tests skipped without CUDA, small shared fixtures."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="needs CUDA")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def trusted_programs():
    """Tests whose programs are ours (eval, agent, synth): where this machine cannot isolate model-written
    programs they run with `unsafe_no_sandbox`; tests/eval/test_sandbox.py tests the refusal itself."""
    from dataclasses import replace

    from cppllm.eval.sandbox import get_policy, isolation_record, set_policy

    before = get_policy()
    if isolation_record()["programs"] == "refused":
        set_policy(replace(before, unsafe_no_sandbox=True))
    yield
    set_policy(before)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def cpp_sample() -> dict[str, str]:
    """A small deterministic sample of real C++ from the embedded corpus: {relative path: text}."""
    from cppllm.pipeline.readers.corpus import embedded_roots

    sample: dict[str, str] = {}
    for root in embedded_roots():
        files = sorted(p for p in root.path.rglob("*") if p.is_file() and p.stat().st_size < 200_000)
        for p in files[:: max(1, len(files) // 40)][:40]:
            try:
                sample[f"{root.name}/{p.relative_to(root.path)}"] = p.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
    return sample


@pytest.fixture
def one_torch_thread():
    """One intra-op torch thread for the test: on a shared 2-core box, OpenMP threads spinning against
    other processes make tiny models 10-100x slower. Used (autouse) by the torch-heavy test folders."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def torchrun():
    """`torchrun(*args, nproc=2, timeout=300)`: `python -m torch.distributed.run --standalone` on `args` (a
    script or `-m module ...`) from the repo root, one OpenMP thread per rank, output captured. On a timeout
    torchrun is sent SIGTERM, on which it stops its ranks (torch starts each rank in a session of its own, so
    killing torchrun's process group would leave them running), then killed if it has not ended in 60 s."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(repo)}
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):  # a test run under torchrun must not pass its rank on
        env.pop(key, None)

    def run(*args: str, nproc: int = 2, timeout: int = 300) -> subprocess.CompletedProcess:
        cmd = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={nproc}",
            *args,
        ]
        proc = subprocess.Popen(
            cmd, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
        return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)

    return run
