"""`python -m cppllm.agent`: let a model fix a repository with tools (ReAct), on a sandboxed copy.

python -m cppllm.agent --run runs/fix1 --repo myrepo --task "The tests crash; fix the bug." --model runs/sft
python -m cppllm.agent --run runs/fix1 --repo myrepo --task "..." --policy endpoint \
    --endpoint http://127.0.0.1:8000 --endpoint-model Qwen/Qwen2.5-Coder-7B-Instruct  # native tool calls
python -m cppllm.agent ... --policy endpoint --endpoint URL --endpoint-protocol text  # no function calling
python -m cppllm.agent --run runs/replay --repo myrepo --task "..." --policy replay:calls.json

Writes RUN/transcript.jsonl (one row per turn: reasoning, call, full result, what the model read),
RUN/messages.json (the conversation in the chat layout), RUN/final.diff and RUN/summary.json (stop reason,
steps, tool calls, malformed calls, sandbox isolation; an endpoint's URL, model, protocol and token usage).
The repository itself is never modified: apply final.diff with `git apply` if you want the fix. The
endpoint's API key comes from the environment (`--api-key-env`, default OPENAI_API_KEY), never a flag.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from cppllm.atomic import write_text


def _parser() -> argparse.ArgumentParser:
    from cppllm.agent.tools import Budget
    from cppllm.eval.sandbox import add_sandbox_flags

    # no abbreviations: `--api-key SECRET` must be an error, not `--api-key-env SECRET`
    p = argparse.ArgumentParser(
        prog="python -m cppllm.agent", description=__doc__.splitlines()[0], allow_abbrev=False
    )
    p.add_argument("--run", required=True, help="output folder (transcript.jsonl, final.diff, summary.json)")
    p.add_argument("--repo", required=True, help="repository folder (the agent works on a copy)")
    task = p.add_mutually_exclusive_group(required=True)
    task.add_argument("--task", help="what to do, in words")
    task.add_argument("--task-file", type=Path, help="a file holding the task")
    p.add_argument("--max-steps", type=int, default=20, help="assistant turns before the run stops")
    p.add_argument("--wall-time", type=float, default=1800.0, help="seconds for the whole run")
    p.add_argument(
        "--policy",
        default="model",
        help="model (--model), endpoint (--endpoint), or replay:FILE (recorded calls)",
    )
    p.add_argument("--model", help="SFT run or checkpoint folder (policy model)")
    p.add_argument("--tokenizer", help="tokenizer folder (default: the model run's)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    p.add_argument("--max-new-tokens", type=int, default=512, help="tokens per assistant turn")
    p.add_argument("--temperature", type=float, default=0.0, help="0: greedy")
    p.add_argument("--endpoint", help="OpenAI-compatible server URL (policy endpoint)")
    p.add_argument("--endpoint-model", default="default", help="model name the server expects")
    p.add_argument(
        "--endpoint-protocol",
        choices=("native", "text"),
        default="native",
        help="native: OpenAI function calling (tools / tool_calls); text: the tools and our <|query_tool|> "
        "protocol in the system message, for servers without function calling",
    )
    p.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        help="environment variable holding the endpoint's API key (never on the command line, where ps shows it)",
    )
    p.add_argument(
        "--index", help="code index folder for `retrieve` (default: REPO/.cppllm-index or RUN/index)"
    )
    p.add_argument("--test-command", help="shell command running the tests, where no CMake/make target does")
    p.add_argument("--test-timeout", type=float, default=Budget().test_s, help="seconds for build, and tests")
    p.add_argument("--result-chars", type=int, default=Budget().result_chars, help="tool result budget")
    add_sandbox_flags(p)
    return p


def find_index(explicit: str | None, repo: Path, run: Path) -> Path | None:
    """The code index for `retrieve`: `--index`, else REPO/.cppllm-index, else RUN/index (with index.json)."""
    if explicit:
        return Path(explicit)
    return next((d for d in (repo / ".cppllm-index", run / "index") if (d / "index.json").is_file()), None)


def make_completer(args: argparse.Namespace):
    from cppllm.agent.completers import EndpointCompleter, ModelCompleter, ReplayCompleter

    if args.policy.startswith("replay:"):
        return ReplayCompleter.from_file(args.policy.split(":", 1)[1])
    if args.policy == "endpoint":
        from cppllm.synth.client import ClientConfig

        if not args.endpoint:
            raise ValueError("--policy endpoint needs --endpoint URL")
        gen = {"temperature": args.temperature, "max_tokens": args.max_new_tokens}
        client = ClientConfig(
            endpoint=args.endpoint, model=args.endpoint_model, api_key_env=args.api_key_env, generation=gen
        )
        return EndpointCompleter(client, protocol=args.endpoint_protocol)
    if args.policy == "model":
        if not args.model:
            raise ValueError("--policy model needs --model RUN (or use --policy endpoint / replay:FILE)")
        from cppllm.chat import _load

        model, tok = _load(Path(args.model), args.tokenizer, args.device)
        tok.special_id("END_TURN")
        return ModelCompleter(model, tok, max_new_tokens=args.max_new_tokens, temperature=args.temperature)
    raise ValueError(f"unknown policy {args.policy!r}: model, endpoint or replay:FILE")


def write_run(run: Path, result, config: dict) -> None:
    from cppllm.eval.sandbox import isolation_record

    run.mkdir(parents=True, exist_ok=True)
    write_text(
        run / "transcript.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in result.transcript)
    )
    write_text(run / "messages.json", json.dumps({"messages": result.messages}, indent=1, ensure_ascii=False))
    write_text(run / "final.diff", result.diff)
    summary = {**result.summary(), "config": config, "sandbox": isolation_record()}
    write_text(run / "summary.json", json.dumps(summary, indent=2))


def main(argv: list[str] | None = None) -> int:
    from cppllm.agent.completers import CompleterError
    from cppllm.agent.loop import AgentConfig, run_agent
    from cppllm.agent.tools import Budget
    from cppllm.agent.workspace import Workspace
    from cppllm.eval.sandbox import apply_sandbox_flags

    args = _parser().parse_args(argv)
    apply_sandbox_flags(args)
    if args.max_steps < 1:
        print("error: --max-steps must be >= 1", file=sys.stderr)
        return 2
    run, repo = Path(args.run), Path(args.repo)
    task = args.task if args.task is not None else args.task_file.read_text()
    try:
        completer = make_completer(args)
        ws = Workspace(repo, index_dir=find_index(args.index, repo, run), test_command=args.test_command)
    except (FileNotFoundError, ValueError, CompleterError, ConnectionError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    budget = Budget(test_s=args.test_timeout, result_chars=args.result_chars)
    cfg = AgentConfig(max_steps=args.max_steps, wall_s=args.wall_time, budget=budget)
    with ws:
        result = run_agent(completer, ws, task, cfg)
    config = {"repo": str(repo.resolve()), "task": task, "policy": args.policy, "model": args.model,
              "index": str(ws.index_dir) if ws.index_dir else None, "max_steps": args.max_steps,
              "budget": asdict(budget)}  # fmt: skip
    if args.policy == "endpoint":
        config["endpoint"] = {"url": args.endpoint, "model": args.endpoint_model,
                              "protocol": completer.protocol, "usage": completer.usage}  # fmt: skip
    write_run(run, result, config)
    s = result.summary()
    print(
        f"{s['stop']}: {s['steps']} steps, {s['tool_calls']} tool calls ({s['malformed_calls']} malformed), "
        f"{s['diff_lines']} diff lines in {s['seconds']}s -> {run}/final.diff"
    )
    if s["stop"] == "completer_error":
        print(f"error: {s['detail']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
