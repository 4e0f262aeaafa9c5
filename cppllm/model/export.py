"""Export a GPT to a Hugging Face `LlamaForCausalLM` directory or to GGUF (llama.cpp).

MLA / MoE models (M5) export as `DeepseekV3ForCausalLM` instead (`cppllm.model.export_deepseek`), with the
same parity guarantees; GGUF export stays Llama-only.

Our block is Llama's block (pre-norm RMSNorm, rotate-half RoPE with transformers' YaRN, GQA, SwiGLU, no
biases), so the export is a renaming of tensors plus a config, and the exported model computes the same
function (tested: max |logit diff| < 1e-4 in fp32, identical greedy generation). Features Llama cannot
express (QK-norm) make the export fail instead of writing a different model.

GGUF is written with the `gguf` package (llama.cpp's own writer) with the `llama` architecture:
Q/K rows are permuted to GGML's interleaved RoPE layout exactly as llama.cpp's `convert_hf_to_gguf.py`
does, and the byte-level BPE is stored as a `gpt2` tokenizer (tokens, merges, special-token ids).

    python -m cppllm.model.export --ckpt ckpt/step_001000 --format hf --out out/hf [--tokenizer DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

from cppllm.atomic import atomic_dir, atomic_path
from cppllm.model.config import GPTConfig
from cppllm.model.gpt import GPT
from cppllm.tokenizer.special import BOS_ID, END_TURN_ID, EOS_ID, PAD_ID

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


class UnsupportedExport(ValueError):
    """The model uses a feature the target format cannot express."""


def check_llama_compatible(cfg: GPTConfig) -> None:
    if cfg.attention == "mla" or cfg.is_moe:
        raise UnsupportedExport(
            "MLA / MoE models are not Llama: export them with --format hf (DeepseekV3ForCausalLM)"
        )
    if cfg.qk_norm:
        raise UnsupportedExport(
            "qk_norm=True cannot be exported as LlamaForCausalLM/GGUF llama (Llama has no QK-norm); "
            "exporting would silently change the model. Train with qk_norm=False to export."
        )
    if cfg.n_embd % cfg.n_head:
        raise UnsupportedExport(
            f"transformers' Llama needs n_embd ({cfg.n_embd}) divisible by n_head ({cfg.n_head})"
        )


def rope_parameters(cfg: GPTConfig) -> dict[str, Any]:
    """transformers' `rope_parameters` for this config."""
    if cfg.rope_scaling != "yarn":
        return {"rope_type": "default", "rope_theta": cfg.rope_theta}
    params = {
        "rope_type": "yarn",
        "rope_theta": cfg.rope_theta,
        "factor": cfg.yarn_factor,
        "original_max_position_embeddings": cfg.yarn_original_max_seq_len,
        "beta_fast": cfg.yarn_beta_fast,
        "beta_slow": cfg.yarn_beta_slow,
        "truncate": True,
    }
    if cfg.yarn_attention_factor is not None:
        params["attention_factor"] = cfg.yarn_attention_factor
    return params


