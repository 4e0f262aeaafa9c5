"""Completers: whatever writes the assistant turns of the loop. Each is `completer(messages, tools) -> Step`.

- `ModelCompleter`: our model (a `GPT` + `CppTokenizer`). The context is kept as token ids and grows
  turn by turn: the model's own ids (a malformed call stays exactly as written), then each tool turn
  (`<|tool_result|>` result `<|end_turn|>`) and `<|assistant|>`. Generation stops at `<|end_turn|>`, EOS
  or `<|tool_result|>`, by id; the call is whatever follows the `<|query_tool|>` id. `ContextFull` when the next turn cannot fit.
- `EndpointCompleter`: an OpenAI-compatible server (vLLM, SGLang, llama.cpp, `transformers serve`, a hosted
  API), for comparison with a bigger model, in one of two protocols:
  - `native` (default): OpenAI function calling. The seven tools go as `tools` (their JSON schemas); a call
    comes back in `message.tool_calls` (id, name, arguments as a JSON string, read by `parse_call`, so bad
    arguments are a counted malformed call); the result goes back as `{"role": "tool", "tool_call_id"}`
    after the assistant turn with its `tool_calls` as the server wrote them, except arguments that are not
    a JSON object: servers parse past calls and fail on those, so the history shows `{}` and the result
    quotes what the model wrote. One call runs per turn: the
    first; every further call of the turn is answered "not run" (OpenAI wants an answer per call id) and
    recorded in the transcript. A server that refuses `tools` is a clear error naming the text protocol,
    never a silent fallback. A request the server refuses as longer than its context (OpenAI's
    `context_length_exceeded`, vLLM's "maximum context/model length", llama.cpp's
    `exceed_context_size_error`, TGI's "must be <= N") is `ContextFull`, the loop's `context_full` stop,
    like our own model's.
  - `text`: the tools and our `<|query_tool|>` protocol explained in the system message, tool results as
    user turns starting with `<|tool_result|>`, for servers without function calling.
  Reuses `cppllm.synth.client` (`ClientConfig` with its API key or key variable, `wait_for_server`,
  `parse_chat_response`, the retry statuses).
- `ReplayCompleter`: a recorded list of calls (a JSON list or JSONL: `{"name", "arguments"}` objects,
  optionally with `reasoning`/`content`; `{"raw": text}` for a call written verbatim, malformed or not;
  `{"answer": text}` to finish); for tests and for debugging tool behaviour.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cppllm.agent.protocol import QUERY_TOOL, TOOL_RESULT, Step, split_reply, split_text
from cppllm.tokenizer.chat import call_json, render, tools_text


class ContextFull(RuntimeError):
    """The conversation no longer fits the model's context."""


class CompleterError(RuntimeError):
    """The completer could not produce a turn (a server that stopped answering, a bad replay file)."""


class ModelCompleter:
    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        max_new_tokens: int = 512,
        temperature: float = 0.0,
        top_p: float | None = None,
        seed: int | None = 0,
    ) -> None:
        self.model, self.tok = model, tokenizer
        self.max_new_tokens = max_new_tokens
        self.sampling = {"temperature": temperature, "top_p": top_p, "seed": seed}
        self.ids: list[int] = []
        self._seen = 0  # messages already in self.ids

    def __call__(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]]) -> Step:
        from cppllm.model.generate import generate
        from cppllm.tokenizer.special import ASSISTANT_ID, END_TURN_ID, EOS_ID, TOOL_RESULT_ID

        if not self.ids:
            self.ids, _ = render(messages, self.tok, add_generation_prompt=True, tools=tools or None)
        else:
            for m in messages[self._seen :]:
                if m["role"] != "tool":
                    raise CompleterError(f"ModelCompleter continues after tool turns only, got {m['role']}")
                self.ids += [TOOL_RESULT_ID, *self.tok.encode(m["content"]), END_TURN_ID]
            self.ids.append(ASSISTANT_ID)
        self._seen = len(messages) + 1  # + the assistant turn written now
        room = self.model.config.max_seq_len - len(self.ids)
        if room < 16:
            raise ContextFull(f"{len(self.ids)} tokens of {self.model.config.max_seq_len} used")
        out = generate(
            self.model,
            [self.ids],
            min(self.max_new_tokens, room),
            eos_id=[END_TURN_ID, EOS_ID],
            **self.sampling,
        )[0]
        self.ids += [*out, END_TURN_ID]
        return split_reply(out, self.tok)


