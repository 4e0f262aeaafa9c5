"""Special tokens with fixed ids at the start of the vocabulary.

The ids are part of the on-disk contract: `.bin` files, checkpoints and exported models depend on them.
Never reorder; append only.
"""

from __future__ import annotations

SPECIAL_TOKENS: dict[str, str] = {
    "BOS": "<|bos|>",
    "EOS": "<|eos|>",
    "PAD": "<|pad|>",
    "FIM_PREFIX": "<|fim_prefix|>",
    "FIM_MIDDLE": "<|fim_middle|>",
    "FIM_SUFFIX": "<|fim_suffix|>",
    "FIM_PAD": "<|fim_pad|>",
    "THOUGHT_START": "<|thought_start|>",
    "THOUGHT_END": "<|thought_end|>",
    "QUERY_TOOL": "<|query_tool|>",
    "TOOL_RESULT": "<|tool_result|>",
}

SPECIAL_IDS: dict[str, int] = {name: i for i, name in enumerate(SPECIAL_TOKENS)}
BOS_ID = SPECIAL_IDS["BOS"]
EOS_ID = SPECIAL_IDS["EOS"]
PAD_ID = SPECIAL_IDS["PAD"]
FIM_PREFIX_ID = SPECIAL_IDS["FIM_PREFIX"]
FIM_MIDDLE_ID = SPECIAL_IDS["FIM_MIDDLE"]
FIM_SUFFIX_ID = SPECIAL_IDS["FIM_SUFFIX"]
FIM_PAD_ID = SPECIAL_IDS["FIM_PAD"]
N_SPECIAL = len(SPECIAL_TOKENS)
