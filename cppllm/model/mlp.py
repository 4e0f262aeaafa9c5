"""SwiGLU feed-forward block (arXiv 2002.05202): down(silu(gate(x)) * up(x)), no biases.

`gate_proj` and `up_proj` stay two parameters (state-dict keys, export and Muon unchanged) but run as one
matmul on their concatenated weights, whose output is split by views.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cppllm.model.config import GPTConfig


class SwiGLU(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(config.n_embd, config.mlp_hidden, bias=False)
        self.up_proj = nn.Linear(config.n_embd, config.mlp_hidden, bias=False)
        self.down_proj = nn.Linear(config.mlp_hidden, config.n_embd, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, C) -> (B, T, C)
        gate, up = F.linear(x, torch.cat((self.gate_proj.weight, self.up_proj.weight))).chunk(2, dim=-1)
        return self.down_proj(F.silu(gate) * up)
