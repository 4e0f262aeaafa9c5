"""`python -m cppllm.chat`: talk to an SFT run; the reply's reasoning is shown apart from its answer.

python -m cppllm.chat --run runs/sft "Why does this loop never end?"
python -m cppllm.chat --run runs/sft                 # interactive: one message per line, empty line or EOF ends

The conversation goes through the chat template (`cppllm.tokenizer.chat`) with `<|assistant|>` appended;
generation stops at `<|end_turn|>` (or EOS). Interactive mode keeps the history, trimmed from the oldest
turns when it no longer fits the context.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cppllm.tokenizer.chat import parse_reply, render
from cppllm.tokenizer.special import END_TURN_ID, EOS_ID


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m cppllm.chat", description=__doc__.splitlines()[0])
    p.add_argument("message", nargs="?", help="one message to answer (omit for interactive mode)")
    p.add_argument("--run", required=True, help="run folder (its latest checkpoint), or a checkpoint folder")
    p.add_argument("--tokenizer", help="tokenizer folder (default: the run's, from its config.json)")
    p.add_argument("--system", help="a system message ahead of the conversation")
    p.add_argument("--max-new-tokens", type=int, default=256, help="reply length cap in tokens")
    p.add_argument("--temperature", type=float, default=0.0, help="0: greedy (default)")
    p.add_argument("--top-p", type=float, help="nucleus sampling threshold")
    p.add_argument("--seed", type=int, default=0, help="sampling seed")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    show = p.add_mutually_exclusive_group()
    show.add_argument(
        "--show-reasoning", dest="reasoning", action="store_true", default=True, help="(default)"
    )
    show.add_argument(
        "--hide-reasoning", dest="reasoning", action="store_false", help="print only the answer"
    )
    return p


class Chat:
    """A model + tokenizer + conversation history; `reply(message)` -> (reasoning or None, answer)."""

    def __init__(self, model: Any, tokenizer: Any, *, system: str | None = None, **sampling: Any) -> None:
        self.model, self.tok, self.sampling = model, tokenizer, sampling
        self.history: list[dict[str, str]] = [{"role": "system", "content": system}] if system else []

    def reply(self, message: str, max_new_tokens: int = 256) -> tuple[str | None, str]:
        from cppllm.model.generate import generate

        self.history.append({"role": "user", "content": message})
        ctx = self.model.config.max_seq_len
        while True:
            ids, _ = render(self.history, self.tok, add_generation_prompt=True)
            users = [i for i, m in enumerate(self.history) if m["role"] == "user"]
            if len(ids) + max_new_tokens <= ctx or len(users) <= 1:
                break
            del self.history[users[0] : users[1]]  # drop the oldest exchange
        budget = ctx - len(ids)
        if budget <= 0:
            self.history.pop()
            raise ValueError(
                f"the message ({len(ids)} tokens with the template) does not fit the context {ctx}"
            )
        out = generate(
            self.model, [ids], min(max_new_tokens, budget), eos_id=[END_TURN_ID, EOS_ID], **self.sampling
        )[0]
        reasoning, answer = parse_reply(out, self.tok)
        turn = {"role": "assistant", "content": answer}
        if reasoning is not None:
            turn["reasoning"] = reasoning
        self.history.append(turn)
        return reasoning, answer


def format_reply(reasoning: str | None, answer: str, *, show_reasoning: bool) -> str:
    if reasoning is None or not show_reasoning:
        return answer
    thought = "\n".join("  " + line for line in reasoning.splitlines() or [""])
    return f"[reasoning]\n{thought}\n[answer]\n{answer}"


def _load(run: Path, tokenizer: str | None, device: str):
    from cppllm.device import pick_device
    from cppllm.layout import find_checkpoint
    from cppllm.model.checkpoint import load_checkpoint_model
    from cppllm.tokenizer.tokenizer import CppTokenizer

    ckpt = find_checkpoint(run)
    if ckpt is None:
        raise FileNotFoundError(f"no checkpoint in {run} or {run}/ckpt/latest")
    if tokenizer is None:
        tokenizer = json.loads((ckpt / "config.json").read_text()).get("train", {}).get("tokenizer")
        if tokenizer is None:
            raise FileNotFoundError(f"{ckpt}/config.json names no tokenizer; pass --tokenizer")
    model = load_checkpoint_model(ckpt, map_location=pick_device(device).device)
    return model, CppTokenizer.load(tokenizer)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        model, tok = _load(Path(args.run), args.tokenizer, args.device)
        tok.special_id("END_TURN")
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    sampling = {"temperature": args.temperature, "top_p": args.top_p, "seed": args.seed}
    chat = Chat(model, tok, system=args.system, **sampling)
    messages = [args.message] if args.message is not None else None
    interactive = messages is None
    while True:
        if interactive:
            try:
                message = input("> ")
            except EOFError:
                break
            if not message.strip():
                break
        elif messages:
            message = messages.pop()
        else:
            break
        try:
            reasoning, answer = chat.reply(message, args.max_new_tokens)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            if not interactive:
                return 2
            continue
        print(format_reply(reasoning, answer, show_reasoning=args.reasoning), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
