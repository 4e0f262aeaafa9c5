"""Model configuration: one frozen dataclass and the named presets.

Depth presets follow nanochat's width rule (width = 64 x depth); d12 keeps its head dim 128 (multi-head),
d20/d26/d32 use grouped-query attention (16 query heads, 4 KV heads, head dim = width / 16); `3b` is the
seed's M3 shape (hidden 2560, 32 layers, 32 heads, 8 KV heads) with Llama 3's SwiGLU width rule, which
makes it a 3B model (2.96B at the 32K vocabulary).
The resolved config is saved as JSON next to every checkpoint (`to_dict` / `from_dict`).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any


def from_known_fields(cls: type, d: dict[str, Any]) -> Any:
    """`cls(**d)` for a config dataclass; a key that is not one of its fields is an error, not ignored."""
    unknown = sorted(set(d) - {f.name for f in dataclasses.fields(cls)})
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields: {unknown}")
    return cls(**d)


def swiglu_hidden(n_embd: int, multiple_of: int = 128) -> int:
    """SwiGLU width with the parameters of a 4x two-matrix MLP: 8/3 * n_embd, rounded up (Llama's rule)."""
    return multiple_of * math.ceil(8 * n_embd / 3 / multiple_of)


@dataclass(frozen=True, kw_only=True)
class GPTConfig:
    """Decoder-only GPT: pre-norm RMSNorm, RoPE (+ optional YaRN), GQA, SwiGLU, no biases."""

    vocab_size: int = 32768
    n_layer: int = 12
    n_head: int = 6
    n_kv_head: int | None = None  # None: = n_head (MHA); 1: MQA
    n_embd: int = 768
    head_dim: int | None = None  # None: n_embd // n_head
    mlp_hidden: int | None = None  # None: swiglu_hidden(n_embd)
    max_seq_len: int = 2048  # context length the model is trained (or, with YaRN, extended) to
    rope_theta: float = 10000.0
    # YaRN (arXiv 2309.00071). rope_scaling=None means plain RoPE.
    rope_scaling: str | None = None  # None | "yarn"
    yarn_factor: float = 1.0
    yarn_original_max_seq_len: int | None = None  # the context the model was trained at
    yarn_beta_fast: float = 32.0
    yarn_beta_slow: float = 1.0
    yarn_attention_factor: float | None = None  # None: 0.1 * ln(factor) + 1 (the paper's sqrt(1/t))
    qk_norm: bool = False
    tie_embeddings: bool = False
    norm_eps: float = 1e-5
    init_seed: int = 0
    # ----- M5: Multi-head Latent Attention (DeepSeek-V2, arXiv 2405.04434); attention="gqa" ignores these
    attention: str = "gqa"  # "gqa" | "mla"
    q_lora_rank: int | None = None  # None: full-rank query projection (DeepSeek-V2-Lite)
    kv_lora_rank: int = 512  # the cached latent's width
    qk_nope_head_dim: int = 128
    qk_rope_head_dim: int = 64  # the decoupled RoPE key (shared by all heads, cached)
    v_head_dim: int = 128
    # ----- M5: DeepSeekMoE FFN (arXiv 2401.06066, DeepSeek-V3 arXiv 2412.19437); 0 routed experts = dense
    n_routed_experts: int = 0
    n_shared_experts: int = 0  # always-on experts (run as one SwiGLU n_shared_experts x moe_hidden wide)
    n_experts_per_tok: int = 0  # top-k routed experts per token
    moe_hidden: int | None = None  # each expert's SwiGLU width; None: mlp_hidden // 4
    first_k_dense: int = 0  # the first k layers keep the dense SwiGLU (mlp_hidden)
    routed_scaling: float = 1.0  # routed-output multiplier (V3's routed_scaling_factor)
    router_bias_rate: float = 1e-3  # aux-loss-free balancing: bias step per optimizer step (V3's gamma)
    aux_loss_alpha: float = 0.0  # sequence-wise balance loss weight (V3 uses a tiny one, e.g. 1e-4)
    capacity_factor: float | None = None  # None: dropless; else each expert takes <= cf * fair share
    name: str = field(default="custom", compare=False)

    def __post_init__(self) -> None:
        # Fill derived defaults so the saved JSON is fully resolved.
        if self.n_kv_head is None:
            object.__setattr__(self, "n_kv_head", self.n_head)
        if self.head_dim is None:
            if self.n_embd % self.n_head:
                raise ValueError(
                    f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}; set head_dim"
                )
            object.__setattr__(self, "head_dim", self.n_embd // self.n_head)
        if self.mlp_hidden is None:
            object.__setattr__(self, "mlp_hidden", swiglu_hidden(self.n_embd))
        for k in (
            "vocab_size",
            "n_layer",
            "n_head",
            "n_kv_head",
            "n_embd",
            "head_dim",
            "mlp_hidden",
            "max_seq_len",
        ):
            if int(getattr(self, k)) <= 0:
                raise ValueError(f"{k} must be positive, got {getattr(self, k)}")
        if self.n_head % self.n_kv_head:
            raise ValueError(f"n_kv_head={self.n_kv_head} must divide n_head={self.n_head}")
        if self.head_dim % 2:
            raise ValueError(f"head_dim must be even for RoPE, got {self.head_dim}")
        if self.rope_scaling not in (None, "yarn"):
            raise ValueError(f"rope_scaling must be None or 'yarn', got {self.rope_scaling!r}")
        if self.rope_scaling == "yarn":
            if self.yarn_factor < 1.0:
                raise ValueError(f"yarn_factor must be >= 1, got {self.yarn_factor}")
            if self.yarn_original_max_seq_len is None:
                raise ValueError("rope_scaling='yarn' needs yarn_original_max_seq_len (the training context)")
        self._check_m5()

    def _check_m5(self) -> None:
        if self.attention not in ("gqa", "mla"):
            raise ValueError(f"attention must be 'gqa' or 'mla', got {self.attention!r}")
        if self.attention == "mla":
            if self.qk_norm:
                raise ValueError("qk_norm is a GQA option; MLA normalises its latents instead")
            if self.qk_rope_head_dim % 2:
                raise ValueError(f"qk_rope_head_dim must be even, got {self.qk_rope_head_dim}")
        if self.n_routed_experts:
            if self.moe_hidden is None:
                object.__setattr__(self, "moe_hidden", max(1, self.mlp_hidden // 4))
            if not 0 < self.n_experts_per_tok <= self.n_routed_experts:
                raise ValueError(
                    f"n_experts_per_tok={self.n_experts_per_tok} must be in 1..n_routed_experts"
                    f"={self.n_routed_experts}"
                )
            if self.capacity_factor is not None and self.capacity_factor <= 0:
                raise ValueError(f"capacity_factor must be positive or None, got {self.capacity_factor}")

    # ----- derived values -----
    @property
    def q_dim(self) -> int:
        return self.n_head * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.n_kv_head * self.head_dim

    @property
    def n_rep(self) -> int:
        """Query heads per KV head (1 = MHA, n_head = MQA)."""
        return self.n_head // self.n_kv_head

    @property
    def is_moe(self) -> bool:
        return self.n_routed_experts > 0

    def layer_is_moe(self, layer_idx: int) -> bool:
        return self.is_moe and layer_idx >= self.first_k_dense

    @property
    def rope_head_dim(self) -> int:
        """Dimensions RoPE rotates: the whole head (GQA) or MLA's decoupled RoPE part."""
        return self.qk_rope_head_dim if self.attention == "mla" else self.head_dim

    @property
    def seq_len(self) -> int:
        return self.max_seq_len

    @property
    def yarn_mscale(self) -> float:
        """Attention temperature applied to cos/sin (so q.k scales by its square), as in transformers."""
        if self.rope_scaling != "yarn":
            return 1.0
        if self.yarn_attention_factor is not None:
            return float(self.yarn_attention_factor)
        return 1.0 if self.yarn_factor <= 1 else 0.1 * math.log(self.yarn_factor) + 1.0

    def with_yarn(self, factor: float, **overrides: Any) -> GPTConfig:
        """This config extended `factor` times with YaRN (original context = the current max_seq_len)."""
        original = self.yarn_original_max_seq_len if self.rope_scaling == "yarn" else self.max_seq_len
        return dataclasses.replace(
            self,
            rope_scaling="yarn",
            yarn_factor=float(factor),
            yarn_original_max_seq_len=original,
            max_seq_len=int(original * factor),
            **overrides,
        )

    # ----- serialisation -----
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GPTConfig:
        return from_known_fields(cls, d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> GPTConfig:
        return cls.from_dict(json.loads(text))


def _depth(depth: int, **kw: Any) -> dict[str, Any]:
    # nanochat: width = 64 * depth, head dim 128 -> n_head = depth / 2 (MHA).
    n_embd = 64 * depth
    return dict(n_layer=depth, n_embd=n_embd, n_head=n_embd // 128, head_dim=128, max_seq_len=2048, **kw)


def _depth_gqa(depth: int, n_head: int = 16, n_kv_head: int = 4) -> dict[str, Any]:
    # nanochat's width rule (64 x depth) with GQA: 16 query heads share 4 KV heads (kv <= heads / 4), so
    # the head size is width / 16 (d20: 80, d26: 104, d32: 128; multiples of 8, as flash attention needs).
    # Depth / 2 heads of 128 would give d20 10 heads and d26 13 (prime), which no kv <= heads / 4 divides
    # into equal groups except d20's 2 (groups of 5). The MLP keeps the 8/3 SwiGLU width.
    n_embd = 64 * depth
    return dict(
        n_layer=depth,
        n_embd=n_embd,
        n_head=n_head,
        n_kv_head=n_kv_head,
        head_dim=n_embd // n_head,
        max_seq_len=2048,
    )


PRESETS: dict[str, dict[str, Any]] = {
    # CPU demo: trains in minutes on 2 cores; GQA (4 query heads share 2 KV heads) and tied embeddings.
    "tiny": dict(
        n_layer=4, n_embd=256, n_head=4, n_kv_head=2, head_dim=64, max_seq_len=256, tie_embeddings=True
    ),
    "d12": _depth(12),
    "d20": _depth_gqa(20),
    "d26": _depth_gqa(26),
    "d32": _depth_gqa(32),
    # Seed M3 numbers. SwiGLU width by Llama 3's rule for GQA models: 8/3 * 2560 * 1.3 (ffn_dim_multiplier,
    # making up for the smaller K/V projections) rounded up to a multiple of 1024 = 9216, so the model has
    # 3B parameters (the plain 8/3 width, 6912, gives 2.39B). Llama-3-style rope base.
    "3b": dict(
        n_layer=32,
        n_embd=2560,
        n_head=32,
        n_kv_head=8,
        head_dim=80,
        mlp_hidden=9216,
        max_seq_len=4096,
        rope_theta=500000.0,
    ),
    # M5 (DeepSeek-V2/V3 style): MLA + MoE with 16 routed experts (top-2) and 2 shared ones, first layer dense.
    # `moe-tiny` has the active parameters of `tiny` (FFN: 2 routed + 2 shared x 192 = tiny's 768) for CPU
    # comparisons; n_kv_head/head_dim only describe the GQA model `--preset` compares MLA's KV cache with.
    "moe-tiny": dict(
        n_layer=4,
        n_embd=256,
        n_head=4,
        n_kv_head=2,
        head_dim=64,
        max_seq_len=256,
        tie_embeddings=True,
        attention="mla",
        kv_lora_rank=64,
        qk_nope_head_dim=32,
        qk_rope_head_dim=32,
        v_head_dim=64,
        n_routed_experts=16,
        n_shared_experts=2,
        n_experts_per_tok=2,
        moe_hidden=192,
        first_k_dense=1,
    ),
    "moe-12b": dict(
        n_layer=28,
        n_embd=2048,
        n_head=16,
        n_kv_head=8,
        head_dim=128,
        max_seq_len=4096,
        attention="mla",
        kv_lora_rank=512,
        qk_nope_head_dim=128,
        qk_rope_head_dim=64,
        v_head_dim=128,
        n_routed_experts=16,
        n_shared_experts=2,
        n_experts_per_tok=2,
        moe_hidden=3584,
        first_k_dense=1,
    ),
}


def get_preset(name: str, **overrides: Any) -> GPTConfig:
    """The named preset with `overrides` applied (e.g. `vocab_size` from the tokenizer)."""
    if name not in PRESETS:
        raise ValueError(f"unknown model preset {name!r}; valid presets: {', '.join(PRESETS)}")
    kw = {**PRESETS[name], "name": name, **overrides}
    return GPTConfig(**kw)
