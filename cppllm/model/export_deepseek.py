"""MLA (+ MoE) models as transformers' `DeepseekV3ForCausalLM`: the config and the tensor renaming.

Our MLA and DeepSeekMoE follow DeepSeek-V3's layout, so the export is a renaming plus a config:
- attention: q_proj | q_a_proj + q_a_layernorm + q_b_proj, kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj,
  o_proj (transformers' names); RoPE in rotate-half layout (`rope_interleave=False`);
- YaRN: DeepSeek's form, `mscale = mscale_all_dim = 1`, so cos/sin are unscaled and the softmax scale is
  multiplied by (0.1 ln factor + 1)^2, as our MLA does;
- MoE: router `gate.weight` and the balancing bias `gate.e_score_correction_bias` (both fp32), experts as
  stacked `gate_up_proj` (E, 2H, C) and `down_proj` (E, C, H), one group (`n_group = topk_group = 1`),
  normalised top-k weights times `routed_scaling_factor`, shared experts as one SwiGLU;
- the first `first_k_dense` layers (all of them for a dense-FFN model) are `first_k_dense_replace`.
transformers never drops tokens, so a model trained with a capacity factor exports its dropless function
(which is also what our evaluation computes). GQA attention with MoE has no DeepSeek-V3 equivalent.
"""

from __future__ import annotations

from typing import Any

import torch

from cppllm.model.config import GPTConfig
from cppllm.model.gpt import GPT
from cppllm.model.moe import MoE
from cppllm.tokenizer.special import BOS_ID, EOS_ID, PAD_ID

FP32_KEYS = ("mlp.gate.weight", "mlp.gate.e_score_correction_bias")  # kept fp32 by transformers


class UnsupportedDeepseekExport(ValueError):
    """The config cannot be written as DeepseekV3ForCausalLM."""


def check_deepseek_compatible(cfg: GPTConfig) -> None:
    if cfg.attention != "mla":
        raise UnsupportedDeepseekExport(
            "DeepseekV3ForCausalLM needs MLA attention; a GQA model exports as LlamaForCausalLM (no MoE)"
        )
    if cfg.is_moe and cfg.n_shared_experts == 0:
        raise UnsupportedDeepseekExport("DeepseekV3ForCausalLM's MoE layers always have shared experts")
    if cfg.rope_scaling == "yarn" and cfg.yarn_attention_factor is not None:
        raise UnsupportedDeepseekExport(
            "DeepSeek-V3's YaRN derives the softmax temperature from the factor; a custom "
            "yarn_attention_factor cannot be expressed"
        )


def deepseek_rope_parameters(cfg: GPTConfig) -> dict[str, Any]:
    if cfg.rope_scaling != "yarn":
        return {"rope_type": "default", "rope_theta": cfg.rope_theta}
    return {
        "rope_type": "yarn",
        "rope_theta": cfg.rope_theta,
        "factor": cfg.yarn_factor,
        "original_max_position_embeddings": cfg.yarn_original_max_seq_len,
        "beta_fast": cfg.yarn_beta_fast,
        "beta_slow": cfg.yarn_beta_slow,
        "mscale": 1.0,
        "mscale_all_dim": 1.0,
        "truncate": True,
    }


def deepseek_config(cfg: GPTConfig, dtype: str = "fp32"):
    """The `transformers.DeepseekV3Config` describing the same network as `cfg`."""
    from transformers import DeepseekV3Config

    check_deepseek_compatible(cfg)
    moe = cfg.is_moe
    return DeepseekV3Config(
        vocab_size=cfg.vocab_size,
        hidden_size=cfg.n_embd,
        intermediate_size=cfg.mlp_hidden,
        moe_intermediate_size=cfg.moe_hidden if moe else cfg.mlp_hidden,
        num_hidden_layers=cfg.n_layer,
        num_attention_heads=cfg.n_head,
        num_key_value_heads=cfg.n_head,
        n_shared_experts=cfg.n_shared_experts if moe else 1,
        n_routed_experts=cfg.n_routed_experts if moe else 1,
        routed_scaling_factor=cfg.routed_scaling,
        kv_lora_rank=cfg.kv_lora_rank,
        q_lora_rank=cfg.q_lora_rank,
        qk_rope_head_dim=cfg.qk_rope_head_dim,
        v_head_dim=cfg.v_head_dim,
        qk_nope_head_dim=cfg.qk_nope_head_dim,
        n_group=1,
        topk_group=1,
        num_experts_per_tok=cfg.n_experts_per_tok if moe else 1,
        first_k_dense_replace=cfg.first_k_dense if moe else cfg.n_layer,
        norm_topk_prob=True,
        hidden_act="silu",
        max_position_embeddings=cfg.max_seq_len,
        rms_norm_eps=cfg.norm_eps,
        tie_word_embeddings=cfg.tie_embeddings,
        rope_parameters=deepseek_rope_parameters(cfg),
        rope_interleave=False,
        attention_bias=False,
        num_nextn_predict_layers=0,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        pad_token_id=PAD_ID,
        architectures=["DeepseekV3ForCausalLM"],
        dtype={"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}[dtype],
    )


def deepseek_state_dict(model: GPT) -> dict[str, torch.Tensor]:
    """Our parameters (and routing biases) under transformers' DeepseekV3 names."""
    sd = {"model.embed_tokens.weight": model.embed.weight, "model.norm.weight": model.norm.weight}
    for i, b in enumerate(model.blocks):
        p = f"model.layers.{i}."
        sd[p + "input_layernorm.weight"] = b.attn_norm.weight
        sd[p + "post_attention_layernorm.weight"] = b.mlp_norm.weight
        a, q = b.attn, p + "self_attn."
        if hasattr(a, "q_proj"):
            sd[q + "q_proj.weight"] = a.q_proj.weight
        else:
            sd[q + "q_a_proj.weight"] = a.q_a_proj.weight
            sd[q + "q_a_layernorm.weight"] = a.q_a_norm.weight
            sd[q + "q_b_proj.weight"] = a.q_b_proj.weight
        sd[q + "kv_a_proj_with_mqa.weight"] = a.kv_a_proj.weight
        sd[q + "kv_a_layernorm.weight"] = a.kv_a_norm.weight
        sd[q + "kv_b_proj.weight"] = a.kv_b_proj.weight
        sd[q + "o_proj.weight"] = a.o_proj.weight
        m = b.mlp
        if isinstance(m, MoE):
            sd[p + "mlp.gate.weight"] = m.router.weight
            sd[p + "mlp.gate.e_score_correction_bias"] = m.router.bias
            sd[p + "mlp.experts.gate_up_proj"] = torch.cat((m.w_gate, m.w_up), dim=1)
            sd[p + "mlp.experts.down_proj"] = m.w_down
            for n in ("gate_proj", "up_proj", "down_proj"):
                sd[p + f"mlp.shared_experts.{n}.weight"] = getattr(m.shared, n).weight
        else:
            for n in ("gate_proj", "up_proj", "down_proj"):
                sd[p + f"mlp.{n}.weight"] = getattr(m, n).weight
    if not model.config.tie_embeddings:
        sd["lm_head.weight"] = model.lm_head.weight
    return {k: v.detach().cpu().contiguous() for k, v in sd.items()}


def cast_for_export(tensors: dict[str, torch.Tensor], dtype: torch.dtype) -> dict[str, torch.Tensor]:
    return {k: v.float() if k.endswith(FP32_KEYS) else v.to(dtype) for k, v in tensors.items()}