PROTOCOLS = ("native", "text")
SYSTEM_ENDPOINT = (
    "To call a tool, end your message with the text "
    + QUERY_TOOL
    + ' followed by one JSON object {"name": ..., "arguments": {...}} and nothing else; the result comes '
    "back in the next message, after "
    + TOOL_RESULT
    + ". Call one tool per message. When you are done, answer without a tool call."
)
SYSTEM_NATIVE = "Call one tool per turn. When you are done, answer without a tool call."
NOT_RUN = (
    "not run: one tool call runs per turn and this turn's first call ({first}) ran; "
    "call this one again in a later turn if you still need it"
)
ARGUMENTS_SHOWN = (
    "\n(the conversation shows this call with arguments {{}} because yours were not a JSON object; "
    "you wrote: {raw})"
)
# How OpenAI-compatible servers say a request does not fit the model's context (status 400, 413 or 422).
CONTEXT_FULL = re.compile(
    r"context_length_exceeded|maximum context length|maximum model length|exceed_context_size"
    r"|context size|context window|must be <= \d+|prompt is too long|too many tokens",
    re.IGNORECASE,
)
REFUSED_HINT = (
    "; the request carried the tools as OpenAI `tools` (native function calling): if this server has "
    "no function calling (vLLM needs --enable-auto-tool-choice --tool-call-parser NAME), rerun with "
    "--endpoint-protocol text (Python: EndpointCompleter(client, protocol='text'))"
)


def endpoint_messages(messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]]) -> list[dict]:
    """Our conversation in plain OpenAI chat messages (text protocol, no native tool calling)."""
    out: list[dict] = []
    messages = list(messages)
    if tools:  # one system message: ours, then the tools and the protocol
        own = messages.pop(0)["content"] + "\n\n" if messages and messages[0]["role"] == "system" else ""
        out.append({"role": "system", "content": own + tools_text(tools) + "\n" + SYSTEM_ENDPOINT})
    for m in messages:
        if m["role"] == "tool":
            out.append({"role": "user", "content": TOOL_RESULT + m["content"]})
        elif m["role"] == "assistant":
            text = m["content"]
            if m.get("tool_calls"):
                text += QUERY_TOOL + call_json(m["tool_calls"][0])
            elif m.get("raw_call") is not None:
                text += QUERY_TOOL + m["raw_call"]
            out.append({"role": "assistant", "content": text})
        else:
            out.append({"role": m["role"], "content": m["content"]})
    return out


def parse_tool_response(body: bytes) -> dict[str, Any]:
    """An OpenAI chat completion with native tool calls -> text, reasoning, tool_calls (wire form), usage.

    `ValueError` when the body is no chat completion. A call's own defects (no name, arguments that are
    not JSON) are left for `parse_call`: they are the model's malformed calls, not a broken response."""
    try:
        data = json.loads(body)
        message = data["choices"][0]["message"]
        text = message.get("content") or ""
        calls = message.get("tool_calls") or []
        if not isinstance(text, str):
            raise TypeError("message.content is not a string")
        if not isinstance(calls, list) or not all(isinstance(c, dict) for c in calls):
            raise TypeError("message.tool_calls is not a list of objects")
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise ValueError(f"{type(e).__name__}: {e}; body starts {body[:120]!r}") from None
    wire = []
    for i, c in enumerate(calls):
        fn = c.get("function") if isinstance(c.get("function"), dict) else {}
        name, args = fn.get("name"), fn.get("arguments", "")
        if not isinstance(args, str):  # a server that sends the arguments object itself
            args = json.dumps(args)
        call_id = c.get("id") if isinstance(c.get("id"), str) and c.get("id") else f"call_{i}"
        wire.append({"id": call_id, "type": "function",
                     "function": {"name": name if isinstance(name, str) else "", "arguments": args}})  # fmt: skip
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return {
        "text": text,
        "reasoning": message.get("reasoning") or message.get("reasoning_content") or "",
        "tool_calls": wire,
        "usage": {k: int(usage.get(k) or 0) for k in ("prompt_tokens", "completion_tokens")},
    }


