"""The tool-call protocol: how a model asks for a tool and how the answer comes back.

An assistant turn that calls a tool ends with `<|query_tool|>` and one JSON object
`{"name": ..., "arguments": {...}}`, then `<|end_turn|>`, where generation stops (by token id). The call is
found by the `<|query_tool|>` id in the generated ids, never by searching decoded text, so a model that
merely writes the marker's characters has not called anything. The runtime runs the tool and appends a
`tool` turn, `<|tool_result|>` + the result text (cut to a budget, with a note saying so); the next
`<|assistant|>` resumes decoding (the layout is `cppllm.tokenizer.chat`'s).

A malformed call (not JSON, not an object, no name, arguments not an object, text after the object) is no
crash: `parse_call` raises `MalformedCall`, whose message goes back to the model as the tool result.

OpenAI-compatible endpoints return text, not ids: `split_text` finds the marker's text there (the only
place a string search is used, because the ids are not available).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cppllm.tokenizer.special import QUERY_TOOL_ID, SPECIAL_TOKENS

QUERY_TOOL = SPECIAL_TOKENS["QUERY_TOOL"]
TOOL_RESULT = SPECIAL_TOKENS["TOOL_RESULT"]
CALL_SHAPE = '{"name": "<tool>", "arguments": {...}}'


class MalformedCall(ValueError):
    """A tool call the runtime cannot run; the message is what the model reads back."""


@dataclass(frozen=True, kw_only=True)
class Call:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}


@dataclass(frozen=True, kw_only=True)
class Step:
    """One assistant turn as written: reasoning, content, and the call's raw text (None: an answer).

    An endpoint with native function calling also gives the call's id, and the calls of the same turn
    beyond the first (one call runs per turn; those are answered "not run")."""

    reasoning: str | None
    content: str
    call_text: str | None = None
    call_id: str | None = None
    calls_not_run: tuple[str, ...] = ()

    @property
    def is_call(self) -> bool:
        return self.call_text is not None


def split_reply(ids: Sequence[int], tokenizer: Any) -> Step:
    """A generated assistant turn (ids after `<|assistant|>`, end-of-turn excluded or not) -> Step."""
    from cppllm.tokenizer.chat import parse_reply

    ids = list(ids)
    if QUERY_TOOL_ID not in ids:
        reasoning, content = parse_reply(ids, tokenizer)
        return Step(reasoning=reasoning, content=content)
    at = ids.index(QUERY_TOOL_ID)
    reasoning, content = parse_reply(ids[:at], tokenizer)
    _, call = parse_reply(ids[at + 1 :], tokenizer)  # up to <|end_turn|> / EOS
    return Step(reasoning=reasoning, content=content, call_text=call)


def split_text(text: str, reasoning: str | None = None) -> Step:
    """The same split for an endpoint's text reply (the marker's characters, the only signal there is)."""
    if QUERY_TOOL not in text:
        return Step(reasoning=reasoning or None, content=text.strip())
    content, call = text.split(QUERY_TOOL, 1)
    call = call.split(TOOL_RESULT, 1)[0]  # a model that also writes the result marker stops there
    return Step(reasoning=reasoning or None, content=content.strip(), call_text=call)


def parse_call(text: str) -> Call:
    """The call in `text` (one JSON object); `MalformedCall` with a readable reason otherwise."""
    text = text.strip()
    if not text:
        raise MalformedCall(f"empty tool call: write one JSON object {CALL_SHAPE}")
    try:
        obj, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as e:
        raise MalformedCall(
            f"the tool call is not valid JSON ({e.msg} at char {e.pos}); want {CALL_SHAPE}"
        ) from None
    if text[end:].strip():
        raise MalformedCall(f"text after the JSON object of the call; write only {CALL_SHAPE}")
    if not isinstance(obj, dict):
        raise MalformedCall(f"the tool call must be a JSON object {CALL_SHAPE}, got {type(obj).__name__}")
    name, args = obj.get("name"), obj.get("arguments", {})
    if not isinstance(name, str) or not name:
        raise MalformedCall(f'the tool call has no "name" string; want {CALL_SHAPE}')
    if isinstance(args, str):  # OpenAI style: arguments as a JSON string
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError as e:
            raise MalformedCall(f'"arguments" is a string that is not JSON ({e.msg})') from None
    if not isinstance(args, dict):
        raise MalformedCall(f'"arguments" must be a JSON object, got {type(args).__name__}')
    return Call(name=name, arguments=args)


def truncate(text: str, budget: int) -> str:
    """`text` cut to `budget` characters (head and tail kept), with a note saying how much went."""
    if len(text) <= budget:
        return text
    head = budget * 3 // 4
    tail = budget - head
    cut = len(text) - budget
    note = f"\n[... {cut} characters cut: the result is over the {budget}-character budget; narrow the request]\n"
    return text[:head] + note + (text[-tail:] if tail else "")


def assistant_message(step: Step, call: Call | None) -> dict[str, Any]:
    """The chat-layout message of a turn (a parsed call in transformers' `tool_calls` form)."""
    msg: dict[str, Any] = {"role": "assistant", "content": step.content}
    if step.reasoning:
        msg["reasoning"] = step.reasoning
    if call is not None:
        msg["tool_calls"] = [{"type": "function", "function": call.to_dict()}]
        if step.call_id is not None:
            msg["tool_calls"][0]["id"] = step.call_id
    return msg
