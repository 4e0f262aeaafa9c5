"""Fill-in-the-middle (FIM) augmentation at pretokenization time.

Implements the FIM transform of Bavarian et al., "Efficient Training of Language Models to Fill in the
Middle" (arXiv:2207.14255), as bigcode's Megatron-LM applies it for StarCoder (`permute` in
`megatron/data/gpt_dataset.py`): with probability `fim_rate` a document is cut at two uniformly drawn
character boundaries into prefix / middle / suffix, the three pieces are tokenized separately, and with
probability `spm_rate` it is emitted in SPM order, else PSM:

    PSM: <fim_prefix> prefix <fim_suffix> suffix <fim_middle> middle
    SPM: <fim_prefix> <fim_suffix> suffix <fim_middle> prefix middle     (the paper's "SPM variant 2")

Each document is framed as `<bos> ... <eos>`. Boundaries are code-point indices of the Python string, so a
UTF-8 character is never cut. Unlike bigcode (which re-samples a fixed-length training window), the
transform runs once per whole document when the `.bin` is written, so there is no truncation or padding.

Every random choice comes from a generator seeded by (seed, document id): a rerun, or a run with a
different number of workers, gives the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cppllm.tokenizer.special import BOS_ID, EOS_ID, FIM_MIDDLE_ID, FIM_PREFIX_ID, FIM_SUFFIX_ID

Mode = Literal["psm", "spm"]


@dataclass(frozen=True, kw_only=True)
class FIMConfig:
    """FIM rates (0 disables) and the seed that makes every document's choice reproducible."""

    fim_rate: float = 0.5
    spm_rate: float = 0.5
    seed: int = 0
    prefix_id: int = FIM_PREFIX_ID
    middle_id: int = FIM_MIDDLE_ID
    suffix_id: int = FIM_SUFFIX_ID

    def __post_init__(self) -> None:
        for name in ("fim_rate", "spm_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")


@dataclass(frozen=True, kw_only=True)
class FIMSplit:
    """A document cut for FIM: `prefix + middle + suffix == text`."""

    mode: Mode
    prefix: str
    middle: str
    suffix: str


def doc_rng(seed: int, doc_id: str) -> np.random.Generator:
    """The random generator for one document: a pure function of (seed, document id)."""
    digest = hashlib.blake2b(f"{seed}\x00{doc_id}".encode(), digest_size=16).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest, "little")))


def fim_split(text: str, rng: np.random.Generator, cfg: FIMConfig) -> FIMSplit | None:
    """Decide whether `text` becomes a FIM example and where it is cut; None keeps it plain.

    Draw order follows bigcode's `permute`: Bernoulli(fim_rate), two boundaries uniform in
    [0, len(text)] (sorted; any piece may be empty), then Bernoulli(spm_rate).
    """
    if cfg.fim_rate <= 0.0 or not rng.random() < cfg.fim_rate:
        return None
    lo, hi = sorted(int(b) for b in rng.integers(0, len(text) + 1, size=2))
    mode: Mode = "spm" if rng.random() < cfg.spm_rate else "psm"
    return FIMSplit(mode=mode, prefix=text[:lo], middle=text[lo:hi], suffix=text[hi:])


def assemble(
    mode: Mode | None,
    pieces: Sequence[Sequence[int]],
    cfg: FIMConfig,
    *,
    bos_id: int | None = BOS_ID,
    eos_id: int | None = EOS_ID,
) -> list[int]:
    """Token ids of one framed document.

    `pieces` is `[ids]` for a plain document, or `[prefix_ids, middle_ids, suffix_ids]` for FIM.
    """
    out: list[int] = [bos_id] if bos_id is not None else []
    if mode is None:
        (body,) = pieces
        out.extend(body)
    else:
        prefix, middle, suffix = pieces
        if mode == "psm":
            out.append(cfg.prefix_id)
            out.extend(prefix)
            out.append(cfg.suffix_id)
            out.extend(suffix)
            out.append(cfg.middle_id)
            out.extend(middle)
        elif mode == "spm":
            out.extend((cfg.prefix_id, cfg.suffix_id))
            out.extend(suffix)
            out.append(cfg.middle_id)
            out.extend(prefix)
            out.extend(middle)
        else:
            raise ValueError(f"unknown FIM mode {mode!r}")
    if eos_id is not None:
        out.append(eos_id)
    return out


def encode_documents(
    texts: Sequence[str],
    doc_ids: Sequence[str],
    encode_batch: Callable[[list[str]], list[list[int]]],
    cfg: FIMConfig,
    *,
    bos_id: int | None = BOS_ID,
    eos_id: int | None = EOS_ID,
) -> tuple[list[list[int]], list[Mode | None]]:
    """Tokenize a batch of documents with FIM, in one `encode_batch` call; returns (ids, modes).

    `encode_batch` must encode plain text without adding special tokens.
    """
    if len(texts) != len(doc_ids):
        raise ValueError("texts and doc_ids differ in length")
    flat: list[str] = []
    plan: list[tuple[Mode | None, int, int]] = []  # (mode, first piece, number of pieces)
    for text, doc_id in zip(texts, doc_ids, strict=True):
        split = fim_split(text, doc_rng(cfg.seed, doc_id), cfg)
        if split is None:
            plan.append((None, len(flat), 1))
            flat.append(text)
        else:
            plan.append((split.mode, len(flat), 3))
            flat.extend((split.prefix, split.middle, split.suffix))
    encoded = encode_batch(flat) if flat else []
    out = [
        assemble(mode, encoded[first : first + n], cfg, bos_id=bos_id, eos_id=eos_id)
        for mode, first, n in plan
    ]
    return out, [mode for mode, _, _ in plan]


def apply_fim(
    text: str,
    encode: Callable[[str], list[int]],
    rng: np.random.Generator,
    cfg: FIMConfig,
    *,
    bos_id: int | None = BOS_ID,
    eos_id: int | None = EOS_ID,
) -> list[int]:
    """One document to framed token ids, FIM-transformed with probability `cfg.fim_rate`."""
    split = fim_split(text, rng, cfg)
    if split is None:
        return assemble(None, [encode(text)], cfg, bos_id=bos_id, eos_id=eos_id)
    pieces = [encode(split.prefix), encode(split.middle), encode(split.suffix)]
    return assemble(split.mode, pieces, cfg, bos_id=bos_id, eos_id=eos_id)
