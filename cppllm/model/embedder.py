"""Text/code embeddings from our GPT: the final hidden states pooled, projected, L2-normalised.

Pooling (`EmbedConfig.pooling`):
- `mean`: the average of every real token's final hidden state;
- `last`: the hidden state of an appended end-of-text token (a causal model's only position that has
  seen the whole input; the pooling of E5-Mistral, arXiv 2401.00368).
Which one is better is measured on held-out pairs (README "Code index"), not assumed. A linear head maps
`n_embd` to `dim` (identity-initialised when they are equal). Inputs are `<bos> text <eos>`, cut to
`max_tokens`, right-padded in a batch (padding after the last real token cannot change a causal model's
earlier positions, and is left out of the mean).

Input text can be normalised before tokenizing (`EmbedConfig`, fixed at training time and stored with the
embedder, so index and queries always match the training): `split_identifiers` rewrites identifiers as
their lower-cased words (`getNumElements` -> `get num elements`, the splitting BM25 uses), so a doc-comment
query and the code share tokens; `query_prefix` / `doc_prefix` mark the two sides (E5, arXiv 2212.03533:
"query: " / "passage: "). `encode_texts(..., role="query" | "doc")` picks the side.

On disk an embedder is a normal GPT checkpoint (`config.json` + `model.safetensors`, loadable by every
other tool) plus `embed_head.safetensors` and an `embed` entry in `config.json`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cppllm.atomic import atomic_path
from cppllm.model.gpt import GPT
from cppllm.tokenizer.identifiers import split_identifiers

POOLINGS = ("mean", "last")
ROLES = ("query", "doc")


@dataclass(frozen=True, kw_only=True)
class EmbedConfig:
    pooling: str = "mean"
    dim: int | None = None  # output width (default: the model's n_embd)
    max_tokens: int = 256  # inputs are cut to this many tokens (bos and eos included)
    split_identifiers: bool = False  # identifiers -> lower-cased words before tokenizing (both sides)
    query_prefix: str = ""  # prepended to queries (e.g. "query: ")
    doc_prefix: str = ""  # prepended to indexed code / positives (e.g. "code: ")

    def __post_init__(self) -> None:
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {self.pooling!r}")
        if self.max_tokens < 3:
            raise ValueError("max_tokens must be at least 3 (bos, one token, eos)")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def prepare(self, text: str, role: str) -> str:
        """The string the model reads for `text` on side `role` ("query" or "doc")."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {role!r}")
        if self.split_identifiers:
            text = split_identifiers(text)
        return (self.query_prefix if role == "query" else self.doc_prefix) + text


class Embedder(nn.Module):
    """GPT + pooling + linear head; `forward(ids, lengths) -> (B, dim)` unit vectors."""

    def __init__(self, gpt: GPT, cfg: EmbedConfig) -> None:
        super().__init__()
        self.gpt, self.cfg = gpt, cfg
        d = gpt.config.n_embd
        self.dim = cfg.dim or d
        self.head = nn.Linear(d, self.dim, bias=False)
        with torch.no_grad():
            if self.dim == d:
                self.head.weight.copy_(torch.eye(d))
            else:
                nn.init.normal_(self.head.weight, std=d**-0.5)

    def pool(self, h: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T, C) hidden states, (B,) real lengths -> (B, C)."""
        if self.cfg.pooling == "last":
            return h[torch.arange(h.shape[0], device=h.device), lengths - 1]
        mask = torch.arange(h.shape[1], device=h.device)[None, :] < lengths[:, None]  # (B, T)
        return (h * mask[..., None]).sum(1) / lengths[:, None].to(h.dtype)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        h = self.gpt.forward_hidden(ids)  # (B, T, C)
        return F.normalize(self.head(self.pool(h, lengths)).float(), dim=-1)


def batch_ids(
    token_lists: list[list[int]], *, bos: int, eos: int, pad: int, max_tokens: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """`<bos> ids <eos>` rows cut to `max_tokens`, right-padded: (ids (B, T), lengths (B,))."""
    rows = [[bos, *t[: max_tokens - 2], eos] for t in token_lists]
    t = max(len(r) for r in rows)
    ids = torch.full((len(rows), t), pad, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
    return ids, torch.tensor([len(r) for r in rows])


@torch.no_grad()
def encode_texts(
    model: Embedder,
    tok,
    texts: list[str],
    *,
    role: str = "doc",
    batch_size: int = 32,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Unit embeddings (N, dim) of `texts` read as `role` ("query" or "doc": see `EmbedConfig.prepare`),
    float32 on the CPU; longest-first batches for less padding."""
    model.eval()
    out = torch.empty(len(texts), model.dim)
    if not texts:
        return out
    ids = tok.encode_batch([model.cfg.prepare(t, role) for t in texts])
    order = sorted(range(len(texts)), key=lambda i: -len(ids[i]))
    for s in range(0, len(order), batch_size):
        idx = order[s : s + batch_size]
        x, lengths = batch_ids(
            [ids[i] for i in idx], bos=tok.bos_id, eos=tok.eos_id, pad=tok.pad_id,
            max_tokens=model.cfg.max_tokens,
        )  # fmt: skip
        out[idx] = model(x.to(device), lengths.to(device)).cpu()
    return out


def save_embedder(model: Embedder, ckpt_dir: str | Path, extra_config: dict[str, Any]) -> Path:
    """GPT checkpoint (config.json + model.safetensors) + embed_head.safetensors, each written atomically."""
    from safetensors.torch import save_file

    from cppllm.model.checkpoint import save_checkpoint_model

    d = Path(ckpt_dir)
    save_checkpoint_model(model.gpt, d, {**extra_config, "embed": model.cfg.to_dict()})
    with atomic_path(d / "embed_head.safetensors") as tmp:
        save_file({"weight": model.head.weight.detach().contiguous().cpu()}, str(tmp))
    return d


def load_embedder(ckpt_dir: str | Path, *, device: str | torch.device = "cpu") -> tuple[Embedder, bool]:
    """The embedder stored in `ckpt_dir`; (model, trained). A plain GPT checkpoint (no embed stage) gives
    an untrained identity head with mean pooling and `trained=False`, which callers must report."""
    from cppllm.model.checkpoint import load_checkpoint_model

    d = Path(ckpt_dir)
    gpt = load_checkpoint_model(d)
    cfg_json = json.loads((d / "config.json").read_text())
    embed = cfg_json.get("embed")
    cfg = EmbedConfig(**embed) if embed else EmbedConfig(max_tokens=min(256, gpt.config.max_seq_len))
    model = Embedder(gpt, cfg)
    trained = embed is not None and (d / "embed_head.safetensors").is_file()
    if trained:
        from safetensors.torch import load_file

        model.head.weight.data.copy_(load_file(str(d / "embed_head.safetensors"))["weight"])
    return model.to(device).eval(), trained
