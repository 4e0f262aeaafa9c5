"""The ReAct loop: reason, call a tool, observe, until the model answers or a budget ends.

    result = run_agent(completer, Workspace(repo), "The tests crash; fix the bug.", AgentConfig(max_steps=20))

Each step asks the completer for one assistant turn. A turn with a call runs the tool on the workspace
copy and appends a `tool` turn with the result's text cut to `Budget.result_chars`; a malformed call gets
an error result the model can read (and is counted); a turn without a call is the answer and ends the
run. Budgets: `max_steps` turns, `wall_s` for the whole run, the model's context (`ContextFull`), and each
tool's own limits (`cppllm.agent.tools.Budget`). The run records every turn (`transcript`), the
conversation in the chat layout (`messages`, malformed calls kept as `raw_call`) and the final diff. A
completer with native tool calls gives call ids (kept on the call and its `tool` turn) and, for a turn with
several calls, the ones it did not run (`calls_not_run` in the transcript; one call runs per turn).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from cppllm.agent.completers import CompleterError, ContextFull
from cppllm.agent.protocol import MalformedCall, assistant_message, parse_call, truncate
from cppllm.agent.tools import TOOL_SCHEMAS, Budget, run_tool
from cppllm.agent.workspace import Workspace

SYSTEM = (
    "You are a careful C++ engineer working in a repository through tools. Find the root cause of the "
    "problem: run the tests, read the report, read the code, edit the fix, run the tests again. Think "
    "before each call. When the tests pass, answer with a short summary of the fix."
)
STOPS = ("answer", "max_steps", "wall_time", "context_full", "completer_error")


@dataclass(frozen=True, kw_only=True)
class AgentConfig:
    max_steps: int = 20  # assistant turns
    wall_s: float = 1800.0  # the whole run
    budget: Budget = field(default_factory=Budget)
    system: str = SYSTEM
    tools: tuple[dict[str, Any], ...] = tuple(TOOL_SCHEMAS)


@dataclass(kw_only=True)
class AgentResult:
    stop: str  # one of STOPS
    steps: int
    tool_calls: int  # well-formed calls that ran (their tools may still have reported a failure)
    malformed_calls: int
    answer: str | None
    diff: str
    seconds: float
    messages: list[dict[str, Any]]
    transcript: list[dict[str, Any]]
    detail: str = ""

    def summary(self) -> dict[str, Any]:
        calls = self.tool_calls + self.malformed_calls
        return {
            "stop": self.stop,
            "steps": self.steps,
            "tool_calls": self.tool_calls,
            "malformed_calls": self.malformed_calls,
            "malformed_rate": round(self.malformed_calls / calls, 4) if calls else 0.0,
            "answer": self.answer,
            "diff_lines": self.diff.count("\n"),
            "seconds": round(self.seconds, 2),
            "detail": self.detail,
        }


def run_agent(completer: Any, ws: Workspace, task: str, cfg: AgentConfig = AgentConfig()) -> AgentResult:
    """Run the loop on `ws` until an answer or a budget ends (see module docstring)."""
    start = time.monotonic()
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": cfg.system},
        {"role": "user", "content": task},
    ]
    transcript: list[dict[str, Any]] = []
    calls = malformed = 0
    stop, answer, detail = "max_steps", None, ""
    for step_no in range(1, cfg.max_steps + 1):
        if time.monotonic() - start > cfg.wall_s:
            stop = "wall_time"
            break
        t0 = time.monotonic()
        try:
            step = completer(messages, list(cfg.tools))
        except ContextFull as e:
            stop, detail = "context_full", str(e)
            break
        except CompleterError as e:
            stop, detail = "completer_error", str(e)
            break
        row: dict[str, Any] = {"step": step_no, "reasoning": step.reasoning, "content": step.content}
        row["generate_seconds"] = round(time.monotonic() - t0, 3)
        if not step.is_call:
            messages.append(assistant_message(step, None))
            transcript.append({**row, "call": None})
            stop, answer = "answer", step.content
            break
        try:
            call = parse_call(step.call_text or "")
        except MalformedCall as e:
            malformed += 1
            msg = assistant_message(step, None)
            msg["raw_call"] = step.call_text
            messages.append(msg)
            result = {
                "ok": False,
                "error": f"malformed tool call: {e}",
                "text": f"error: malformed tool call: {e}",
            }
            row.update(call=None, raw_call=step.call_text, malformed=str(e))
        else:
            calls += 1
            messages.append(assistant_message(step, call))
            result = run_tool(ws, call, cfg.budget)
            row["call"] = call.to_dict()
        if step.call_id is not None:
            row["call_id"] = step.call_id
        if step.calls_not_run:
            row["calls_not_run"] = list(step.calls_not_run)
        observation = truncate(result["text"], cfg.budget.result_chars)
        tool_msg = {"role": "tool", "content": observation}
        if step.call_id is not None:
            tool_msg["tool_call_id"] = step.call_id
        messages.append(tool_msg)
        transcript.append({**row, "result": result, "observation": observation})
    return AgentResult(
        stop=stop,
        steps=len(transcript),
        tool_calls=calls,
        malformed_calls=malformed,
        answer=answer,
        diff=ws.diff(),
        seconds=time.monotonic() - start,
        messages=messages,
        transcript=transcript,
        detail=detail,
    )
