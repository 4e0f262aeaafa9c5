"""Sampling with a KV cache: batched prompts (left-padded), temperature / top-k / top-p, EOS and stop strings.

The prompts are prefilled in one forward pass, then one token per row is decoded per step. Each row's
positions start at its first real token and padding is masked out, so a row's output does not depend on
the other prompts in the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from cppllm.model.gpt import GPT
from cppllm.model.kv_cache import KVCache


def filter_logits(logits: torch.Tensor, top_k: int | None = None, top_p: float | None = None) -> torch.Tensor:
    """Set logits outside the top-k / nucleus (top-p) set to -inf. logits (B, V)."""
    if top_k is not None and 0 < top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and 0 < top_p < 1:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        probs = torch.softmax(sorted_logits, dim=-1)
        # drop a token when the tokens ranked above it already hold top_p of the mass (the top one stays)
        drop = (probs.cumsum(-1) - probs) >= top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    return logits


def sample_next(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Next token ids (B,) from logits (B, V); temperature 0 is greedy."""
    if temperature <= 0:
        return logits.argmax(-1)
    logits = filter_logits(logits.float() / temperature, top_k, top_p)
    return torch.multinomial(torch.softmax(logits, -1), 1, generator=generator).squeeze(-1)


@torch.inference_mode()
def generate(
    model: GPT,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    eos_id: int | Sequence[int] | None = None,
    stop_strings: Sequence[str] = (),
    decode: Callable[[list[int]], str] | None = None,
    seed: int | None = None,
    pad_id: int = 0,
) -> list[list[int]]:
    """Continue each prompt; returns the new tokens per prompt (without the prompt).

    A row stops at `eos_id` (not included in its output), after the token that completes one of
    `stop_strings` (checked on `decode(new_tokens)`; the string stays in the output), or after
    `max_new_tokens`.
    """
    if not prompts or any(len(p) == 0 for p in prompts):
        raise ValueError("generate needs at least one prompt, and every prompt needs at least one token")
    if stop_strings and decode is None:
        raise ValueError("stop_strings need a `decode` callback (token ids -> text)")
    eos = {eos_id} if isinstance(eos_id, int) else set(eos_id or ())
    device = next(model.parameters()).device
    longest = max(len(p) for p in prompts)
    total = longest + max_new_tokens
    if total > model.config.max_seq_len:
        raise ValueError(
            f"prompt ({longest}) + max_new_tokens ({max_new_tokens}) > max_seq_len={model.config.max_seq_len}"
        )
    pads = [longest - len(p) for p in prompts]
    idx = torch.tensor([[pad_id] * n + list(p) for n, p in zip(pads, prompts, strict=True)], device=device)
    cache = KVCache(
        model.config, len(prompts), total, left_pad=pads, device=device, dtype=next(model.parameters()).dtype
    )
    gen = None
    if seed is not None:
        gen = torch.Generator(device=device).manual_seed(seed)

    was_training = model.training
    model.eval()
    tail = max((len(s) for s in stop_strings), default=0) + 8  # tokens enough to hold a stop string
    out: list[list[int]] = [[] for _ in prompts]
    done = [False] * len(prompts)
    logits = model(idx, cache=cache)[:, -1]
    for _ in range(max_new_tokens):
        nxt = sample_next(logits, temperature, top_k, top_p, gen)
        for i, tok in enumerate(nxt.tolist()):
            if done[i]:
                continue
            if tok in eos:
                done[i] = True
                continue
            out[i].append(tok)
            if stop_strings and any(s in decode(out[i][-tail:]) for s in stop_strings):
                done[i] = True
        if all(done):
            break
        logits = model(nxt[:, None], cache=cache)[:, -1]
    model.train(was_training)
    return out
