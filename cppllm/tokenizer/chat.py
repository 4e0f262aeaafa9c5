"""The chat template: conversations in the chat-messages convention -> token ids and an assistant loss mask.

    {"messages": [{"role": "system" | "user" | "assistant" | "tool", "content": str, "reasoning": str,
                   "tool_calls": [{"type": "function", "function": {"name": str, "arguments": {...}}}]}, ...]}

(`reasoning` and `tool_calls`, at most one call, are optional, on assistant turns only.) One conversation
renders as

    <|bos|> (<|system|> | <|user|> | <|assistant|>) [<|thought_start|> reasoning <|thought_end|>] content
    <|end_turn|> ...

with every turn opened by its role token and closed by `<|end_turn|>`, the reasoning of an assistant turn
between `<|thought_start|>` and `<|thought_end|>` ahead of its content. The loss mask is 1 exactly on what
the model must learn to write: an assistant turn's reasoning (with its two markers), its content and its
`<|end_turn|>` (so it learns to stop); never the role token, the system or user turns, or BOS.

Tool use (`cppllm.agent`): an assistant turn that calls a tool ends its content with `<|query_tool|>` and
the call as one JSON object `{"name": ..., "arguments": {...}}`, then `<|end_turn|>` (all learned); the
tool's answer is a `tool` turn, `<|tool_result|>` result `<|end_turn|>` (not learned). `tools` (JSON
schemas, the transformers convention) render as a system turn right after BOS: `TOOLS_PREAMBLE` and one
JSON line per tool, the same text `apply_chat_template(..., tools=...)` writes.

`CHAT_TEMPLATE` is the same layout in Jinja for transformers' `apply_chat_template` (exported with the
tokenizer; parity tested), with `{% generation %}` around the assistant spans so
`return_assistant_tokens_mask=True` gives the same mask. Text is encoded piece by piece with `encode`, so
a message that merely contains `<|end_turn|>` stays plain bytes here (transformers splits such text too
when it tokenizes with `split_special_tokens=True`, as the exported tokenizer does).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cppllm.tokenizer.special import (
    ASSISTANT_ID,
    BOS_ID,
    END_TURN_ID,
    QUERY_TOOL_ID,
    SPECIAL_TOKENS,
    SYSTEM_ID,
    THOUGHT_END_ID,
    THOUGHT_START_ID,
    TOOL_RESULT_ID,
    USER_ID,
)

ROLES = {"system": SYSTEM_ID, "user": USER_ID, "assistant": ASSISTANT_ID, "tool": TOOL_RESULT_ID}

_T = SPECIAL_TOKENS
# plain text (no special-token text, no Jinja syntax): the template writes it verbatim
TOOLS_PREAMBLE = (
    "You can call tools. To call one, write the tool-call token and one JSON object with the tool's name "
    "and arguments, then stop; the result comes back in a tool turn. Tools:"
)


def tools_text(tools: Sequence[dict[str, Any]]) -> str:
    """The system text that lists `tools` (the exact string the Jinja template writes)."""
    return TOOLS_PREAMBLE + "".join("\n" + json.dumps(t, ensure_ascii=False) for t in tools)


def call_json(call: dict[str, Any]) -> str:
    """The text after `<|query_tool|>` for one `tool_calls` entry (transformers layout, or a bare call)."""
    fn = call.get("function", call)
    return json.dumps({"name": fn["name"], "arguments": fn["arguments"]}, ensure_ascii=False)


def _template(generation_marks: bool) -> str:
    gen, end = ("{% generation %}", "{% endgeneration %}") if generation_marks else ("", "")
    return (
        "{{- bos_token -}}"
        "{%- if tools -%}"
        f"{_T['SYSTEM']}{TOOLS_PREAMBLE}"
        "{%- for tool in tools -%}{{ '\\n' }}{{ tool | tojson }}{%- endfor -%}"
        f"{_T['END_TURN']}"
        "{%- endif -%}"
        "{%- for message in messages -%}"
        "{%- if message['role'] == 'assistant' -%}"
        f"{_T['ASSISTANT']}{gen}"
        "{%- if message['reasoning'] is defined and message['reasoning'] -%}"
        f"{_T['THOUGHT_START']}{{{{ message['reasoning'] }}}}{_T['THOUGHT_END']}"
        "{%- endif -%}"
        "{{ message['content'] }}"
        "{%- if message['tool_calls'] is defined and message['tool_calls'] -%}"
        "{%- set c = message['tool_calls'][0] -%}"
        "{%- set fn = c['function'] if c['function'] is defined else c -%}"
        f"{_T['QUERY_TOOL']}{{{{ {{'name': fn['name'], 'arguments': fn['arguments']}} | tojson }}}}"
        "{%- endif -%}"
        f"{_T['END_TURN']}{end}"
        "{%- elif message['role'] == 'tool' -%}"
        f"{_T['TOOL_RESULT']}{{{{ message['content'] }}}}{_T['END_TURN']}"
        "{%- else -%}"
        f"<|{{{{ message['role'] }}}}|>{{{{ message['content'] }}}}{_T['END_TURN']}"
        "{%- endif -%}"
        "{%- endfor -%}"
        f"{{%- if add_generation_prompt -%}}{_T['ASSISTANT']}{{%- endif -%}}"
    )


CHAT_TEMPLATE = _template(generation_marks=True)  # transformers (assistant mask via {% generation %})
CHAT_TEMPLATE_PLAIN = _template(generation_marks=False)  # engines without that extension (GGUF/llama.cpp)


def check_messages(row: Any) -> str | None:
    """None if `row` is a valid conversation, else a stable snake_case reason it is not."""
    if not isinstance(row, dict) or "messages" not in row:
        return "no_messages"
    messages = row["messages"]
    if not isinstance(messages, list) or not messages:
        return "empty_messages"
    for m in messages:
        if not isinstance(m, dict):
            return "message_not_object"
        if m.get("role") not in ROLES:
            return "unknown_role"
        if not isinstance(m.get("content"), str):
            return "content_not_string"
        reasoning = m.get("reasoning")
        if reasoning is not None and (m["role"] != "assistant" or not isinstance(reasoning, str)):
            return "bad_reasoning"
        calls = m.get("tool_calls")
        if calls is not None and (m["role"] != "assistant" or not _valid_calls(calls)):
            return "bad_tool_calls"
    tools = row.get("tools")
    if tools is not None and not (isinstance(tools, list) and all(isinstance(t, dict) for t in tools)):
        return "bad_tools"
    if not any(m["role"] == "assistant" for m in messages):
        return "no_assistant_turn"
    return None


def _valid_calls(calls: Any) -> bool:
    if not isinstance(calls, list) or len(calls) > 1:  # one call per turn: the model stops after it
        return False
    for c in calls:
        fn = c.get("function", c) if isinstance(c, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            return False
        if not isinstance(fn.get("arguments"), dict):
            return False
    return True


def render(
    messages: Sequence[dict[str, Any]],
    tokenizer: Any,
    *,
    add_generation_prompt: bool = False,
    tools: Sequence[dict[str, Any]] | None = None,
) -> tuple[list[int], list[int]]:
    """(ids, loss_mask) of a conversation; mask 1 on assistant reasoning, content and end-of-turn tokens.

    `add_generation_prompt` appends `<|assistant|>` (mask 0) so a model continues with the reply.
    `tools` (JSON schemas) are listed in a system turn first. Invalid messages raise ValueError.
    """
    why = check_messages({"messages": list(messages)})
    if why is not None and not (why == "no_assistant_turn" and add_generation_prompt):
        raise ValueError(f"invalid conversation: {why}")
    tokenizer.special_id("END_TURN")  # a clear error on a tokenizer trained before the chat tokens
    ids, mask = [BOS_ID], [0]

    def add(piece: list[int], learn: bool) -> None:
        ids.extend(piece)
        mask.extend([int(learn)] * len(piece))

    if tools:
        add([SYSTEM_ID, *tokenizer.encode(tools_text(tools)), END_TURN_ID], False)
    for m in messages:
        role = m["role"]
        add([ROLES[role]], False)
        learn = role == "assistant"
        if learn and m.get("reasoning"):
            add([THOUGHT_START_ID, *tokenizer.encode(m["reasoning"]), THOUGHT_END_ID], True)
        add(tokenizer.encode(m["content"]), learn)
        if learn and m.get("tool_calls"):
            add([QUERY_TOOL_ID, *tokenizer.encode(call_json(m["tool_calls"][0]))], True)
        add([END_TURN_ID], learn)
    if add_generation_prompt:
        add([ASSISTANT_ID], False)
    return ids, mask


def parse_reply(ids: Sequence[int], tokenizer: Any) -> tuple[str | None, str]:
    """(reasoning or None, content) of generated assistant ids (after `<|assistant|>`, up to end of turn)."""
    ids = list(ids)
    for stop in (END_TURN_ID, tokenizer.eos_id):
        if stop in ids:
            ids = ids[: ids.index(stop)]
    reasoning = None
    if ids[:1] == [THOUGHT_START_ID]:
        end = ids.index(THOUGHT_END_ID) if THOUGHT_END_ID in ids else len(ids)
        reasoning = tokenizer.decode(ids[1:end])
        ids = ids[end + 1 :]
    return reasoning, tokenizer.decode(ids)