def _object_arguments(wire_call: dict[str, Any]) -> bool:
    try:
        return isinstance(json.loads(wire_call["function"]["arguments"]), dict)
    except json.JSONDecodeError:
        return False


def _history_call(wire_call: dict[str, Any]) -> dict[str, Any]:
    """The call as it goes back in the conversation: servers parse the arguments of past calls
    (`transformers serve` answers HTTP 500 to arguments that are not JSON; vLLM is reported to fail too),
    so arguments that are not a JSON object become `{}`."""
    if _object_arguments(wire_call):
        return wire_call
    return {**wire_call, "function": {**wire_call["function"], "arguments": "{}"}}


def _call_text(wire_call: dict[str, Any]) -> str:
    """A wire call as the loop's call text: `parse_call` reads the arguments string (and its defects)."""
    return json.dumps(
        {"name": wire_call["function"]["name"], "arguments": wire_call["function"]["arguments"]}
    )


class EndpointCompleter:
    """An OpenAI-compatible server; `protocol` "native" (OpenAI `tools` / `tool_calls`) or "text"."""

    def __init__(self, client: Any, *, protocol: str = "native") -> None:
        from cppllm.synth.client import wait_for_server

        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown endpoint protocol {protocol!r}: {' or '.join(PROTOCOLS)}")
        self.client, self.protocol = client, protocol
        wait_for_server(client)
        self.usage = {"prompt_tokens": 0, "completion_tokens": 0}
        # native: the conversation as sent, the model's turns as it returned them (a malformed call's
        # arguments verbatim); `_pending` holds the last turn's calls, each owed a tool message
        self.wire: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []
        self._seen = 0  # messages of the loop already in self.wire

    def __call__(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]]) -> Step:
        if self.protocol == "text":
            payload = {"messages": endpoint_messages(messages, tools), "stop": [TOOL_RESULT]}
            out = self._post(payload, _parse_text)
            return split_text(out["text"], out["reasoning"])
        self._extend_wire(messages)
        payload: dict[str, Any] = {"messages": self.wire}
        if tools:
            payload["tools"] = list(tools)
        out = self._post(payload, parse_tool_response)
        calls = out["tool_calls"]
        turn: dict[str, Any] = {"role": "assistant", "content": out["text"]}
        if calls:
            turn["tool_calls"] = [_history_call(c) for c in calls]
        self.wire.append(turn)
        self._pending = calls
        self._seen = len(messages) + 1  # + the assistant turn written now
        step = {"reasoning": out["reasoning"] or None, "content": out["text"].strip()}
        if not calls:
            return Step(**step)
        return Step(**step, call_text=_call_text(calls[0]), call_id=calls[0]["id"],
                    calls_not_run=tuple(_call_text(c) for c in calls[1:]))  # fmt: skip

    def _extend_wire(self, messages: Sequence[dict[str, Any]]) -> None:
        """Append the loop's new turns (the first call: system and user; later: one tool turn per call)."""
        if not self.wire:
            for m in messages:
                if m["role"] not in ("system", "user"):
                    raise CompleterError(f"EndpointCompleter starts from system/user turns, got {m['role']}")
                self.wire.append({"role": m["role"], "content": m["content"]})
            if self.wire and self.wire[0]["role"] == "system":
                self.wire[0]["content"] += "\n\n" + SYSTEM_NATIVE
            return
        new = list(messages[self._seen :])
        if [m["role"] for m in new] != ["tool"] or not self._pending:
            raise CompleterError(
                f"EndpointCompleter continues after one tool turn, got {[m['role'] for m in new]}"
            )
        first, *rest = self._pending
        result = new[0]["content"]
        if not _object_arguments(first):  # the model reads what it wrote, not the `{}` the history shows
            result += ARGUMENTS_SHOWN.format(raw=first["function"]["arguments"][:500])
        self.wire.append({"role": "tool", "tool_call_id": first["id"], "content": result})
        for c in rest:  # every call of the turn gets its answer (OpenAI requires one per tool_call_id)
            note = NOT_RUN.format(first=first["function"]["name"] or "unnamed")
            self.wire.append({"role": "tool", "tool_call_id": c["id"], "content": note})
        self._pending = []

    def _post(self, payload: dict[str, Any], parse) -> dict[str, Any]:
        """POST /v1/chat/completions with retries on connection errors, 408/429/5xx and malformed bodies."""
        import httpx

        from cppllm.synth.client import RETRY_STATUS

        c = self.client
        payload = {**c.generation, "model": c.model, **payload}
        headers = {"Authorization": f"Bearer {c.key}"} if c.key else {}
        why = ""
        for attempt in range(c.max_retries + 1):
            try:
                r = httpx.post(
                    f"{c.base_url}/v1/chat/completions",
                    json=payload,
                    headers=headers,
                    timeout=c.request_timeout_s,
                )
                if r.status_code == 200:
                    out = parse(r.content)
                    for k in self.usage:
                        self.usage[k] += out["usage"][k]
                    return out
                why = f"HTTP {r.status_code}: {r.text[:300]}"
                if r.status_code in (400, 413, 422) and CONTEXT_FULL.search(r.text):
                    raise ContextFull(f"the endpoint's context is full ({why})")
                if r.status_code not in RETRY_STATUS:  # no retry cures a refusal: say what was refused
                    hint = REFUSED_HINT if "tools" in payload else ""
                    raise CompleterError(f"the endpoint refused the request ({why}){hint}")
            except httpx.HTTPError as e:
                why = f"{type(e).__name__}: {e}"
            except ValueError as e:  # a body that is no chat completion
                why = str(e)
            if attempt < c.max_retries:
                time.sleep(c.backoff_s * 2**attempt)
        raise CompleterError(f"the endpoint gave no turn after {c.max_retries + 1} tries: {why}")