def llama_config(cfg: GPTConfig, dtype: str = "fp32"):
    """The `transformers.LlamaConfig` describing the same network as `cfg`."""
    from transformers import LlamaConfig

    check_llama_compatible(cfg)
    return LlamaConfig(
        vocab_size=cfg.vocab_size,
        hidden_size=cfg.n_embd,
        intermediate_size=cfg.mlp_hidden,
        num_hidden_layers=cfg.n_layer,
        num_attention_heads=cfg.n_head,
        num_key_value_heads=cfg.n_kv_head,
        head_dim=cfg.head_dim,
        hidden_act="silu",
        max_position_embeddings=cfg.max_seq_len,
        rms_norm_eps=cfg.norm_eps,
        tie_word_embeddings=cfg.tie_embeddings,
        rope_parameters=rope_parameters(cfg),
        attention_bias=False,
        mlp_bias=False,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        pad_token_id=PAD_ID,
        architectures=["LlamaForCausalLM"],
        dtype={"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}[dtype],
    )


def llama_state_dict(model: GPT) -> dict[str, torch.Tensor]:
    """Our parameters under transformers' Llama names (a tied head is stored once, as the embedding)."""
    sd = {"model.embed_tokens.weight": model.embed.weight, "model.norm.weight": model.norm.weight}
    for i, b in enumerate(model.blocks):
        p = f"model.layers.{i}."
        sd[p + "input_layernorm.weight"] = b.attn_norm.weight
        sd[p + "post_attention_layernorm.weight"] = b.mlp_norm.weight
        for n in ("q_proj", "k_proj", "v_proj", "o_proj"):
            sd[p + f"self_attn.{n}.weight"] = getattr(b.attn, n).weight
        for n in ("gate_proj", "up_proj", "down_proj"):
            sd[p + f"mlp.{n}.weight"] = getattr(b.mlp, n).weight
    if not model.config.tie_embeddings:
        sd["lm_head.weight"] = model.lm_head.weight
    return {k: v.detach().cpu().contiguous() for k, v in sd.items()}


def export_hf(
    model: GPT, out_dir: str | Path, tokenizer_dir: str | Path | None = None, dtype: str = "fp32"
) -> Path:
    """Write a `LlamaForCausalLM` (`DeepseekV3ForCausalLM` for MLA/MoE) directory: model.safetensors,
    config.json, generation_config.json and, with `tokenizer_dir`, the tokenizer as a
    `PreTrainedTokenizerFast`."""
    from safetensors.torch import save_file
    from transformers import GenerationConfig

    cfg = model.config
    if cfg.attention == "mla" or cfg.is_moe:
        from cppllm.model import export_deepseek as ds

        hf_cfg = ds.deepseek_config(cfg, dtype)
        tensors = ds.cast_for_export(ds.deepseek_state_dict(model), DTYPES[dtype])
    else:
        hf_cfg = llama_config(cfg, dtype)
        tensors = {k: v.to(DTYPES[dtype]) for k, v in llama_state_dict(model).items()}
    out = Path(out_dir)
    with atomic_dir(out) as tmp:
        save_file(tensors, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        hf_cfg.save_pretrained(str(tmp))
        GenerationConfig(
            bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=PAD_ID, max_length=cfg.max_seq_len
        ).save_pretrained(str(tmp))
        if tokenizer_dir is not None:
            tok = _load_tokenizer(tokenizer_dir, cfg)
            tok.save_transformers(tmp)
        (tmp / "cppllm_config.json").write_text(
            json.dumps({"model": cfg.to_dict()}, indent=2, sort_keys=True)
        )
    return out


def _load_tokenizer(tokenizer_dir: str | Path, cfg: GPTConfig):
    from cppllm.tokenizer.tokenizer import CppTokenizer

    tok = CppTokenizer.load(tokenizer_dir)
    if tok.vocab_size > cfg.vocab_size:
        raise ValueError(f"tokenizer has {tok.vocab_size} tokens but the model only {cfg.vocab_size}")
    return tok


# ---------------------------------------------------------------- GGUF


def permute_for_gguf(w: torch.Tensor, n_head: int) -> torch.Tensor:
    """HF rotate-half Q/K rows -> GGML's interleaved-pair layout (llama.cpp convert_hf_to_gguf `permute`)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute_from_gguf(w: torch.Tensor, n_head: int) -> torch.Tensor:
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


GGUF_NAMES = {
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


def gguf_tensors(model: GPT) -> dict[str, torch.Tensor]:
    """llama.cpp tensor names -> tensors (Q/K permuted)."""
    cfg = model.config
    out = {}
    for name, t in llama_state_dict(model).items():
        if name == "model.embed_tokens.weight":
            out["token_embd.weight"] = t
        elif name == "model.norm.weight":
            out["output_norm.weight"] = t
        elif name == "lm_head.weight":
            out["output.weight"] = t
        else:
            layer, rest = name[len("model.layers.") :].split(".", 1)
            key = rest[: -len(".weight")]
            if key == "self_attn.q_proj":
                t = permute_for_gguf(t, cfg.n_head)
            elif key == "self_attn.k_proj":
                t = permute_for_gguf(t, cfg.n_kv_head)
            out[f"blk.{layer}.{GGUF_NAMES[key]}.weight"] = t
    return out


def export_gguf(
    model: GPT, out_path: str | Path, tokenizer_dir: str | Path | None = None, dtype: str = "fp32"
) -> Path:
    """Write a llama-architecture GGUF file (fp32 or fp16 weights; norms stay fp32)."""
    import gguf

    cfg = model.config
    check_llama_compatible(cfg)
    if dtype not in ("fp32", "fp16"):
        raise ValueError(f"GGUF export supports fp32 and fp16, not {dtype}")
    if cfg.rope_scaling == "yarn" and cfg.yarn_attention_factor is not None:
        raise UnsupportedExport(
            "llama.cpp derives the YaRN attention temperature from the factor; "
            "a custom yarn_attention_factor cannot be expressed in GGUF"
        )
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        _write_gguf(gguf, str(tmp), model, cfg, dtype, tokenizer_dir)
    return out


def _write_gguf(gguf, tmp: str, model, cfg, dtype: str, tokenizer_dir) -> None:
    w = gguf.GGUFWriter(tmp, "llama")
    w.add_name(f"cppllm-{cfg.name}")
    w.add_file_type(gguf.LlamaFileType.ALL_F32 if dtype == "fp32" else gguf.LlamaFileType.MOSTLY_F16)
    w.add_vocab_size(cfg.vocab_size)
    w.add_context_length(cfg.max_seq_len)
    w.add_embedding_length(cfg.n_embd)
    w.add_block_count(cfg.n_layer)
    w.add_feed_forward_length(cfg.mlp_hidden)
    w.add_head_count(cfg.n_head)
    w.add_head_count_kv(cfg.n_kv_head)
    w.add_key_length(cfg.head_dim)
    w.add_value_length(cfg.head_dim)
    w.add_rope_dimension_count(cfg.head_dim)
    w.add_rope_freq_base(cfg.rope_theta)
    w.add_layer_norm_rms_eps(cfg.norm_eps)
    if cfg.rope_scaling == "yarn":
        w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        w.add_rope_scaling_factor(cfg.yarn_factor)
        w.add_rope_scaling_orig_ctx_len(cfg.yarn_original_max_seq_len)
        w.add_rope_scaling_yarn_beta_fast(cfg.yarn_beta_fast)
        w.add_rope_scaling_yarn_beta_slow(cfg.yarn_beta_slow)
    if tokenizer_dir is not None:
        _add_gguf_tokenizer(w, _load_tokenizer(tokenizer_dir, cfg), cfg.vocab_size)
    for name, t in gguf_tensors(model).items():
        t = t.float() if t.ndim == 1 or dtype == "fp32" else t.half()
        w.add_tensor(name, t.numpy())
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def _add_gguf_tokenizer(w, tok, vocab_size: int) -> None:
    import gguf

    data = json.loads(tok.to_json())
    vocab: dict[str, int] = dict(data["model"]["vocab"])
    for added in data.get("added_tokens", []):
        vocab[added["content"]] = added["id"]
    specials = {a["id"] for a in data.get("added_tokens", []) if a.get("special")}
    by_id = {i: t for t, i in vocab.items()}
    tokens, types = [], []
    for i in range(vocab_size):  # the model's rows past the tokenizer's vocabulary are unused padding
        if i in by_id:
            tokens.append(by_id[i])
            types.append(gguf.TokenType.CONTROL if i in specials else gguf.TokenType.NORMAL)
        else:
            tokens.append(f"<|unused_{i}|>")
            types.append(gguf.TokenType.UNUSED)
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
    w.add_tokenizer_model("gpt2")
    # llama.cpp knows no C++ pre-tokenizer; "default" is its generic regex. Ids and merges are exact.
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(BOS_ID)
    w.add_eos_token_id(EOS_ID)
    w.add_pad_token_id(PAD_ID)
    w.add_add_bos_token(False)
    if tok.n_special > END_TURN_ID:  # tokenizers trained before the chat tokens have no template
        from cppllm.tokenizer.chat import CHAT_TEMPLATE_PLAIN

        w.add_chat_template(CHAT_TEMPLATE_PLAIN)
        w.add_eot_token_id(END_TURN_ID)


# ---------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    from cppllm.model.checkpoint import load_checkpoint_model

    ap = argparse.ArgumentParser(prog="python -m cppllm.model.export", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--ckpt", required=True, help="checkpoint directory (config.json + model.safetensors|model.pt)"
    )
    ap.add_argument("--format", required=True, choices=["hf", "gguf"], help="output format")
    ap.add_argument("--out", required=True, help="output directory (hf) or directory/file.gguf (gguf)")
    ap.add_argument("--tokenizer", default=None, help="tokenizer directory or tokenizer.json to include")
    ap.add_argument("--dtype", default="fp32", choices=list(DTYPES), help="weight dtype (gguf: fp32|fp16)")
    args = ap.parse_args(argv)
    try:
        model = load_checkpoint_model(args.ckpt)
        tok = args.tokenizer
        if tok is None and (Path(args.ckpt) / "tokenizer.json").is_file():
            tok = args.ckpt
        if args.format == "hf":
            path = export_hf(model, args.out, tok, args.dtype)
        else:
            out = Path(args.out)
            if out.suffix != ".gguf":
                out = out / f"cppllm-{model.config.name}-{args.dtype}.gguf"
            path = export_gguf(model, out, tok, args.dtype)
    except (UnsupportedExport, FileNotFoundError, ValueError) as e:
        print(f"export failed: {e}", file=sys.stderr)
        return 1
    print(f"wrote {path}" + ("" if tok else " (no tokenizer included: pass --tokenizer DIR)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
