"""Rollouts: G replies per task from the policy with the KV-cache sampler, and their training rows.

A task's prompt is its user turn rendered by the chat template with the generation prompt
(`<|assistant|>`); each reply runs to `<|end_turn|>` (kept as its last token, so the policy is also
trained on when to stop) or `max_new_tokens` (then it is unfinished, which the format reward sees).
Replies are generated `rollout_batch` rows at a time (left-padded prompts, `cppllm.model.generate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from cppllm.model.generate import generate
from cppllm.model.gpt import GPT
from cppllm.tokenizer.chat import render
from cppllm.tokenizer.special import END_TURN_ID, PAD_ID
from cppllm.train.rl.tasks import Task


@dataclass(frozen=True, kw_only=True)
class Rollout:
    task: Task
    prompt_ids: list[int]
    response_ids: list[int]  # ends with <|end_turn|> when finished
    finished: bool


def prompt_ids(task: Task, tokenizer) -> list[int]:
    return render([{"role": "user", "content": task.prompt}], tokenizer, add_generation_prompt=True)[0]


def sample_groups(
    model: GPT,
    tokenizer,
    tasks: Sequence[Task],
    *,
    group_size: int,
    max_new_tokens: int,
    temperature: float,
    top_k: int | None,
    seed: int,
    batch_rows: int,
) -> list[Rollout]:
    """`group_size` replies per task, laid out task by task (group g = rows g*G .. g*G + G - 1)."""
    prompts = [prompt_ids(t, tokenizer) for t in tasks for _ in range(group_size)]
    owners = [t for t in tasks for _ in range(group_size)]
    out: list[Rollout] = []
    eos = [END_TURN_ID, tokenizer.eos_id]
    for i, s in enumerate(range(0, len(prompts), batch_rows)):
        chunk = prompts[s : s + batch_rows]
        gen = generate(
            model,
            chunk,
            max_new_tokens,
            temperature=temperature,
            top_k=top_k,
            eos_id=eos,
            seed=seed * 1000 + i,
            pad_id=PAD_ID,
        )
        for j, (p, r) in enumerate(zip(chunk, gen, strict=True)):
            finished = len(r) < max_new_tokens  # the sampler stopped at an end token (not kept in r)
            out.append(
                Rollout(
                    task=owners[s + j],
                    prompt_ids=list(p),
                    response_ids=[*r, END_TURN_ID] if finished else list(r),
                    finished=finished,
                )
            )
    return out


def policy_rows(
    rollouts: Sequence[Rollout], advantages: Sequence[float], rows: int
) -> list[dict[str, torch.Tensor]]:
    """Micro-batches of `rows` rollouts: x, y (-1 on prompt and padding), mask (1 on reply tokens), adv."""
    batches = []
    for s in range(0, len(rollouts), rows):
        part = rollouts[s : s + rows]
        seqs = [r.prompt_ids + r.response_ids for r in part]
        width = max(len(q) for q in seqs) - 1
        x = torch.full((len(part), width), PAD_ID, dtype=torch.long)
        y = torch.full((len(part), width), -1, dtype=torch.long)
        for i, (r, q) in enumerate(zip(part, seqs, strict=True)):
            n = len(q) - 1
            x[i, :n] = torch.tensor(q[:-1])
            start = len(r.prompt_ids) - 1  # y[t] = q[t + 1]: the first reply token is predicted here
            y[i, start:n] = torch.tensor(q[start + 1 :])
        batches.append(
            {
                "x": x,
                "y": y,
                "mask": (y != -1).float(),
                "adv": torch.tensor(list(advantages[s : s + rows]), dtype=torch.float32),
            }
        )
    return batches


def empty_rows() -> dict[str, torch.Tensor]:
    """A micro-batch with nothing to learn (mask 0): fills a rank with fewer rows under DDP."""
    return {
        "x": torch.full((1, 2), PAD_ID, dtype=torch.long),
        "y": torch.full((1, 2), -1, dtype=torch.long),
        "mask": torch.zeros(1, 2),
        "adv": torch.zeros(1),
    }
