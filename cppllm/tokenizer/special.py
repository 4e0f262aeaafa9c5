"""Special tokens with fixed ids at the start of the vocabulary.

The ids are part of the on-disk contract: `.bin` files, checkpoints and exported models depend on them.
Never reorder; append only. A tokenizer trained before an append keeps working (`CppTokenizer` checks the
leading specials it has, at least the first `N_SPECIAL_REQUIRED`); asking it for a newer token is a clear
error (retrain the tokenizer to get it).

Chat turns (`cppllm.tokenizer.chat`): `<|system|>`, `<|user|>`, `<|assistant|>` open a turn and
`<|end_turn|>` closes it; reasoning sits between `<|thought_start|>` and `<|thought_end|>`; a tool call is
`<|query_tool|>` + JSON, its result follows `<|tool_result|>`.
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
    # appended for chat (SFT); tokenizers trained before have ids 11.. as byte tokens instead
    "SYSTEM": "<|system|>",
    "USER": "<|user|>",
    "ASSISTANT": "<|assistant|>",
    "END_TURN": "<|end_turn|>",
}

SPECIAL_IDS: dict[str, int] = {name: i for i, name in enumerate(SPECIAL_TOKENS)}
BOS_ID = SPECIAL_IDS["BOS"]
EOS_ID = SPECIAL_IDS["EOS"]
PAD_ID = SPECIAL_IDS["PAD"]
FIM_PREFIX_ID = SPECIAL_IDS["FIM_PREFIX"]
FIM_MIDDLE_ID = SPECIAL_IDS["FIM_MIDDLE"]
FIM_SUFFIX_ID = SPECIAL_IDS["FIM_SUFFIX"]
FIM_PAD_ID = SPECIAL_IDS["FIM_PAD"]
THOUGHT_START_ID = SPECIAL_IDS["THOUGHT_START"]
THOUGHT_END_ID = SPECIAL_IDS["THOUGHT_END"]
QUERY_TOOL_ID = SPECIAL_IDS["QUERY_TOOL"]
TOOL_RESULT_ID = SPECIAL_IDS["TOOL_RESULT"]
SYSTEM_ID = SPECIAL_IDS["SYSTEM"]
USER_ID = SPECIAL_IDS["USER"]
ASSISTANT_ID = SPECIAL_IDS["ASSISTANT"]
END_TURN_ID = SPECIAL_IDS["END_TURN"]
N_SPECIAL = len(SPECIAL_TOKENS)
N_SPECIAL_REQUIRED = 11  # the specials every cppllm tokenizer has (those before the chat tokens)