def _parse_text(body: bytes) -> dict[str, Any]:
    from cppllm.synth.client import parse_chat_response

    return parse_chat_response(body)


class ReplayCompleter:
    def __init__(self, entries: Sequence[Any]) -> None:
        self.entries = list(entries)
        self.i = 0

    @classmethod
    def from_file(cls, path: str | Path) -> ReplayCompleter:
        text = Path(path).read_text()
        try:
            data = json.loads(text)
            entries = data if isinstance(data, list) else [data]
        except json.JSONDecodeError:
            try:
                entries = [json.loads(x) for x in text.splitlines() if x.strip()]
            except json.JSONDecodeError as e:
                raise CompleterError(f"{path}: neither a JSON list nor JSONL ({e})") from None
        # a transcript.jsonl replays its calls: rows with a "call" (or a "raw_call") key
        if entries and all(isinstance(e, dict) and "step" in e for e in entries):
            entries = [
                {"raw": e["raw_call"]} if e.get("raw_call") is not None else e["call"]
                for e in entries
                if e.get("call") or e.get("raw_call") is not None
            ]
        return cls(entries)

    def __call__(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]]) -> Step:
        if self.i >= len(self.entries):
            return Step(reasoning=None, content="replay finished")
        e = self.entries[self.i]
        self.i += 1
        if not isinstance(e, dict):
            raise CompleterError(f"replay entry {self.i} is not an object: {e!r}")
        reasoning, content = e.get("reasoning"), e.get("content", "")
        if "answer" in e:
            return Step(reasoning=reasoning, content=str(e["answer"]))
        if "raw" in e:
            return Step(reasoning=reasoning, content=content, call_text=str(e["raw"]))
        call = {"name": e.get("name"), "arguments": e.get("arguments", {})}
        return Step(reasoning=reasoning, content=content, call_text=json.dumps(call))
