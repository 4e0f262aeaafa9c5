"""Completers: whatever writes the assistant turns of the loop. Each is `completer(messages, tools) -> Step`.

- `ModelCompleter`: our model (a `GPT` + `CppTokenizer`). The context is kept as token ids and grows
  turn by turn: the model's own ids (a malformed call stays exactly as written), then each tool turn
  (`<|tool_result|>` result `<|end_turn|>`) and `<|assistant|>`. Generation stops at `<|end_turn|>`, EOS
  or `<|tool_result|>`, by id; the call is whatever follows the `<|query_tool|>` id. `ContextFull` when the next turn cannot fit.
- `EndpointCompleter`: an OpenAI-compatible server (vLLM, SGLang, llama.cpp, `transformers serve`), for
  comparison with a bigger model. The tools and the protocol are explained in the system message; tool
  results come back as user turns starting with `<|tool_result|>`. Reuses `cppllm.synth.client`
  (`ClientConfig`, `wait_for_server`, `parse_chat_response`, the retry statuses).
- `ReplayCompleter`: a recorded list of calls (a JSON list or JSONL: `{"name", "arguments"}` objects,
  optionally with `reasoning`/`content`; `{"raw": text}` for a call written verbatim, malformed or not;
  `{"answer": text}` to finish); for tests and for debugging tool behaviour.
"""

from __future__ import annotations

import json
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


SYSTEM_ENDPOINT = (
    "To call a tool, end your message with the text "
    + QUERY_TOOL
    + ' followed by one JSON object {"name": ..., "arguments": {...}} and nothing else; the result comes '
    "back in the next message, after "
    + TOOL_RESULT
    + ". Call one tool per message. When you are done, answer without a tool call."
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


class EndpointCompleter:
    def __init__(self, client: Any) -> None:
        from cppllm.synth.client import wait_for_server

        self.client = client
        wait_for_server(client)
        self.usage = {"prompt_tokens": 0, "completion_tokens": 0}

    def __call__(self, messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]]) -> Step:
        import httpx

        from cppllm.synth.client import RETRY_STATUS, parse_chat_response

        c = self.client
        payload = {
            **c.generation,
            "model": c.model,
            "messages": endpoint_messages(messages, tools),
            "stop": [TOOL_RESULT],
        }
        headers = {"Authorization": f"Bearer {c.api_key}"} if c.api_key else {}
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
                    out = parse_chat_response(r.content)
                    for k in self.usage:
                        self.usage[k] += out["usage"][k]
                    return split_text(out["text"], out["reasoning"])
                why = f"HTTP {r.status_code}: {r.text[:200]}"
                if r.status_code not in RETRY_STATUS:
                    break
            except httpx.HTTPError as e:
                why = f"{type(e).__name__}: {e}"
            except ValueError as e:  # parse_chat_response's malformed body
                why = str(e)
            if attempt < c.max_retries:
                time.sleep(c.backoff_s * 2**attempt)
        raise CompleterError(f"the endpoint gave no turn after {c.max_retries + 1} tries: {why}")


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
