"""The evaluation tasks, listed once: what `python -m cppllm.eval --tasks` accepts and runs by default,
what needs the compiler and the sandbox, the report's section titles and the one-line headlines the eval
log and the demo print. Add a task here, its runner in `cppllm.eval.__main__` and its section in
`cppllm.eval.report` (a test checks all three name the same tasks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Section = dict[str, Any]  # a task's entry of eval.json


def _bpb(s: Section) -> str:
    uni = s.get("unigram_bpb")
    return f"bpb {s['bpb']:.3f} (unigram {uni:.3f})" if uni is not None else f"bpb {s['bpb']:.3f}"


def _compile(s: Section) -> str:
    lo, hi = s["ci95"]
    line = f"compile rate {s['ok']}/{s['n']} = {s['rate']:.1%} [95% CI {lo:.1%}, {hi:.1%}]"
    if "reference" in s:
        line += f" (reference ceiling {s['reference']['ok']}/{s['reference']['n']})"
    return line


def _fim(s: Section) -> str:
    return " ".join(
        f"{m}: EM {s[m]['exact_match']:.1%} ES {s[m]['edit_similarity']:.2f}"
        for m in ("psm", "spm")
        if m in s
    )


def _longctx(s: Section) -> str:
    parts = []
    for role, m in s["models"].items():
        if "position_bpb" in m:
            b = [r["bpb"] for r in m["position_bpb"] if r["bpb"] is not None]
            parts.append(f"{role}: bpb first/last bucket {b[0]:.3f}/{b[-1]:.3f}")
    return "; ".join(parts)


def _pass_at_k(s: Section) -> str:
    head = " ".join(f"{k} {v:.1%}" for k, v in s["pass_at_k"].items() if v is not None)
    if s.get("grounded_reasoning_rate") is not None:
        head += f" grounded reasoning {s['grounded_reasoning_rate']:.1%}"
    if "compile" in s:
        head += f" compile rate {s['compile']['ok']}/{s['compile']['n']}"
    return head


def _agentfix(s: Section) -> str:
    return (
        f"solved {s['solved']}/{s['n']} = {s['solve_rate']:.1%}, {s['steps_per_task']:.1f} steps/task, "
        f"malformed calls {s['malformed_call_rate']:.1%}"
    )


@dataclass(frozen=True, kw_only=True)
class EvalTask:
    name: str
    title: str  # the report's section title
    runs_model_code: bool  # compiles or runs sampled completions: needs the compiler and the sandbox
    heldout: bool = False  # prompts cut from the run's held-out val documents
    default: bool = False  # in the default `--tasks` (the demo's tasks)
    report_when_missing: bool = True  # the report says "not evaluated" (else the section is left out)
    headline: Callable[[Section], str]


TASKS: dict[str, EvalTask] = {
    t.name: t
    for t in (
        EvalTask(name="bpb", title="Bits per byte", runs_model_code=False, default=True, headline=_bpb),
        EvalTask(
            name="compile",
            title="Compile rate",
            runs_model_code=True,
            heldout=True,
            default=True,
            headline=_compile,
        ),
        EvalTask(
            name="fim",
            title="Fill-in-the-middle",
            runs_model_code=True,
            heldout=True,
            default=True,
            headline=_fim,
        ),
        EvalTask(name="humaneval", title="HumanEval-C++", runs_model_code=True, headline=_pass_at_k),
        EvalTask(
            name="longctx",
            title="Long context",
            runs_model_code=False,
            report_when_missing=False,  # only runs evaluated with --tasks longctx (context stages)
            headline=_longctx,
        ),
        EvalTask(name="humanevalfix", title="HumanEvalFix-C++", runs_model_code=True, headline=_pass_at_k),
        EvalTask(
            name="nullfix",
            title="nullfix (held-out null-pointer bugs)",
            runs_model_code=True,
            headline=_pass_at_k,
        ),
        EvalTask(
            name="agentfix",
            title="agentfix (agent fixes held-out planted-bug repositories with tools)",
            runs_model_code=True,
            report_when_missing=False,  # only runs evaluated with --tasks agentfix --agentfix-data
            headline=_agentfix,
        ),
    )
}
DEFAULT_TASKS = tuple(n for n, t in TASKS.items() if t.default)


def parse_tasks(spec: str) -> list[str]:
    """`--tasks a,b`: the task names, in order; unknown names are an error naming the valid ones."""
    tasks = [t.strip() for t in spec.split(",") if t.strip()]
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        raise ValueError(f"unknown task(s) {unknown}; valid: {','.join(TASKS)}")
    return tasks


def headline(task: str, section: Section) -> str:
    """One line for a task's eval.json entry (FAILED when it recorded an error)."""
    return "FAILED" if "error" in section else TASKS[task].headline(section)
