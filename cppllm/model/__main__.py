"""`python -m cppllm.model --preset d20`: parameter count, FLOPs per token, KV-cache size, training memory."""

from __future__ import annotations

import argparse
import json

from cppllm.model.config import PRESETS, get_preset
from cppllm.model.estimate import DTYPE_BYTES, LOSS_CHUNK_ROWS, summary


def _human(n: float, unit: str = "") -> str:
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= div:
            return f"{n / div:.2f}{suffix}{unit}"
    return f"{n:.0f}{unit}"


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


def preset_table(vocab_size: int = 32768) -> str:
    """Markdown table of every preset (for the README)."""
    rows = [
        "| preset | layers | width | heads (kv) | head dim | MLP | context | params | non-embedding | FLOPs/token | KV cache/token (bf16) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in PRESETS:
        c = get_preset(name, vocab_size=vocab_size)
        s = summary(c, 1)
        heads, head_dim, mlp = f"{c.n_head} ({c.n_kv_head})", c.head_dim, c.mlp_hidden
        params = _human(s["params_total"])
        if c.attention == "mla":
            heads, head_dim = (
                f"{c.n_head} (MLA, latent {c.kv_lora_rank})",
                c.qk_nope_head_dim + c.qk_rope_head_dim,
            )
        if c.is_moe:
            mlp = f"MoE {c.n_routed_experts}+{c.n_shared_experts} x {c.moe_hidden}, top-{c.n_experts_per_tok}"
            params += f" ({_human(s['params_active'])} active)"
        rows.append(
            f"| `{name}` | {c.n_layer} | {c.n_embd} | {heads} | {head_dim} | {mlp} | "
            f"{c.max_seq_len} | {params} | {_human(s['params_non_embedding'])} | "
            f"{_human(s['flops_per_token'])} | {_human(s['kv_cache_bytes_per_token'], 'B')} |"
        )
    return "\n".join(rows)


def _describe(cfg) -> str:
    if cfg.attention == "mla":
        rq = "full-rank q" if cfg.q_lora_rank is None else f"q latent {cfg.q_lora_rank}"
        attn = (
            f"{cfg.n_head} MLA heads (KV latent {cfg.kv_lora_rank}, {rq}, qk {cfg.qk_nope_head_dim}+"
            f"{cfg.qk_rope_head_dim} RoPE, v {cfg.v_head_dim})"
        )
    else:
        attn = f"{cfg.n_head} heads ({cfg.n_kv_head} KV) x {cfg.head_dim}"
    if cfg.is_moe:
        ffn = (
            f"MoE {cfg.n_routed_experts} routed (top-{cfg.n_experts_per_tok}) + {cfg.n_shared_experts} shared "
            f"experts x {cfg.moe_hidden}, first {cfg.first_k_dense} dense (SwiGLU {cfg.mlp_hidden})"
        )
    else:
        ffn = f"SwiGLU {cfg.mlp_hidden}"
    return (
        f"{cfg.n_layer} layers, width {cfg.n_embd}, {attn}, {ffn}, vocab {cfg.vocab_size}, "
        f"context {cfg.max_seq_len}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cppllm.model", description=__doc__)
    ap.add_argument("--preset", default="d20", choices=list(PRESETS), help="model preset")
    ap.add_argument("--vocab-size", type=int, default=32768, help="vocabulary size (from the tokenizer)")
    ap.add_argument("--seq-len", type=int, default=None, help="context length (default: the preset's)")
    ap.add_argument(
        "--batch-tokens", type=int, default=None, help="tokens per micro-batch (default: 8 x seq len)"
    )
    ap.add_argument("--dtype", default="bf16", choices=list(DTYPE_BYTES), help="activation/KV-cache dtype")
    ap.add_argument(
        "--optimizer", default="muon", choices=["muon", "adamw"], help="optimizer for the memory estimate"
    )
    ap.add_argument(
        "--loss-chunk",
        type=int,
        default=LOSS_CHUNK_ROWS,
        help="rows of logits the chunked loss holds at a time (the trainer's --loss-chunk)",
    )
    ap.add_argument("--json", action="store_true", help="print JSON instead of text")
    ap.add_argument("--table", action="store_true", help="print the markdown table of all presets")
    args = ap.parse_args(argv)
    if args.table:
        print(preset_table(args.vocab_size))
        return 0
    over = {"vocab_size": args.vocab_size}
    if args.seq_len:
        over["max_seq_len"] = args.seq_len
    cfg = get_preset(args.preset, **over)
    batch = args.batch_tokens or 8 * cfg.max_seq_len
    s = summary(cfg, batch, args.dtype, args.optimizer, args.loss_chunk)
    if args.json:
        print(json.dumps({"config": cfg.to_dict(), "batch_tokens": batch, **s}, indent=2))
        return 0
    print(f"preset {args.preset}: {_describe(cfg)}")
    print(f"  parameters       {s['params_total']:>15,}  ({_human(s['params_total'])})")
    print(f"  non-embedding    {s['params_non_embedding']:>15,}  ({_human(s['params_non_embedding'])})")
    if cfg.is_moe:
        print(f"  active/token     {s['params_active']:>15,}  ({_human(s['params_active'])})")
    print(
        f"  FLOPs/token      {s['flops_per_token']:>15,}  ({_human(s['flops_per_token'])}, training, T={cfg.max_seq_len})"
    )
    print(f"  KV cache/token   {s['kv_cache_bytes_per_token']:>15,}  bytes ({args.dtype})")
    if cfg.attention == "mla":
        gqa = s["kv_cache_bytes_per_token_gqa"]
        print(
            f"    vs GQA         {gqa:>15,}  bytes with {cfg.n_kv_head} KV heads x {cfg.head_dim} "
            f"({gqa / s['kv_cache_bytes_per_token']:.1f}x MLA's)"
        )
        million = 2**20
        print(
            f"    one {million:,}-token sequence: {_gib(million * s['kv_cache_bytes_per_token'])} MLA, "
            f"{_gib(million * gqa)} GQA"
        )
    print(f"  training memory at {batch:,} tokens/micro-batch ({args.dtype} activations, {args.optimizer}):")
    for k in ("weights", "grads", "optimizer", "activations", "logits", "total"):
        print(f"    {k:<12} {_gib(s['train_mem_' + k]):>12}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
